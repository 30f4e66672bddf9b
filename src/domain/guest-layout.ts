/**
 * Where things live on an agent's VM (Debian 12), shared by the startup script, the helper programs it
 * installs and the systemd units that run them. Constants only: nothing here comes from user input, so
 * these strings can be embedded in rendered shell and unit files without quoting concerns.
 */

/** Everything the plane installs (Node, OpenClaw versions, helper programs) lives under one root. */
const ROOT = '/opt/agents-plane';

export const GUEST_PATHS = {
  root: ROOT,
  /** Helper programs installed by the startup script. */
  bin: `${ROOT}/bin`,
  /** Symlink to the pinned Node release directory (node-v<version>-linux-x64), switched atomically. */
  node: `${ROOT}/node`,
  /** One directory per installed OpenClaw version (an npm global prefix), plus `current`. */
  openclawVersions: `${ROOT}/openclaw`,
  /** Symlink to the OpenClaw version the gateway runs. */
  openclawCurrent: `${ROOT}/openclaw/current`,
  /** Root-owned configuration written by the startup script. */
  etc: '/etc/agents-plane',
  /** The gateway's secrets (root:root 0600); systemd reads it before dropping privileges. */
  envFile: '/etc/agents-plane/agent.env',
  /** The plane-managed part of OpenClaw's config (no secrets), merged into the live config at boot. */
  managedOpenclawConfig: '/etc/agents-plane/openclaw-managed.json',
  /** The runtime profile's part of OpenClaw's config (no secrets), from metadata, merged in at boot and on change. */
  runtimeOpenclawConfig: '/etc/agents-plane/openclaw-runtime.json',
  /** `{ digest, heartbeatSeconds }` of the runtime profile applied: the heartbeat publishes it. */
  appliedRuntimeFile: '/run/agents-plane/runtime.json',
  /** ReportedSpend JSON and channel states JSON, written by agents-plane-report (guest-report-program.ts): the heartbeat publishes them. */
  spendFile: '/run/agents-plane/spend.json',
  channelsFile: '/run/agents-plane/channels.json',
  /** Runtime state shared by the helpers (tmpfs: starts empty at every boot). */
  run: '/run/agents-plane',
  /** 'starting' | 'running' | 'failed': what the heartbeat reports while no health check applies. */
  phaseFile: '/run/agents-plane/phase',
  /** The version `openclaw --version` reported for the current install. */
  versionFile: '/run/agents-plane/openclaw-version',
  /** The state-format marker (guest-contract.ts) recorded after each gateway start, for the heartbeat. */
  stateFormatFile: '/run/agents-plane/state-format',
  /** Serialises installs between the startup script and the version follower. */
  installLock: '/run/agents-plane/install.lock',
  /** npm's cache and HOME for installs. */
  cache: '/var/cache/agents-plane',
} as const;

/** The dedicated, unprivileged account the gateway runs as. */
export const OPENCLAW_USER = 'openclaw';
/** Its home doubles as OpenClaw's state root (workspace, sessions, caches): the only writable path. */
export const OPENCLAW_HOME = '/var/lib/openclaw';
/** OpenClaw's defaults relative to HOME, set explicitly so the CLI and the service agree. */
export const OPENCLAW_STATE_DIR = `${OPENCLAW_HOME}/.openclaw`;
export const OPENCLAW_CONFIG_PATH = `${OPENCLAW_STATE_DIR}/openclaw.json`;

/** Helper programs (in GUEST_PATHS.bin). */
export const GUEST_PROGRAMS = {
  installOpenclaw: `${GUEST_PATHS.bin}/agents-plane-install-openclaw`,
  restartGateway: `${GUEST_PATHS.bin}/agents-plane-restart-gateway`,
  heartbeat: `${GUEST_PATHS.bin}/agents-plane-heartbeat`,
  followVersion: `${GUEST_PATHS.bin}/agents-plane-follow-version`,
  applyRuntime: `${GUEST_PATHS.bin}/agents-plane-apply-runtime`,
  followRuntime: `${GUEST_PATHS.bin}/agents-plane-follow-runtime`,
  report: `${GUEST_PATHS.bin}/agents-plane-report`,
} as const;

/**
 * Unit names. The gateway's is the name OpenClaw's own docs use for a hand-written system unit, so
 * `openclaw gateway status` and Doctor recognise it.
 */
export const GUEST_UNITS = {
  gateway: 'openclaw-gateway.service',
  heartbeatService: 'agents-plane-heartbeat.service',
  heartbeatTimer: 'agents-plane-heartbeat.timer',
  versionFollower: 'agents-plane-version-follower.service',
  runtimeFollower: 'agents-plane-runtime-follower.service',
  reportService: 'agents-plane-report.service',
  reportTimer: 'agents-plane-report.timer',
} as const;

/** The metadata server as seen from the guest. */
export const METADATA_SERVER = 'http://metadata.google.internal/computeMetadata/v1';
export const SECRET_MANAGER_API = 'https://secretmanager.googleapis.com/v1';
