/**
 * What the plane and an agent's VM agree on: the instance metadata keys the startup script reads and
 * the guest attributes it publishes. The rendered startup script, the activities that read health, and
 * the emulator's guest simulator all use these names, so they cannot drift apart.
 */

/** Instance metadata keys (never carry secret values: secrets are fetched from Secret Manager). */
export const METADATA = {
  startupScript: 'startup-script',
  enableOsLogin: 'enable-oslogin',
  enableGuestAttributes: 'enable-guest-attributes',
  /** The pinned OpenClaw version the agent must run; changing it triggers an in-place upgrade. */
  agentVersion: 'agents-plane-agent-version',
  /** Comma-separated full Secret Manager names (projects/P/secrets/S) the agent reads at boot. */
  secretNames: 'agents-plane-secrets',
  plane: 'agents-plane-plane',
  agent: 'agents-plane-agent',
  /**
   * The agent's RuntimeProfile as JSON (runtime-profile.ts; no secret in it). Read at boot to render
   * OpenClaw's config; a new value is applied in place (config re-rendered, gateway restarted).
   */
  runtimeProfile: 'agents-plane-runtime',
  /**
   * The profile rendered as OpenClaw config by the plane (openclaw-config.ts), JSON
   * RenderedRuntime `{ digest, heartbeatSeconds, config }` (runtime-metadata.ts). The guest patches
   * `config` into openclaw.json and reports `{ digest, heartbeatSeconds }` back (GUEST_ATTRIBUTES.runtime).
   * Rendered by the plane, not on the VM: one renderer, pinned by unit tests against OpenClaw's schema.
   */
  openclawRuntime: 'agents-plane-openclaw-runtime',
} as const;

/** Guest attributes namespace and keys the agent publishes (instances.getGuestAttributes). */
export const GUEST_NAMESPACE = 'agents-plane';
export const GUEST_ATTRIBUTES = {
  /** Unix epoch seconds of the last heartbeat. */
  heartbeat: 'heartbeat',
  /** The OpenClaw version actually running. */
  version: 'version',
  /** 'ok' | 'failing' | 'starting'. */
  health: 'health',
  /** JSON `{ digest, heartbeatSeconds }`: the runtime profile the guest applied (digest of its JSON). */
  runtime: 'runtime',
  /** JSON `Record<ChannelKind, ChannelState>` for the profile's channels. */
  channels: 'channels',
  /** JSON ReportedSpend: tokens and estimated USD spent this month. */
  spend: 'spend',
  /**
   * The format of OpenClaw's on-disk state (config, sessions stores) as of the gateway's last start:
   * an opaque marker that changes when a version migrates the state. An upgrade compares it before and
   * after to decide whether rolling back needs the pre-upgrade snapshot or only the old version.
   */
  stateFormat: 'state-format',
} as const;

export type GuestHealth = 'ok' | 'failing' | 'starting';

/** How often the guest publishes its heartbeat. */
export const HEARTBEAT_INTERVAL_SECONDS = 30;
/** A Ready agent whose last heartbeat is older than this is reported Unhealthy. */
export const HEARTBEAT_STALE_AFTER_MS = 3 * HEARTBEAT_INTERVAL_SECONDS * 1000;
