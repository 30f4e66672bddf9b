/**
 * The systemd units the startup script installs on an agent's VM: the OpenClaw gateway, the heartbeat
 * (a timer and its one-shot service) and the version follower. Built from constants and validated
 * integers only, so their text never carries user input.
 */
import {
  GUEST_PATHS,
  GUEST_PROGRAMS,
  GUEST_UNITS,
  OPENCLAW_CONFIG_PATH,
  OPENCLAW_HOME,
  OPENCLAW_STATE_DIR,
  OPENCLAW_USER,
} from './guest-layout.js';

export interface UnitFile {
  /** File name under /etc/systemd/system. */
  readonly name: string;
  readonly text: string;
}

function unit(name: string, sections: Record<string, readonly string[]>): UnitFile {
  const text = Object.entries(sections)
    .map(([section, lines]) => [`[${section}]`, ...lines].join('\n'))
    .join('\n\n');
  return { name, text: `${text}\n` };
}

const OPENCLAW_ENTRY = `${GUEST_PATHS.openclawCurrent}/lib/node_modules/openclaw/openclaw.mjs`;

/**
 * The gateway as a system unit under the dedicated user. Lifecycle keys follow the policy OpenClaw
 * renders for its own units (dist/systemd-unit-*.mjs SYSTEMD_FIXED_POLICY, docs/gateway/index.md): it
 * drains for up to 315 s on stop (TimeoutStopSec=330), exits 78 on an invalid config
 * (RestartPreventExitStatus stops a restart loop), needs KillMode=mixed so the stop signal reaches only
 * the gateway first, and exits 0 after a supervisor-owned restart, hence Restart=always rather than
 * on-failure. Not enabled at boot: the startup script starts it once secrets and config are fresh.
 */
export function gatewayUnit(): UnitFile {
  return unit(GUEST_UNITS.gateway, {
    Unit: [
      'Description=OpenClaw gateway (Agents Plane agent)',
      'After=network-online.target',
      'Wants=network-online.target',
      'StartLimitBurst=10',
      'StartLimitIntervalSec=300',
    ],
    Service: [
      'Type=simple',
      `User=${OPENCLAW_USER}`,
      `Group=${OPENCLAW_USER}`,
      `WorkingDirectory=${OPENCLAW_HOME}`,
      `Environment=HOME=${OPENCLAW_HOME}`,
      `Environment=OPENCLAW_STATE_DIR=${OPENCLAW_STATE_DIR}`,
      `Environment=OPENCLAW_CONFIG_PATH=${OPENCLAW_CONFIG_PATH}`,
      // The system unit owns the lifecycle: Doctor must not install a competing user service.
      'Environment=OPENCLAW_SERVICE_REPAIR_POLICY=external',
      `Environment=PATH=${GUEST_PATHS.node}/bin:/usr/local/bin:/usr/bin:/bin`,
      // Root-only file; systemd reads it before dropping privileges, so the user itself cannot.
      `EnvironmentFile=${GUEST_PATHS.envFile}`,
      `ExecStart=${GUEST_PATHS.node}/bin/node ${OPENCLAW_ENTRY} gateway run`,
      'Restart=always',
      'RestartSec=5',
      'RestartPreventExitStatus=78',
      'TimeoutStartSec=30',
      'TimeoutStopSec=330',
      'SuccessExitStatus=0 143',
      'OOMPolicy=continue',
      'KillMode=mixed',
      'UMask=0077',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ProtectHome=yes',
      'PrivateTmp=yes',
      'PrivateDevices=yes',
      `ReadWritePaths=${OPENCLAW_HOME}`,
      'ProtectKernelTunables=yes',
      'ProtectKernelModules=yes',
      'ProtectKernelLogs=yes',
      'ProtectControlGroups=yes',
      'ProtectClock=yes',
      'ProtectHostname=yes',
      'RestrictSUIDSGID=yes',
      'RestrictRealtime=yes',
      'LockPersonality=yes',
      'StandardOutput=journal',
      'StandardError=journal',
    ],
  });
}

/**
 * One heartbeat: publishes health, version and the time as guest attributes. A throwaway dynamic user:
 * it only reads /run/agents-plane and talks to the metadata server and the gateway's loopback port.
 */
export function heartbeatServiceUnit(): UnitFile {
  return unit(GUEST_UNITS.heartbeatService, {
    Unit: ['Description=Agents Plane heartbeat (guest attributes)'],
    Service: [
      'Type=oneshot',
      `ExecStart=${GUEST_PROGRAMS.heartbeat}`,
      'DynamicUser=yes',
      // Remembers the last published health between runs so only changes reach the serial console.
      'RuntimeDirectory=agents-plane-heartbeat',
      'RuntimeDirectoryPreserve=yes',
      'TimeoutStartSec=20',
      'ProtectHome=yes',
      'PrivateDevices=yes',
      'ProtectKernelTunables=yes',
      'ProtectControlGroups=yes',
      'StandardOutput=journal+console',
      'StandardError=journal+console',
    ],
  });
}

/** Enabled at boot, so heartbeats ('starting') flow while the startup script is still installing. */
export function heartbeatTimerUnit(intervalSeconds: number): UnitFile {
  if (!Number.isInteger(intervalSeconds) || intervalSeconds < 1) {
    throw new RangeError(`heartbeat interval must be a positive integer number of seconds (got ${intervalSeconds})`);
  }
  return unit(GUEST_UNITS.heartbeatTimer, {
    Unit: ['Description=Agents Plane heartbeat every interval'],
    Timer: [
      'OnActiveSec=1s',
      `OnUnitActiveSec=${intervalSeconds}s`,
      'AccuracySec=1s',
      `Unit=${GUEST_UNITS.heartbeatService}`,
    ],
    Install: ['WantedBy=timers.target'],
  });
}

/**
 * Follows the `agents-plane-agent-version` metadata key and upgrades in place. Root, because it
 * installs software and restarts the gateway. Started by the startup script after the first install.
 */
export function versionFollowerUnit(): UnitFile {
  return followerUnit(GUEST_UNITS.versionFollower, 'Agents Plane version follower (metadata agents-plane-agent-version)', GUEST_PROGRAMS.followVersion);
}

/** Follows the runtime profile in metadata (agents-plane-follow-runtime); started by the startup script. */
export function runtimeFollowerUnit(): UnitFile {
  return followerUnit(GUEST_UNITS.runtimeFollower, 'Agents Plane runtime follower (metadata agents-plane-openclaw-runtime)', GUEST_PROGRAMS.followRuntime);
}

/** A long-running root program that waits on a metadata key and acts on its changes. */
function followerUnit(name: string, description: string, program: string): UnitFile {
  return unit(name, {
    Unit: [`Description=${description}`, 'After=network-online.target', 'Wants=network-online.target'],
    Service: [
      'Type=simple',
      `ExecStart=${program}`,
      'Restart=always',
      'RestartSec=10',
      'ProtectHome=yes',
      'PrivateTmp=yes',
      'StandardOutput=journal+console',
      'StandardError=journal+console',
    ],
  });
}

/** How often agents-plane-report asks OpenClaw for spend and channel states. */
export const REPORT_INTERVAL_SECONDS = 60;

/**
 * agents-plane-report (guest-report-program.ts): root, because it writes /run/agents-plane and reads
 * the gateway token from the root-only env file (systemd reads it; the program passes it to OpenClaw's
 * CLI in the environment, never in argv). The CLI itself runs as the openclaw user.
 */
export function reportServiceUnit(): UnitFile {
  return unit(GUEST_UNITS.reportService, {
    Unit: ['Description=Agents Plane spend and channel report (from OpenClaw)'],
    Service: [
      'Type=oneshot',
      `ExecStart=${GUEST_PROGRAMS.report}`,
      `EnvironmentFile=${GUEST_PATHS.envFile}`,
      // Two bounded OpenClaw calls and their parsing.
      'TimeoutStartSec=120',
      'PrivateTmp=yes',
      'ProtectHome=yes',
      'StandardOutput=journal',
      'StandardError=journal',
    ],
  });
}

/** Started by the startup script once the gateway has been started (not at boot: it needs the gateway). */
export function reportTimerUnit(): UnitFile {
  return unit(GUEST_UNITS.reportTimer, {
    Unit: ['Description=Agents Plane spend and channel report every minute'],
    Timer: ['OnActiveSec=5s', `OnUnitActiveSec=${REPORT_INTERVAL_SECONDS}s`, `Unit=${GUEST_UNITS.reportService}`],
  });
}

export function agentUnits(heartbeatIntervalSeconds: number): readonly UnitFile[] {
  return [gatewayUnit(), heartbeatServiceUnit(), heartbeatTimerUnit(heartbeatIntervalSeconds), versionFollowerUnit(), runtimeFollowerUnit(), reportServiceUnit(), reportTimerUnit()];
}
