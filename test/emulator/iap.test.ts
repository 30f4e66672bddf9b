/**
 * The emulator's IAP tunnel-instance IAM policy over plain REST (IAP has no Node client library; the
 * project's REST client is the one the activities use): a policy needs an existing instance, a
 * port-22 condition needs version 3, etags guard the read-modify-write, and the policy goes with the
 * instance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcpClients, type GcpClients } from '../../src/gcp/clients.js';
import { startEmulator } from '../../src/emulator/index.js';
import { createNetwork, done, instanceBody, type NetworkFixture } from './support/compute-fixtures.js';
import { failure } from './support/google-failure.js';

const PROJECT = 'iap-suite-project';
const ZONE = 'us-central1-a';
const INSTANCE = 'tunnel-target';
const SSH_ONLY = { title: 'ssh-only', expression: 'destination.port == 22' };

interface Policy {
  version?: number;
  etag?: string;
  bindings?: { role: string; members: string[]; condition?: { title?: string; expression: string } }[];
}

let emulator: Awaited<ReturnType<typeof startEmulator>>;
let gcp: GcpClients;

const url = (instance: string, verb: string) => `${gcp.rest.iapBaseUrl}/v1/projects/${PROJECT}/iap_tunnel/zones/${ZONE}/instances/${instance}:${verb}`;
const getPolicy = (instance = INSTANCE, version = 3) => gcp.rest.request<Policy>('POST', url(instance, 'getIamPolicy'), { options: { requestedPolicyVersion: version } });
const setPolicy = (policy: Policy, instance = INSTANCE) => gcp.rest.request<Policy>('POST', url(instance, 'setIamPolicy'), { policy });

let net: NetworkFixture;

async function createInstance(name: string): Promise<void> {
  await done(gcp, PROJECT, (await gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: instanceBody(PROJECT, name, net, { zone: ZONE }) }))[0]);
}

async function deleteInstance(name: string): Promise<void> {
  await done(gcp, PROJECT, (await gcp.instances.delete({ project: PROJECT, zone: ZONE, instance: name }))[0]);
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, latencyScale: 0.001 });
  gcp = createGcpClients({ emulatorUrl: emulator.url }, { resilient: false });
  net = await createNetwork(gcp, PROJECT, 'iap-suite-vpc');
  await createInstance(INSTANCE);
});

afterAll(async () => {
  await gcp?.close();
  await emulator?.close();
});

describe('IAP tunnel instance policy', () => {
  it('grants the tunnel role for port 22 only under version 3, with etags guarding the write', async () => {
    const empty = await getPolicy();
    expect(empty).toEqual({ etag: 'ACAB' });

    const binding = { role: 'roles/iap.tunnelResourceAccessor', members: ['user:owner@example.com'], condition: SSH_ONLY };
    const v1 = await failure(setPolicy({ etag: empty.etag, bindings: [binding] }));
    expect(v1).toMatchObject({ http: 400, status: 'INVALID_ARGUMENT' });

    const written = await setPolicy({ etag: empty.etag, version: 3, bindings: [binding] });
    expect(written).toMatchObject({ version: 3, bindings: [binding] });
    expect(written.etag).not.toBe(empty.etag);
    expect(await getPolicy()).toEqual(written);

    const stale = await failure(setPolicy({ etag: empty.etag, version: 3, bindings: [] }));
    expect(stale).toMatchObject({ http: 409, status: 'ABORTED' });
    expect(stale.message).toContain('There were concurrent policy changes.');
  });

  it('hides conditions from a reader that does not ask for version 3, and refuses roles IAP does not grant', async () => {
    const v1View = await getPolicy(INSTANCE, 1);
    expect(v1View.version).toBe(1);
    for (const b of v1View.bindings ?? []) expect(b.condition).toBeUndefined();
    expect(v1View.bindings?.[0]?.role).toMatch(/^roles\/iap\.tunnelResourceAccessor_withcond_/);

    const f = await failure(setPolicy({ bindings: [{ role: 'roles/compute.osLogin', members: ['user:owner@example.com'] }] }));
    expect(f).toMatchObject({ http: 400, status: 'INVALID_ARGUMENT' });
    expect(f.message).toContain('Role roles/compute.osLogin is not supported for this resource.');
  });

  it('answers 404 for an instance that does not exist, and drops the policy with its instance', async () => {
    expect(await failure(getPolicy('no-such-instance'))).toMatchObject({ http: 404, status: 'NOT_FOUND' });

    await createInstance('short-lived');
    await setPolicy({ version: 3, bindings: [{ role: 'roles/iap.tunnelResourceAccessor', members: ['user:owner@example.com'], condition: SSH_ONLY }] }, 'short-lived');
    await deleteInstance('short-lived');
    expect(await failure(getPolicy('short-lived'))).toMatchObject({ http: 404, status: 'NOT_FOUND' });
    await createInstance('short-lived');
    expect(await getPolicy('short-lived')).toEqual({ etag: 'ACAB' });

    const rows = (await (await fetch(`${emulator.url}/__emulator/inventory`)).json()) as { resources?: { name: string }[] } | { name: string }[];
    const names = (Array.isArray(rows) ? rows : (rows.resources ?? [])).map((r) => r.name);
    expect(names).toContain(`projects/${PROJECT}/iap_tunnel/zones/${ZONE}/instances/${INSTANCE}`);
    expect(names).not.toContain(`projects/${PROJECT}/iap_tunnel/zones/${ZONE}/instances/short-lived`);
  });
});
