/**
 * The emulator's core, through the official clients and its admin endpoints: request validation
 * against the clients' own schemas, what gax sends ($alt, numeric enums), error shapes per API, fault
 * injection by count, by rate and by glob (including operations that end DONE with an error), the call
 * log, the latency model (slow operations, instant at scale 0), per-project rate quotas, reset, the
 * inventory, and the state file (in-flight operations complete after a restart).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcpClients, type GcpClients } from '../../src/gcp/clients.js';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.js';
import { computeFailure } from './support/compute-failure.js';
import { createNetwork, createServiceAccount, done, instanceBody, type Operation } from './support/compute-fixtures.js';
import { failure } from './support/google-failure.js';

const PROJECT = 'core-suite';
const ZONE = 'us-central1-a';

let emulator: EmulatorHandle;
let gcp: GcpClients;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, latencyScale: 0.001, seed: 42 });
  gcp = createGcpClients({ emulatorUrl: emulator.url }, { resilient: false });
  await done(gcp, PROJECT, (await gcp.networks.insert({ project: PROJECT, networkResource: { name: 'core-vpc', autoCreateSubnetworks: false } }))[0]);
});

afterAll(async () => {
  await gcp?.close();
  await emulator?.close();
});

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${emulator.url}/__emulator${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

async function raw(method: string, path: string, body?: unknown, base = emulator.url): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  return { status: res.status, json: await res.json() };
}

describe('request bodies, checked against the clients’ schemas', () => {
  // The official clients drop unknown fields before sending, so these go over plain HTTP.
  it('rejects an unknown field with 400 INVALID_ARGUMENT in GCP’s words', async () => {
    const r = await raw('POST', `/compute/v1/projects/${PROJECT}/global/networks`, { name: 'x-vpc', autoCreateSubnetworks: false, foo: 1 });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toBe('Invalid JSON payload received. Unknown name "foo" at \'network\': Cannot find field.');
    expect(r.json.error.errors[0]).toMatchObject({ reason: 'invalid', domain: 'global' });
    const nested = await raw('POST', `/compute/v1/projects/${PROJECT}/zones/${ZONE}/instances`, { name: 'vm', disks: [{ boot: true, initializeParams: { sizeGb: 10 } }] });
    expect(nested.json.error.message).toBe('Invalid JSON payload received. Unknown name "sizeGb" at \'instance.disks[0].initialize_params\': Cannot find field.');
    const sm = await raw('POST', `/v1/projects/${PROJECT}/secrets?secretId=s`, { replication: { automatic: {} }, colour: 'red' });
    expect(sm.json.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect(sm.json.error.message).toContain('Unknown name "colour"');
  });

  it('rejects a mistyped value, and a body that is not JSON', async () => {
    const r = await raw('POST', `/compute/v1/projects/${PROJECT}/global/networks`, { name: 'x-vpc', autoCreateSubnetworks: 'no' });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toBe('Invalid value at \'network.auto_create_subnetworks\' (TYPE_BOOL), "no"');
    const notJson = await raw('POST', `/compute/v1/projects/${PROJECT}/global/networks`, '{name:');
    expect(notJson.status).toBe(400);
    expect(notJson.json.error.message).toContain('Invalid JSON payload received.');
  });

  it('accepts what gax adds to the query ($alt=json;enum-encoding=int, $prettyPrint=0)', async () => {
    const r = await raw('GET', `/compute/v1/projects/${PROJECT}/global/networks/core-vpc?$alt=json%3Benum-encoding=int&$prettyPrint=0`);
    expect(r.status).toBe(200);
    expect(r.json.name).toBe('core-vpc');
  });

  it('answers an unknown path with 404', async () => {
    const r = await raw('GET', `/compute/v1/projects/${PROJECT}/global/teapots/t`);
    expect(r.status).toBe(404);
  });
});

describe('fault injection', () => {
  it('fails the next N calls of a method (count), then lets them through, counting hits', async () => {
    emulator.setFaults([{ method: 'compute.networks.get', kind: 'internal', count: 2 }]);
    for (let i = 0; i < 2; i++) {
      const f = await computeFailure(gcp.networks.get({ project: PROJECT, network: 'core-vpc' }));
      expect(f.http).toBe(500);
      expect(f.body.error.errors?.[0]?.reason).toBe('backendError');
    }
    expect((await gcp.networks.get({ project: PROJECT, network: 'core-vpc' }))[0].name).toBe('core-vpc');
    const listed = await admin('GET', '/faults');
    expect(listed.json.rules).toEqual([{ method: 'compute.networks.get', kind: 'internal', count: 2, hits: 2, remaining: 0 }]);
    await admin('DELETE', '/faults');
  });

  it('lets the compute client absorb 503s on reads with its own retries (the call log shows them)', async () => {
    await admin('DELETE', '/calls');
    emulator.setFaults([{ method: 'compute.networks.get', kind: 'unavailable', count: 2 }]);
    expect((await gcp.networks.get({ project: PROJECT, network: 'core-vpc' }))[0].name).toBe('core-vpc');
    expect(emulator.calls()['compute.networks.get']).toBe(3);
    expect(emulator.faults()[0]).toMatchObject({ hits: 2, remaining: 0 });
    emulator.setFaults([]);
  });

  it('fails a share of calls (rate) matched by a glob', async () => {
    emulator.setFaults([{ method: 'compute.*', kind: 'rateLimited', rate: 0.5 }]);
    let failed = 0;
    for (let i = 0; i < 40; i++) {
      try {
        await gcp.networks.get({ project: PROJECT, network: 'core-vpc' });
      } catch (error) {
        expect((error as { httpStatusCode?: number }).httpStatusCode).toBe(429);
        failed++;
      }
    }
    expect(failed).toBeGreaterThan(5);
    expect(failed).toBeLessThan(35);
    expect(emulator.faults()[0]?.hits).toBe(failed);
    emulator.setFaults([]);
  });

  it('renders each kind in the shape of the API it hits', async () => {
    emulator.setFaults([{ method: '*', kind: 'permissionDenied', count: 2 }]);
    const compute = await computeFailure(gcp.networks.get({ project: PROJECT, network: 'core-vpc' }));
    expect(compute.http).toBe(403);
    expect(compute.body.error).toMatchObject({ code: 403, errors: [{ reason: 'forbidden', domain: 'global' }] });
    expect(compute.body.error.status).toBeUndefined();
    const sm = await raw('GET', `/v1/projects/${PROJECT}/secrets`);
    expect(sm.json.error).toMatchObject({ code: 403, status: 'PERMISSION_DENIED' });
    expect(sm.json.error.errors).toBeUndefined();

    const kinds = [
      ['aborted', 409, 'ABORTED'],
      ['quotaExceeded', 429, 'RESOURCE_EXHAUSTED'],
      ['invalid', 400, 'INVALID_ARGUMENT'],
      ['internal', 500, 'INTERNAL'],
      ['unavailable', 503, 'UNAVAILABLE'],
    ] as const;
    for (const [kind, http, status] of kinds) {
      emulator.setFaults([{ method: 'secretmanager.secrets.list', kind, count: 1 }]);
      const f = await failure(gcp.secrets.listSecrets({ parent: `projects/${PROJECT}` }));
      expect({ kind, http: f.http, status: f.status }).toEqual({ kind, http, status });
    }
    emulator.setFaults([{ method: 'compute.networks.get', kind: 'quotaExceeded', count: 1 }]);
    expect((await computeFailure(gcp.networks.get({ project: PROJECT, network: 'core-vpc' }))).http).toBe(403);
    emulator.setFaults([]);
  });

  it('makes a compute operation end DONE with an error (operationError), creating nothing', async () => {
    const net = await createNetwork(gcp, PROJECT, 'faulty-vpc', 'us-central1', '10.10.0.0/20');
    await admin('POST', '/faults', { rules: [{ method: 'compute.instances.insert', kind: 'operationError', count: 1 }] });
    const [started] = await gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: instanceBody(PROJECT, 'doomed', net) });
    const op = await done(gcp, PROJECT, started);
    expect(op.status).toBe('DONE');
    expect(op.httpErrorStatusCode).toBe(503);
    expect(op.httpErrorMessage).toBe('SERVICE UNAVAILABLE');
    expect(op.error?.errors?.[0]?.code).toBe('ZONE_RESOURCE_POOL_EXHAUSTED');
    expect((await computeFailure(gcp.instances.get({ project: PROJECT, zone: ZONE, instance: 'doomed' }))).http).toBe(404);
    expect((await computeFailure(gcp.disks.get({ project: PROJECT, zone: ZONE, disk: 'doomed' }))).http).toBe(404);
    // The rule was used up: the next insert works.
    await done(gcp, PROJECT, (await gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: instanceBody(PROJECT, 'doomed', net) }))[0]);
    expect((await gcp.instances.get({ project: PROJECT, zone: ZONE, instance: 'doomed' }))[0].status).toBe('RUNNING');
    expect(emulator.faults()).toEqual([{ method: 'compute.instances.insert', kind: 'operationError', count: 1, hits: 1, remaining: 0 }]);
    emulator.setFaults([]);
  });

  it('validates rules posted over HTTP, naming the field', async () => {
    const bad = await admin('POST', '/faults', { rules: [{ method: 'compute.*', kind: 'explode' }] });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/^faults: rules\[0\]\.kind: must be one of unavailable, /);
    const rate = await admin('POST', '/faults', { rules: [{ method: '*', kind: 'internal', rate: 2 }] });
    expect(rate.json.error.message).toBe('faults: rules[0].rate: must be a number from 0 to 1');
    expect((await admin('GET', '/faults')).json.rules).toEqual([]);
  });
});

describe('the call log', () => {
  it('counts every call by method id', async () => {
    await admin('DELETE', '/calls');
    await gcp.networks.get({ project: PROJECT, network: 'core-vpc' });
    await gcp.networks.get({ project: PROJECT, network: 'core-vpc' });
    await gcp.networks.list({ project: PROJECT });
    const { json } = await admin('GET', '/calls');
    expect(json.calls).toEqual({ 'compute.networks.get': 2, 'compute.networks.list': 1 });
    expect(emulator.calls()['compute.networks.get']).toBe(2);
  });
});

describe('the latency model and rate quotas (real time)', () => {
  let slow: EmulatorHandle;
  let sgcp: GcpClients;

  beforeAll(async () => {
    slow = await startEmulator({
      port: 0,
      latencyScale: 1,
      latencyJitter: false,
      latencies: {
        'compute.networks.insert': { request: { p50: 5, p95: 5 }, operation: { p50: 400, p95: 400 } },
        'compute.networks.get': { request: { p50: 1, p95: 1 } },
        'compute.globalOperations.get': { request: { p50: 1, p95: 1 } },
        'compute.globalOperations.wait': { request: { p50: 1, p95: 1 } },
      },
    });
    sgcp = createGcpClients({ emulatorUrl: slow.url }, { resilient: false });
  });

  afterAll(async () => {
    await sgcp?.close();
    await slow?.close();
  });

  it('runs a slow operation: RUNNING, the resource invisible until DONE, then there', async () => {
    const t0 = Date.now();
    const [started] = await sgcp.networks.insert({ project: PROJECT, networkResource: { name: 'slow-vpc', autoCreateSubnetworks: false } });
    const op = started.latestResponse as Operation;
    expect(op.status).toBe('RUNNING');
    expect((await computeFailure(sgcp.networks.get({ project: PROJECT, network: 'slow-vpc' }))).http).toBe(404);
    expect((await computeFailure(sgcp.networks.insert({ project: PROJECT, networkResource: { name: 'slow-vpc', autoCreateSubnetworks: false } }))).http).toBe(409);
    expect((await sgcp.globalOperations.get({ project: PROJECT, operation: op.name! }))[0].status).toBe('RUNNING');
    const [finished] = await sgcp.globalOperations.wait({ project: PROJECT, operation: op.name! });
    expect(finished.status).toBe('DONE');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(380);
    expect((await sgcp.networks.get({ project: PROJECT, network: 'slow-vpc' }))[0].name).toBe('slow-vpc');
  });

  it('limits calls per project per 60 s window: over it compute answers 403 rateLimitExceeded', async () => {
    const set = await fetch(`${slow.url}/__emulator/quotas`, { method: 'POST', body: JSON.stringify({ limits: { 'compute.reads': 3 } }) });
    expect(set.status).toBe(200);
    for (let i = 0; i < 3; i++) await sgcp.networks.get({ project: 'quota-project', network: 'x' }).catch((e: { httpStatusCode?: number }) => expect(e.httpStatusCode).toBe(404));
    const f = await computeFailure(sgcp.networks.get({ project: 'quota-project', network: 'x' }));
    expect(f.http).toBe(403);
    expect(f.body.error.errors?.[0]).toMatchObject({ reason: 'rateLimitExceeded', domain: 'usageLimits' });
    expect(f.body.error.message).toMatch(/^Quota exceeded for quota metric 'compute\.googleapis\.com\/reads' .* for consumer 'project:quota-project'\.$/);
    // Another project has its own window.
    expect((await computeFailure(sgcp.networks.get({ project: PROJECT, network: 'x' }))).http).toBe(404);
  });

  it('is instant at scale 0', async () => {
    const instant = await startEmulator({ port: 0, latencyScale: 0 });
    const igcp = createGcpClients({ emulatorUrl: instant.url }, { resilient: false });
    try {
      const t0 = Date.now();
      const op = await done(igcp, PROJECT, (await igcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: instanceBody(PROJECT, 'quick', await createNetwork(igcp, PROJECT, 'quick-vpc')) }))[0]);
      expect(op.status).toBe('DONE');
      expect(Date.now() - t0).toBeLessThan(1000);
    } finally {
      await igcp.close();
      await instant.close();
    }
  });
});

describe('inventory, reset and the state file', () => {
  it('lists every module’s resources with labels and IAM policies, never a secret payload', async () => {
    const email = await createServiceAccount(gcp, PROJECT, 'inventory-sa');
    const [secret] = await gcp.secrets.createSecret({ parent: `projects/${PROJECT}`, secretId: 'inv-secret', secret: { replication: { automatic: {} }, labels: { agent: 'inv' } } });
    const canary = 'canary-value-never-listed';
    await gcp.secrets.addSecretVersion({ parent: secret.name!, payload: { data: Buffer.from(canary) } });
    const text = await (await fetch(`${emulator.url}/__emulator/inventory`)).text();
    expect(text).not.toContain(canary);
    expect(text).not.toContain(Buffer.from(canary).toString('base64'));
    const rows = (JSON.parse(text) as { resources: { kind: string; name: string; labels: Record<string, string> }[] }).resources;
    const kinds = new Set(rows.map((r) => r.kind));
    for (const k of ['compute.networks', 'compute.subnetworks', 'compute.instances', 'compute.disks', 'iam.serviceAccounts', 'secretmanager.secrets']) expect(kinds).toContain(k);
    expect(rows.find((r) => r.name === `projects/${PROJECT}/serviceAccounts/${email}`)).toBeTruthy();
    expect(rows.find((r) => r.name === `projects/${PROJECT}/zones/${ZONE}/disks/doomed`)?.labels).toEqual({});
  });

  it('empties everything on POST /__emulator/reset', async () => {
    emulator.setFaults([{ method: 'iam.*', kind: 'internal', count: 5 }]);
    expect((await admin('POST', '/reset')).status).toBe(200);
    expect(emulator.inventory()).toEqual([]);
    expect(emulator.faults()).toEqual([]);
    expect((await admin('GET', '/calls')).json.calls).toEqual({});
  });

  it('survives a restart with a state file; an operation in flight completes after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emulator-state-'));
    const stateFile = join(dir, 'state.json');
    const latencies = { 'compute.networks.insert': { request: { p50: 1, p95: 1 }, operation: { p50: 300, p95: 300 } } };
    try {
      const first = await startEmulator({ port: 0, latencyScale: 1, latencyJitter: false, stateFile, latencies });
      const g1 = createGcpClients({ emulatorUrl: first.url }, { resilient: false });
      const [started] = await g1.networks.insert({ project: PROJECT, networkResource: { name: 'persisted-vpc', autoCreateSubnetworks: false } });
      const opName = (started.latestResponse as { name: string }).name;
      await g1.close();
      await first.close();

      const second = await startEmulator({ port: 0, latencyScale: 1, latencyJitter: false, stateFile, latencies });
      const g2 = createGcpClients({ emulatorUrl: second.url }, { resilient: false });
      try {
        const [op] = await g2.globalOperations.wait({ project: PROJECT, operation: opName });
        expect(op.status).toBe('DONE');
        expect((await g2.networks.get({ project: PROJECT, network: 'persisted-vpc' }))[0].name).toBe('persisted-vpc');
      } finally {
        await g2.close();
        await second.close();
      }
      const third = await startEmulator({ port: 0, latencyScale: 0, stateFile });
      try {
        expect(third.inventory().map((r) => r.name)).toEqual([`projects/${PROJECT}/global/networks/persisted-vpc`]);
      } finally {
        await third.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
