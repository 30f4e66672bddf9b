/**
 * The guest simulator: what an agent VM does once compute says it is RUNNING, in emulated time. It
 * follows the plane's startup script (src/domain/startup-script.ts) step by step, writing the same
 * lines to the serial console: boot, Node and the pinned OpenClaw version installed, secrets named in
 * metadata `agents-plane-secrets` fetched as the instance's service account (retrying while IAM has
 * not propagated; values are never logged or kept), the gateway started, then a heartbeat with
 * version and health published as guest attributes (namespace `agents-plane`) when metadata
 * enable-guest-attributes is TRUE. A new `agents-plane-agent-version` in metadata is installed in
 * place (health 'starting', then 'ok', or 'failing' for a version told to fail its health check).
 * Stop halts the guest; start and reset boot it again.
 *
 * Control (POST /__emulator/guest): `{ failingVersions: [...] }` replaces the versions whose health
 * check fails; `{ instance: "projects/p/zones/z/instances/i", heartbeat: "stop" | "resume" }` silences
 * or resumes one guest's heartbeat (the VM keeps running, and a reboot does not help: a broken agent);
 * `heartbeat: "hang"` hangs the guest until its next boot (a reset, or a stop and start, recovers it).
 *
 * Channels (channels.ts, gateway.ts): the running gateway answers sessions on loopback port 18789 (the
 * IAP tunnel's target), reports the runtime profile's channels as guest attribute `channels`, and runs
 * WhatsApp/Signal QR pairing; `{ instance, link: "whatsapp" | "signal" }` is the phone scanning the QR.
 *
 * `{ stateMigratingVersions: [...] }` replaces the versions that migrate OpenClaw's on-disk state on
 * their first start (state-format.ts): the heartbeat publishes the state's format (`state-format`), it
 * stays migrated when an older version starts again, and a snapshot taken before keeps the old format.
 */
import { GUEST_ATTRIBUTES, GUEST_NAMESPACE, HEARTBEAT_INTERVAL_SECONDS, METADATA, type GuestHealth } from '../../domain/guest-contract.js';
import { GATEWAY_PORT } from '../../domain/openclaw-config.js';
import { ApiError, type AdminRoute, type LoopbackPeer, type LoopbackSession, type ServiceContext } from '../core/contract.js';
import type { GuestHooks } from '../services/compute/env.js';
import { metadataFlag, metadataValue } from '../services/compute/instance-metadata.js';
import type { InstanceRecord } from '../services/compute/state.js';
import { writeLine, writeRaw } from './serial-console.js';
import { createChannelModel, isChannelKind } from './channels.js';
import { openGatewaySession } from './gateway.js';
import { StateFormats } from './state-format.js';
import { createGuestRuntime } from './runtime.js';

export interface GuestOptions {
  /** Emulated ms between heartbeats. Default 30 s (the guest contract's). */
  readonly heartbeatIntervalMs?: number;
  /** Floor for the real heartbeat period, so a tiny latency scale cannot flood the process. Default 250 ms. */
  readonly minHeartbeatRealMs?: number;
  /** RUNNING → the startup script starts. Default 15 s. */
  readonly bootMs?: number;
  /** Installing Node on a fresh disk. Default 40 s. */
  readonly nodeInstallMs?: number;
  /** `npm i -g openclaw@<version>`. Default 80 s (with Node: ~120 s, gcp-latency-quota.md). */
  readonly openclawInstallMs?: number;
  /** Gateway start until its health check answers. Default 5 s. */
  readonly gatewayStartMs?: number;
  /** First retry delay of a secret read denied by IAM, doubling up to `secretRetryMaxMs`. Default 5 s. */
  readonly secretRetryFirstMs?: number;
  readonly secretRetryMaxMs?: number;
  /** A secret still denied after this long is given up for this boot. Default 10 min. */
  readonly secretDeadlineMs?: number;
  /** Versions whose health check fails. */
  readonly failingVersions?: readonly string[];
  /** Versions that migrate OpenClaw's on-disk state when their gateway first starts (state-format.ts). */
  readonly stateMigratingVersions?: readonly string[];
}

const NODE_VERSION = '24.21.0';
const SCRIPT = 'google_metadata_script_runner[612]: startup-script';
const HEARTBEAT = 'agents-plane-heartbeat[901]';
const FOLLOWER = 'agents-plane-version-follower[733]';
const RUNTIME_FOLLOWER = 'agents-plane-runtime-follower[734]';

type Lookup = (project: string, zone: string, name: string) => InstanceRecord | undefined;

interface Run {
  readonly key: string;
  readonly instanceId: string;
  cancelled: boolean;
  /** Bumped when a newer boot or upgrade sequence takes over. */
  task: number;
  heartbeatStarted: boolean;
  announcedDisabled: boolean;
}

export interface GuestSimulator extends GuestHooks {
  adminRoutes(): AdminRoute[];
  close(): void;
  reset(instance: InstanceRecord): void;
  /** Forgets every running guest (emulator reset). */
  clear(): void;
  /** A client session with what listens on the guest's loopback `port` (its OpenClaw gateway). */
  loopbackConnect(i: InstanceRecord, port: number, peer: LoopbackPeer): LoopbackSession;
}

export function createGuestSimulator(ctx: ServiceContext, lookup: Lookup, options: GuestOptions = {}): GuestSimulator {
  const o = {
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_SECONDS * 1000,
    minHeartbeatRealMs: options.minHeartbeatRealMs ?? 250,
    bootMs: options.bootMs ?? 15_000,
    nodeInstallMs: options.nodeInstallMs ?? 40_000,
    openclawInstallMs: options.openclawInstallMs ?? 80_000,
    gatewayStartMs: options.gatewayStartMs ?? 5_000,
    secretRetryFirstMs: options.secretRetryFirstMs ?? 5_000,
    secretRetryMaxMs: options.secretRetryMaxMs ?? 60_000,
    secretDeadlineMs: options.secretDeadlineMs ?? 600_000,
  };
  let failingVersions = new Set(options.failingVersions ?? []);
  const stateFormats = new StateFormats(options.stateMigratingVersions);
  const runs = new Map<string, Run>();
  let closed = false;
  const channels = createChannelModel(ctx);
  // Runtime profile: rendered OpenClaw config applied and reported, spend reported (runtime.ts).
  const runtime = createGuestRuntime(ctx);

  const keyOf = (i: InstanceRecord) => `projects/${i.project}/zones/${i.zone}/instances/${i.name}`;

  /** The instance while this run is still its current one and it is RUNNING. */
  function current(run: Run): InstanceRecord | undefined {
    if (run.cancelled || closed || runs.get(run.key) !== run) return undefined;
    const [, project, , zone, , name] = run.key.split('/') as [string, string, string, string, string, string];
    const i = lookup(project, zone, name);
    return i && i.id === run.instanceId && i.status === 'RUNNING' ? i : undefined;
  }

  const log = (i: InstanceRecord, source: string, message: string) => writeLine(i.serial, i.name, source, message);
  const script = (i: InstanceRecord, message: string) => log(i, SCRIPT, `agents-plane: ${message}`);
  const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;

  /** Sleeps `ms` of emulated time; false when the run ended meanwhile. */
  async function pause(run: Run, task: number, ms: number): Promise<InstanceRecord | undefined> {
    await ctx.clock.sleep(ms);
    const i = current(run);
    return i && run.task === task ? i : undefined;
  }

  function setPhase(i: InstanceRecord, phase: InstanceRecord['guest']['phase']): void {
    i.guest.phase = phase;
    ctx.markDirty();
  }

  function healthOf(i: InstanceRecord): GuestHealth {
    if (i.guest.phase !== 'running' || !i.guest.version) return 'starting';
    return failingVersions.has(i.guest.version) ? 'failing' : 'ok';
  }

  function beat(run: Run): void {
    const i = current(run);
    if (!i) return;
    if (!i.guest.heartbeatPaused && !i.guest.hung) {
      const health = healthOf(i);
      i.guest.health = health;
      if (metadataFlag(i, METADATA.enableGuestAttributes)) {
        runtime.beat(i);
        i.guestAttributes[`${GUEST_NAMESPACE}/${GUEST_ATTRIBUTES.heartbeat}`] = String(Math.floor(Date.now() / 1000));
        i.guestAttributes[`${GUEST_NAMESPACE}/${GUEST_ATTRIBUTES.health}`] = health;
        if (i.guest.version) i.guestAttributes[`${GUEST_NAMESPACE}/${GUEST_ATTRIBUTES.version}`] = i.guest.version;
        channels.publish(i);
        if (i.guest.stateFormat) i.guestAttributes[`${GUEST_NAMESPACE}/${GUEST_ATTRIBUTES.stateFormat}`] = i.guest.stateFormat;
        log(i, HEARTBEAT, `heartbeat version=${i.guest.version ?? 'none'} health=${health}`);
      } else if (!run.announcedDisabled) {
        run.announcedDisabled = true;
        log(i, HEARTBEAT, `heartbeat not published: guest attributes are disabled (metadata ${METADATA.enableGuestAttributes} is not TRUE)`);
      }
    }
    const realMs = Math.max(o.heartbeatIntervalMs * ctx.config.latencyScale, o.minHeartbeatRealMs);
    const next = ctx.clock.sleepReal ? ctx.clock.sleepReal(realMs) : ctx.clock.sleep(o.heartbeatIntervalMs);
    void next.then(() => beat(run));
  }

  function startHeartbeat(run: Run): void {
    if (run.heartbeatStarted) return;
    run.heartbeatStarted = true;
    beat(run);
  }

  async function installOpenclaw(run: Run, task: number, i: InstanceRecord, version: string): Promise<InstanceRecord | undefined> {
    if (i.guest.installed.includes(version)) {
      script(i, `OpenClaw ${version} is already installed`);
      return i;
    }
    script(i, `installing OpenClaw ${version} (npm i -g openclaw@${version})`);
    const after = await pause(run, task, o.openclawInstallMs);
    if (!after) return undefined;
    after.guest.installed.push(version);
    script(after, `OpenClaw ${version} installed`);
    return after;
  }

  /** Reads one secret the way the boot script does: retry while denied, skip when there is no version. */
  async function fetchSecret(run: Run, task: number, name: string, member: string): Promise<InstanceRecord | undefined> {
    let delay = o.secretRetryFirstMs;
    let waited = 0;
    for (;;) {
      const i = current(run);
      if (!i || run.task !== task) return undefined;
      if (ctx.services.canAccessSecret(name, member)) {
        // Read in-process (never over HTTP, never logged, never kept): the guest only needs to have it.
        const payload = ctx.services.readSecretForGuest(name, member);
        if (payload === undefined) script(i, `secret ${name} has no version yet; skipped (set it with planes secrets set, then restart the agent)`);
        else script(i, `secret ${name}: fetched`);
        if (payload !== undefined) channels.secretLoaded(i, name, payload);
        const version = payload === undefined ? undefined : ctx.services.secretVersionForGuest(name, member);
        if (version !== undefined) i.guest.secretVersions = { ...i.guest.secretVersions, [name]: version };
        return i;
      }
      if (waited + delay > o.secretDeadlineMs) {
        script(i, `secret ${name}: still permission denied after ${seconds(o.secretDeadlineMs)}; giving up for this boot`);
        return i;
      }
      script(i, `secret ${name}: permission denied (normal for a few minutes while the IAM grant propagates); retrying in ${seconds(delay)}`);
      if (!(await pause(run, task, delay))) return undefined;
      waited += delay;
      delay = Math.min(delay * 2, o.secretRetryMaxMs);
    }
  }

  async function startGateway(run: Run, task: number, i: InstanceRecord, version: string): Promise<InstanceRecord | undefined> {
    script(i, `starting the OpenClaw gateway ${version}`);
    const after = await pause(run, task, o.gatewayStartMs);
    if (!after) return undefined;
    after.guest.version = version;
    const stateFormat = stateFormats.afterStart(after.guest.stateFormat, version);
    if (after.guest.stateFormat && stateFormat !== after.guest.stateFormat) {
      script(after, `OpenClaw ${version} migrated its state directory (format ${after.guest.stateFormat} -> ${stateFormat})`);
    }
    after.guest.stateFormat = stateFormat;
    setPhase(after, 'running');
    const health = healthOf(after);
    after.guest.health = health;
    if (health === 'failing') script(after, 'the gateway did not become healthy; the heartbeat reports failing until it does');
    else script(after, `gateway ${version} healthy`);
    return after;
  }

  async function boot(run: Run): Promise<void> {
    const task = ++run.task;
    let i = current(run);
    if (!i) return;
    setPhase(i, 'booting');
    writeRaw(i.serial, 'SeaBIOS (version 1.8.2-google)\nBooting from Hard Disk 0...\n[    0.000000] Linux version 6.1.0-28-cloud-amd64 (debian-kernel@lists.debian.org)');
    log(i, 'systemd[1]', 'Started google-guest-agent.service - Google Compute Engine Guest Agent.');
    i = await pause(run, task, o.bootMs);
    if (!i) return;
    log(i, 'google_metadata_script_runner[612]', 'Starting startup scripts (version 20241205.00).');
    const version = metadataValue(i, METADATA.agentVersion);
    if (!metadataValue(i, METADATA.startupScript) || !version) {
      log(i, 'google_metadata_script_runner[612]', 'No startup scripts to run.');
      setPhase(i, 'running');
      return;
    }
    log(i, 'google_metadata_script_runner[612]', 'Found startup-script in metadata.');
    const agent = metadataValue(i, METADATA.agent) ?? i.name;
    const plane = metadataValue(i, METADATA.plane) ?? '';
    script(i, `bootstrap of agent ${agent} (plane ${plane}, project ${i.project}) starting`);
    // The heartbeat timer is installed first: it reports 'starting' while the rest runs.
    startHeartbeat(run);
    setPhase(i, 'installing');
    if (i.guest.nodeInstalled) {
      script(i, `Node ${NODE_VERSION} is already installed`);
    } else {
      script(i, `installing Node ${NODE_VERSION} (official linux-x64 build, SHA-256 pinned)`);
      i = await pause(run, task, o.nodeInstallMs);
      if (!i) return;
      i.guest.nodeInstalled = true;
      script(i, 'creating the system user openclaw');
    }
    i = await installOpenclaw(run, task, i, version);
    if (!i) return;
    setPhase(i, 'fetching-secrets');
    const member = `serviceAccount:${i.serviceAccounts[0]?.email ?? ''}`;
    const names = (metadataValue(i, METADATA.secretNames) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    for (const name of names) {
      i = await fetchSecret(run, task, name, member);
      if (!i) return;
    }
    setPhase(i, 'starting-gateway');
    script(i, 'applying the plane-managed OpenClaw config (loopback bind, token auth)');
    const booting = i;
    const profile = runtime.pending(booting, true);
    if (profile) runtime.apply(booting, profile, (m) => script(booting, m));
    i = await startGateway(run, task, i, version);
    if (!i) return;
    script(i, `bootstrap complete: heartbeat every ${seconds(o.heartbeatIntervalMs)} to guest attributes ${GUEST_NAMESPACE}/{${Object.values(GUEST_ATTRIBUTES).join(',')}}`);
    await followVersion(run);
  }

  /** The version follower: installs whatever version metadata asks for, until it runs. */
  async function followVersion(run: Run): Promise<void> {
    for (;;) {
      let i = current(run);
      if (!i || i.guest.phase !== 'running') return;
      const desired = metadataValue(i, METADATA.agentVersion);
      if (!desired || desired === i.guest.version) return;
      const task = ++run.task;
      log(i, FOLLOWER, `agents-plane: version change ${i.guest.version ?? 'none'} -> ${desired}`);
      setPhase(i, 'installing');
      i.guest.health = 'starting';
      i = await installOpenclaw(run, task, i, desired);
      if (!i) return;
      i = await startGateway(run, task, i, desired);
      if (!i) return;
    }
  }

  /** The runtime follower: re-applies a changed runtime config in place (config patch, gateway restart). */
  async function followRuntime(run: Run): Promise<void> {
    for (;;) {
      let i = current(run);
      if (!i || i.guest.phase !== 'running') return;
      const profile = runtime.pending(i, false);
      if (!profile) return;
      log(i, RUNTIME_FOLLOWER, `agents-plane: runtime profile change -> ${profile.digest}; restarting the gateway`);
      await ctx.clock.sleep(o.gatewayStartMs);
      i = current(run);
      if (!i || i.guest.phase !== 'running') return;
      const running = i;
      runtime.apply(running, profile, (m) => log(running, RUNTIME_FOLLOWER, `agents-plane: ${m}`));
    }
  }

  function launch(i: InstanceRecord, resumeRunning: boolean): void {
    const key = keyOf(i);
    const previous = runs.get(key);
    if (previous) previous.cancelled = true;
    const run: Run = { key, instanceId: i.id, cancelled: false, task: 0, heartbeatStarted: false, announcedDisabled: false };
    runs.set(key, run);
    if (resumeRunning) {
      startHeartbeat(run);
      void followVersion(run);
      void followRuntime(run);
    } else {
      void boot(run);
    }
  }

  function halt(i: InstanceRecord, why: string): void {
    const key = keyOf(i);
    const run = runs.get(key);
    if (run) run.cancelled = true;
    runs.delete(key);
    channels.stopped(i);
    if (i.guest.phase !== 'off') writeRaw(i.serial, `[  ${why}] reboot: Power down`);
    i.guest.phase = 'off';
    // A hang lives in the running kernel: the next boot starts clean.
    delete i.guest.hung;
    ctx.markDirty();
  }

  function instanceFrom(path: unknown): InstanceRecord {
    const m = typeof path === 'string' ? /^projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)$/.exec(path) : null;
    if (!m) throw new ApiError(400, 'INVALID_ARGUMENT', 'guest: instance must be projects/<p>/zones/<z>/instances/<i>', 'invalid');
    const i = lookup(m[1]!, m[2]!, m[3]!);
    if (!i) throw new ApiError(404, 'NOT_FOUND', `guest: no instance ${String(path)}`, 'notFound');
    return i;
  }

  /** The gateway listens while the guest runs it and is not hung; otherwise the port refuses. */
  function loopbackConnect(i: InstanceRecord, port: number, peer: LoopbackPeer): LoopbackSession {
    const up = (): InstanceRecord | undefined => {
      const run = runs.get(keyOf(i));
      const now = run ? current(run) : undefined;
      return now && now.guest.phase === 'running' && !now.guest.hung ? now : undefined;
    };
    if (port !== GATEWAY_PORT || !up()) {
      throw new ApiError(502, 'UNAVAILABLE', `channel 2: open failed: connect failed: Connection refused (127.0.0.1:${port} on ${i.name})`, 'unavailable');
    }
    return openGatewaySession({ channels, live: up }, peer);
  }

  function control(body: unknown): unknown {
    const b = (body ?? {}) as { failingVersions?: unknown; stateMigratingVersions?: unknown; instance?: unknown; heartbeat?: unknown; link?: unknown };
    const known = new Set(['failingVersions', 'stateMigratingVersions', 'instance', 'heartbeat', 'link', ...runtime.controlFields]);
    for (const k of Object.keys(b)) if (!known.has(k)) throw new ApiError(400, 'INVALID_ARGUMENT', `guest: unknown field ${k}`, 'invalid');
    if (b.failingVersions !== undefined) {
      if (!Array.isArray(b.failingVersions) || b.failingVersions.some((v) => typeof v !== 'string')) {
        throw new ApiError(400, 'INVALID_ARGUMENT', 'guest: failingVersions must be a list of version strings', 'invalid');
      }
      failingVersions = new Set(b.failingVersions as string[]);
    }
    const runtimeFields = runtime.controlFields.some((f) => (b as Record<string, unknown>)[f] !== undefined);
    if (runtimeFields) return runtime.control(b, (instance) => instanceFrom(instance));
    if (b.link !== undefined) {
      // The owner's phone scanned the pairing QR the guest is showing.
      if (!isChannelKind(b.link) || b.heartbeat !== undefined) throw new ApiError(400, 'INVALID_ARGUMENT', 'guest: link must be "whatsapp" or "signal", with instance and no heartbeat', 'invalid');
      channels.link(instanceFrom(b.instance), b.link);
      return { failingVersions: [...failingVersions].sort(), stateMigratingVersions: stateFormats.versions() };
    }
    if (b.stateMigratingVersions !== undefined) stateFormats.replace(b.stateMigratingVersions);
    if (b.instance !== undefined || b.heartbeat !== undefined) {
      const m = typeof b.instance === 'string' ? /^projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)$/.exec(b.instance) : null;
      if (!m) throw new ApiError(400, 'INVALID_ARGUMENT', 'guest: instance must be projects/<p>/zones/<z>/instances/<i>', 'invalid');
      if (b.heartbeat !== 'stop' && b.heartbeat !== 'resume' && b.heartbeat !== 'hang') {
        throw new ApiError(400, 'INVALID_ARGUMENT', 'guest: heartbeat must be "stop", "resume" or "hang"', 'invalid');
      }
      const i = lookup(m[1]!, m[2]!, m[3]!);
      if (!i) throw new ApiError(404, 'NOT_FOUND', `guest: no instance ${b.instance}`, 'notFound');
      if (b.heartbeat === 'hang') {
        if (i.status !== 'RUNNING') throw new ApiError(400, 'FAILED_PRECONDITION', `guest: instance ${b.instance} is ${i.status}, not RUNNING`, 'failedPrecondition');
        i.guest.hung = true;
        writeRaw(i.serial, '[ 4242.000000] INFO: task openclaw-gateway blocked for more than 120 seconds.');
      } else {
        i.guest.heartbeatPaused = b.heartbeat === 'stop';
        if (b.heartbeat === 'resume') delete i.guest.hung;
      }
      ctx.markDirty();
    }
    return { failingVersions: [...failingVersions].sort(), stateMigratingVersions: stateFormats.versions() };
  }

  return {
    started: (i) => launch(i, false),
    stopped: (i) => halt(i, 'shutdown'),
    reset(i) {
      halt(i, 'reset');
      launch(i, false);
    },
    metadataChanged(i) {
      const run = runs.get(keyOf(i));
      if (run) void followVersion(run);
      if (run) void followRuntime(run);
    },
    restored(i) {
      if (i.status !== 'RUNNING' || i.guest.phase === 'off') return;
      launch(i, i.guest.phase === 'running');
    },
    adminRoutes: () => [
      { method: 'POST', path: '/guest', handle: (req) => ({ body: control(req.body) }) },
      { method: 'GET', path: '/guest', handle: () => ({ body: { failingVersions: [...failingVersions].sort(), stateMigratingVersions: stateFormats.versions() } }) },
      { method: 'GET', path: '/guest/runtime', handle: () => ({ body: runtime.view(lookup) }) },
    ],
    clear() {
      for (const run of runs.values()) run.cancelled = true;
      runs.clear();
      channels.clear();
    },
    loopbackConnect,
    close() {
      closed = true;
      this.clear();
    },
  };
}
