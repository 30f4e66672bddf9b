/**
 * The guest simulator, observed the way the product observes it: guest attributes and serial console
 * through the official compute client. A RUNNING agent VM boots, installs its pinned OpenClaw, fetches
 * its secrets as its service account (retrying while IAM has not propagated, never logging a value),
 * starts the gateway and heartbeats; it follows a metadata version change, reports a version told to
 * fail as failing, stops heartbeating when stopped or told to, and boots again on start and reset; its
 * state format moves when a state-migrating version starts, and a snapshot keeps the format it had.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcpClients, type GcpClients } from '../../src/gcp/clients.js';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.js';
import { GUEST_ATTRIBUTES, GUEST_NAMESPACE, METADATA } from '../../src/domain/guest-contract.js';
import { INITIAL_STATE_FORMAT, stateFormatOf } from '../../src/emulator/guest/state-format.js';
import { computeFailure } from './support/compute-failure.js';
import { createNetwork, createServiceAccount, done, instanceBody, type NetworkFixture } from './support/compute-fixtures.js';

const PROJECT = 'guest-suite';
const ZONE = 'us-central1-a';
const SECRET_VALUE = 'gw-token-value-that-must-never-show';
const V1 = '2026.1.0';
const V2 = '2026.2.0';
const BAD = '2026.3.0-bad';

let emulator: EmulatorHandle;
let gcp: GcpClients;
let net: NetworkFixture;
let email: string;

const secretName = (id: string) => `projects/${PROJECT}/secrets/${id}`;
const ref = (instance: string) => ({ project: PROJECT, zone: ZONE, instance });

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    latencyScale: 0.001,
    // A long enough install to watch 'starting'; frequent heartbeats (30 ms real).
    guest: { openclawInstallMs: 400_000, minHeartbeatRealMs: 20 },
  });
  gcp = createGcpClients({ emulatorUrl: emulator.url }, { resilient: false });
  net = await createNetwork(gcp, PROJECT, 'guest-vpc');
  email = await createServiceAccount(gcp, PROJECT, 'agent-alpha');
  for (const id of ['gw-token', 'api-key', 'late']) {
    await gcp.secrets.createSecret({ parent: `projects/${PROJECT}`, secretId: id, secret: { replication: { automatic: {} } } });
  }
  await gcp.secrets.addSecretVersion({ parent: secretName('gw-token'), payload: { data: Buffer.from(SECRET_VALUE) } });
  await gcp.secrets.addSecretVersion({ parent: secretName('late'), payload: { data: Buffer.from('late-value') } });
  for (const id of ['gw-token', 'api-key']) {
    await gcp.secrets.setIamPolicy({ resource: secretName(id), policy: { bindings: [{ role: 'roles/secretmanager.secretAccessor', members: [`serviceAccount:${email}`] }] } });
  }
});

afterAll(async () => {
  await gcp?.close();
  await emulator?.close();
});

function agentMetadata(agent: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    [METADATA.startupScript]: '#!/bin/bash\n# rendered boot script',
    [METADATA.enableOsLogin]: 'TRUE',
    [METADATA.enableGuestAttributes]: 'TRUE',
    [METADATA.agentVersion]: V1,
    [METADATA.secretNames]: ['gw-token', 'api-key', 'late'].map(secretName).join(','),
    [METADATA.plane]: 'guests',
    [METADATA.agent]: agent,
    ...extra,
  };
}

async function guest(instance: string): Promise<Record<string, string>> {
  try {
    const [attrs] = await gcp.instances.getGuestAttributes({ ...ref(instance), queryPath: `${GUEST_NAMESPACE}/` });
    return Object.fromEntries((attrs.queryValue?.items ?? []).map((i) => [i.key!, i.value!]));
  } catch (error) {
    if ((error as { httpStatusCode?: number }).httpStatusCode === 404) return {};
    throw error;
  }
}

async function serial(instance: string): Promise<string> {
  const [out] = await gcp.instances.getSerialPortOutput({ ...ref(instance), port: 1 });
  return out.contents ?? '';
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const healthIs = (instance: string, health: string, version?: string) =>
  until(`${instance} health=${health} version=${version}`, async () => {
    const g = await guest(instance);
    return g.health === health && (version === undefined || g.version === version) ? g : undefined;
  });

async function heartbeatAdvances(instance: string, ms = 1300): Promise<boolean> {
  const before = (await guest(instance)).heartbeat;
  await new Promise((r) => setTimeout(r, ms));
  return (await guest(instance)).heartbeat !== before;
}

describe('an agent VM', () => {
  it('boots, fetches its secrets as its service account (retrying while denied), starts the gateway and heartbeats', async () => {
    await done(gcp, PROJECT, (await gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: instanceBody(PROJECT, 'agent-alpha', net, { serviceAccount: email, metadata: agentMetadata('alpha') }) }))[0]);

    // While the grant on `late` is missing, the guest retries like the boot script.
    await until('a denied secret read', async () => ((await serial('agent-alpha')).includes(`secret ${secretName('late')}: permission denied`) ? true : undefined));
    await gcp.secrets.setIamPolicy({ resource: secretName('late'), policy: { bindings: [{ role: 'roles/secretmanager.secretAccessor', members: [`serviceAccount:${email}`] }] } });

    const report = await healthIs('agent-alpha', 'ok', V1);
    expect(Number(report.heartbeat)).toBeGreaterThan(Date.now() / 1000 - 60);

    const log = await serial('agent-alpha');
    for (const line of [
      'Booting from Hard Disk 0',
      'Found startup-script in metadata.',
      'agents-plane: bootstrap of agent alpha (plane guests, project guest-suite) starting',
      'agents-plane: installing Node 24.21.0',
      `agents-plane: installing OpenClaw ${V1}`,
      `agents-plane: secret ${secretName('gw-token')}: fetched`,
      `agents-plane: secret ${secretName('api-key')} has no version yet; skipped`,
      `agents-plane: secret ${secretName('late')}: fetched`,
      `agents-plane: starting the OpenClaw gateway ${V1}`,
      'agents-plane: bootstrap complete: heartbeat every 30s',
      `heartbeat version=${V1} health=ok`,
    ]) {
      expect(log).toContain(line);
    }
    expect(log).not.toContain(SECRET_VALUE);
    expect(log).not.toContain('late-value');
    // The guest reads in-process: nobody called versions.access over HTTP.
    expect(emulator.calls()['secretmanager.versions.access']).toBeUndefined();
    expect(JSON.stringify(emulator.inventory())).not.toContain(SECRET_VALUE);
  });

  it('follows a metadata version change: starting, then the new version ok', async () => {
    const [vm] = await gcp.instances.get(ref('agent-alpha'));
    const items = (vm.metadata?.items ?? []).map(({ key, value }) => ({ key: key!, value: key === METADATA.agentVersion ? V2 : value! }));
    await done(gcp, PROJECT, (await gcp.instances.setMetadata({ ...ref('agent-alpha'), metadataResource: { fingerprint: vm.metadata!.fingerprint!, items } }))[0]);
    await healthIs('agent-alpha', 'starting');
    await healthIs('agent-alpha', 'ok', V2);
    expect(await serial('agent-alpha')).toContain(`version change ${V1} -> ${V2}`);
  });

  it('reports a version told to fail its health check as failing', async () => {
    const control = await fetch(`${emulator.url}/__emulator/guest`, { method: 'POST', body: JSON.stringify({ failingVersions: [BAD] }) });
    expect(await control.json()).toEqual({ failingVersions: [BAD], stateMigratingVersions: [] });
    const [vm] = await gcp.instances.get(ref('agent-alpha'));
    const items = (vm.metadata?.items ?? []).map(({ key, value }) => ({ key: key!, value: key === METADATA.agentVersion ? BAD : value! }));
    await done(gcp, PROJECT, (await gcp.instances.setMetadata({ ...ref('agent-alpha'), metadataResource: { fingerprint: vm.metadata!.fingerprint!, items } }))[0]);
    await healthIs('agent-alpha', 'failing', BAD);
    expect(await serial('agent-alpha')).toContain('the gateway did not become healthy; the heartbeat reports failing until it does');
    // Rolling back to a good version heals it (already installed: no new install).
    const [again] = await gcp.instances.get(ref('agent-alpha'));
    const back = (again.metadata?.items ?? []).map(({ key, value }) => ({ key: key!, value: key === METADATA.agentVersion ? V2 : value! }));
    await done(gcp, PROJECT, (await gcp.instances.setMetadata({ ...ref('agent-alpha'), metadataResource: { fingerprint: again.metadata!.fingerprint!, items: back } }))[0]);
    await healthIs('agent-alpha', 'ok', V2);
    expect(await serial('agent-alpha')).toContain(`OpenClaw ${V2} is already installed`);
  });

  it('goes silent when told to, and resumes', async () => {
    const instance = `projects/${PROJECT}/zones/${ZONE}/instances/agent-alpha`;
    await emulator.admin('guest', { instance, heartbeat: 'stop' });
    expect(await heartbeatAdvances('agent-alpha')).toBe(false);
    await emulator.admin('guest', { instance, heartbeat: 'resume' });
    expect(await heartbeatAdvances('agent-alpha')).toBe(true);
    const bad = await fetch(`${emulator.url}/__emulator/guest`, { method: 'POST', body: JSON.stringify({ instance, heartbeat: 'pause' }) });
    expect(bad.status).toBe(400);
  });

  it('stops heartbeating when stopped, and boots again on start', async () => {
    await done(gcp, PROJECT, (await gcp.instances.stop(ref('agent-alpha')))[0]);
    expect(await heartbeatAdvances('agent-alpha')).toBe(false);
    expect(await serial('agent-alpha')).toContain('reboot: Power down');
    await done(gcp, PROJECT, (await gcp.instances.start(ref('agent-alpha')))[0]);
    await until('a heartbeat after start', async () => ((await heartbeatAdvances('agent-alpha', 1100)) ? true : undefined));
    await healthIs('agent-alpha', 'ok', V2);
    expect(await serial('agent-alpha')).toContain('Node 24.21.0 is already installed');
  });

  it('reboots on reset', async () => {
    const before = (await serial('agent-alpha')).split('Booting from Hard Disk 0').length;
    await done(gcp, PROJECT, (await gcp.instances.reset(ref('agent-alpha')))[0]);
    await until('a second boot in the console', async () => ((await serial('agent-alpha')).split('Booting from Hard Disk 0').length > before ? true : undefined));
    await healthIs('agent-alpha', 'ok', V2);
  });

  it('hangs when told to (no heartbeat, VM still RUNNING) and a reset recovers it', async () => {
    const instance = `projects/${PROJECT}/zones/${ZONE}/instances/agent-alpha`;
    await emulator.admin('guest', { instance, heartbeat: 'hang' });
    expect(await heartbeatAdvances('agent-alpha')).toBe(false);
    expect((await gcp.instances.get(ref('agent-alpha')))[0].status).toBe('RUNNING');
    expect(await serial('agent-alpha')).toContain('blocked for more than 120 seconds');
    await done(gcp, PROJECT, (await gcp.instances.reset(ref('agent-alpha')))[0]);
    await until('a heartbeat after the reset', async () => ((await heartbeatAdvances('agent-alpha', 1100)) ? true : undefined));
    await healthIs('agent-alpha', 'ok', V2);
  });

  it('a silenced heartbeat (a broken agent) survives a reset; a hang on a stopped VM is refused', async () => {
    const instance = `projects/${PROJECT}/zones/${ZONE}/instances/agent-alpha`;
    await emulator.admin('guest', { instance, heartbeat: 'stop' });
    const boots = (await serial('agent-alpha')).split('bootstrap complete').length;
    await done(gcp, PROJECT, (await gcp.instances.reset(ref('agent-alpha')))[0]);
    await until('the boot after the reset', async () => ((await serial('agent-alpha')).split('bootstrap complete').length > boots ? true : undefined));
    expect(await heartbeatAdvances('agent-alpha')).toBe(false);
    await emulator.admin('guest', { instance, heartbeat: 'resume' });
    expect(await heartbeatAdvances('agent-alpha')).toBe(true);
    await done(gcp, PROJECT, (await gcp.instances.stop(ref('agent-alpha')))[0]);
    const refused = await fetch(`${emulator.url}/__emulator/guest`, { method: 'POST', body: JSON.stringify({ instance, heartbeat: 'hang' }) });
    expect(refused.status).toBe(400);
    await done(gcp, PROJECT, (await gcp.instances.start(ref('agent-alpha')))[0]);
    await healthIs('agent-alpha', 'ok', V2);
  });

  it('re-reads its secrets at every boot: after a new version and a reset it runs on the new one (numbers only in the inventory)', async () => {
    const loaded = () => {
      const vm = emulator.inventory().find((r) => r.name.endsWith('/instances/agent-alpha'));
      return (vm?.attributes as { guest: { secretVersions: Record<string, number> } }).guest.secretVersions;
    };
    expect(loaded()[secretName('gw-token')]).toBe(1);
    const [added] = await gcp.secrets.addSecretVersion({ parent: secretName('gw-token'), payload: { data: Buffer.from('rotated-value-never-shown') } });
    expect(added.name).toMatch(/\/versions\/2$/);
    // Running guests keep what they read at boot.
    expect(loaded()[secretName('gw-token')]).toBe(1);
    const fetchedBefore = (await serial('agent-alpha')).split(`secret ${secretName('gw-token')}: fetched`).length;
    await done(gcp, PROJECT, (await gcp.instances.reset(ref('agent-alpha')))[0]);
    await until('the secret read again', async () => ((await serial('agent-alpha')).split(`secret ${secretName('gw-token')}: fetched`).length > fetchedBefore ? true : undefined));
    await healthIs('agent-alpha', 'ok', V2);
    expect(loaded()[secretName('gw-token')]).toBe(2);
    expect(JSON.stringify(emulator.inventory())).not.toContain('rotated-value-never-shown');
    expect(await serial('agent-alpha')).not.toContain('rotated-value-never-shown');
  });

  it('serves the console from an offset, like `planes logs --follow`', async () => {
    const [first] = await gcp.instances.getSerialPortOutput({ ...ref('agent-alpha'), port: 1 });
    const next = String(first.next);
    const [more] = await until('new console output', async () => {
      const r = await gcp.instances.getSerialPortOutput({ ...ref('agent-alpha'), port: 1, start: next });
      return r[0].contents ? r : undefined;
    });
    expect(String(more.start)).toBe(next);
    expect(more.contents).toContain('heartbeat version=');
  });

  it('publishes its state format; a state-migrating version changes it for good, and a snapshot keeps the format it was taken with', async () => {
    const MIGRATES = '2026.4.0-migrates';
    expect((await guest('agent-alpha'))[GUEST_ATTRIBUTES.stateFormat]).toBe(INITIAL_STATE_FORMAT);
    const setVersion = async (version: string) => {
      const [vm] = await gcp.instances.get(ref('agent-alpha'));
      const items = (vm.metadata?.items ?? []).map(({ key, value }) => ({ key: key!, value: key === METADATA.agentVersion ? version : value! }));
      await done(gcp, PROJECT, (await gcp.instances.setMetadata({ ...ref('agent-alpha'), metadataResource: { fingerprint: vm.metadata!.fingerprint!, items } }))[0]);
    };
    const disk = (await gcp.instances.get(ref('agent-alpha')))[0].disks![0]!.source!.split('/').pop()!;
    await done(gcp, PROJECT, (await gcp.disks.createSnapshot({ project: PROJECT, zone: ZONE, disk, snapshotResource: { name: 'alpha-before-migration' } }))[0]);

    const control = await emulator.admin('guest', { stateMigratingVersions: [MIGRATES] });
    expect(control).toMatchObject({ stateMigratingVersions: [MIGRATES] });
    await setVersion(MIGRATES);
    expect((await healthIs('agent-alpha', 'ok', MIGRATES))[GUEST_ATTRIBUTES.stateFormat]).toBe(stateFormatOf(MIGRATES));
    expect(await serial('agent-alpha')).toContain(`OpenClaw ${MIGRATES} migrated its state directory (format ${INITIAL_STATE_FORMAT} -> ${stateFormatOf(MIGRATES)})`);
    // Back on the older version: it runs, on state it did not write (no migration back).
    await setVersion(V2);
    expect((await healthIs('agent-alpha', 'ok', V2))[GUEST_ATTRIBUTES.stateFormat]).toBe(stateFormatOf(MIGRATES));

    // A VM on a disk made from the snapshot taken before finds the state as it was then.
    const body = instanceBody(PROJECT, 'agent-alpha-restored', net, { serviceAccount: email, metadata: agentMetadata('alpha-restored', { [METADATA.agentVersion]: V2 }) });
    body.disks![0]!.initializeParams = { sourceSnapshot: `projects/${PROJECT}/global/snapshots/alpha-before-migration`, diskSizeGb: '20', diskType: `zones/${ZONE}/diskTypes/pd-balanced` };
    await done(gcp, PROJECT, (await gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: body }))[0]);
    expect((await healthIs('agent-alpha-restored', 'ok', V2))[GUEST_ATTRIBUTES.stateFormat]).toBe(INITIAL_STATE_FORMAT);

    const bad = await fetch(`${emulator.url}/__emulator/guest`, { method: 'POST', body: JSON.stringify({ stateMigratingVersions: 'all' }) });
    expect(bad.status).toBe(400);
  });
});

describe('VMs the agent contract does not apply to', () => {
  it('publishes no guest attributes without enable-guest-attributes=TRUE, and says so on the console', async () => {
    const metadata = agentMetadata('quiet');
    delete metadata[METADATA.enableGuestAttributes];
    await done(gcp, PROJECT, (await gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: instanceBody(PROJECT, 'agent-quiet', net, { serviceAccount: email, metadata }) }))[0]);
    await until('the bootstrap to complete', async () => ((await serial('agent-quiet')).includes('bootstrap complete') ? true : undefined));
    expect(await serial('agent-quiet')).toContain('heartbeat not published: guest attributes are disabled');
    const f = await computeFailure(gcp.instances.getGuestAttributes({ ...ref('agent-quiet'), queryPath: `${GUEST_NAMESPACE}/` }));
    expect(f.http).toBe(404);
  });

  it('runs no agent on a VM without the startup script', async () => {
    await done(gcp, PROJECT, (await gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: instanceBody(PROJECT, 'plain-vm', net, { metadata: { [METADATA.enableGuestAttributes]: 'TRUE' } }) }))[0]);
    await until('the script runner', async () => ((await serial('plain-vm')).includes('No startup scripts to run.') ? true : undefined));
    expect(await guest('plain-vm')).toEqual({});
  });
});
