/**
 * The emulator's Secret Manager through the official `@google-cloud/secret-manager` client (gax over
 * REST, numeric enums): secrets, versions and their states, payload rules, the secret's IAM policy, and
 * the rule that a payload never shows in the admin inventory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcpClients, type GcpClients } from '../../src/gcp/clients.js';
import { startEmulator } from '../../src/emulator/index.js';
import { projectNumberOf } from '../../src/emulator/services/project-number.js';
import { crc32c } from '../../src/emulator/services/secret-manager/crc32c.js';
import { failure } from './support/google-failure.js';

const LATENCY_SCALE = 0.001;
const PROJECT = 'sm-suite-project';
const NUMBER = projectNumberOf(PROJECT);
const CANARY = 'sk-live-CANARY-payload-4f9e1c';

let emulator: Awaited<ReturnType<typeof startEmulator>>;
let gcp: GcpClients;
let sm: GcpClients['secrets'];

const secretName = (id: string) => `projects/${PROJECT}/secrets/${id}`;

async function createSecret(id: string, labels: Record<string, string> = {}) {
  const [secret] = await sm.createSecret({ parent: `projects/${PROJECT}`, secretId: id, secret: { replication: { automatic: {} }, labels } });
  return secret;
}

async function addVersion(id: string, value: string) {
  const [version] = await sm.addSecretVersion({ parent: secretName(id), payload: { data: Buffer.from(value) } });
  return version;
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, latencyScale: LATENCY_SCALE });
  gcp = createGcpClients({ emulatorUrl: emulator.url }, { resilient: false });
  sm = gcp.secrets;
});

afterAll(async () => {
  await gcp?.close();
  await emulator?.close();
});

describe('secrets', () => {
  it('creates, gets, lists (with a label filter), updates labels and deletes a secret', async () => {
    const created = await createSecret('crud-secret', { team: 'alpha' });
    expect(created).toMatchObject({ name: `projects/${NUMBER}/secrets/crud-secret`, labels: { team: 'alpha' }, replication: { automatic: {} } });
    expect(created.createTime).toBeTruthy();
    await createSecret('other-secret', { team: 'beta' });

    const [got] = await sm.getSecret({ name: secretName('crud-secret') });
    expect(got.name).toBe(created.name);
    // By project number too, as GCP accepts.
    const [byNumber] = await sm.getSecret({ name: `projects/${NUMBER}/secrets/crud-secret` });
    expect(byNumber.name).toBe(created.name);

    const [alpha] = await sm.listSecrets({ parent: `projects/${PROJECT}`, filter: 'labels.team=alpha' });
    expect(alpha.map((s) => s.name)).toEqual([created.name]);

    const [updated] = await sm.updateSecret({ secret: { name: secretName('crud-secret'), labels: { team: 'gamma' } }, updateMask: { paths: ['labels'] } });
    expect(updated.labels).toEqual({ team: 'gamma' });
    expect(updated.etag).not.toBe(created.etag);

    await sm.deleteSecret({ name: secretName('crud-secret') });
    expect(await failure(sm.getSecret({ name: secretName('crud-secret') }))).toMatchObject({
      status: 'NOT_FOUND',
      message: expect.stringContaining(`Secret [projects/${NUMBER}/secrets/crud-secret] not found.`),
    });
  });

  it('answers a duplicate create with 409 ALREADY_EXISTS in GCP\'s words', async () => {
    await createSecret('dup-secret');
    const f = await failure(createSecret('dup-secret'));
    expect(f).toMatchObject({ http: 409, status: 'ALREADY_EXISTS' });
    expect(f.message).toContain(`Secret [projects/${NUMBER}/secrets/dup-secret] already exists.`);
  });

  it('refuses invalid ids, invalid labels, a missing replication policy and unknown fields with 400', async () => {
    const parent = `projects/${PROJECT}`;
    const bad = [
      sm.createSecret({ parent, secretId: 'has space', secret: { replication: { automatic: {} } } }),
      sm.createSecret({ parent, secretId: 'x'.repeat(256), secret: { replication: { automatic: {} } } }),
      sm.createSecret({ parent, secretId: 'bad-label', secret: { replication: { automatic: {} }, labels: { Team: 'alpha' } } }),
      sm.createSecret({ parent, secretId: 'no-replication', secret: {} }),
    ];
    for (const call of bad) expect(await failure(call)).toMatchObject({ http: 400, status: 'INVALID_ARGUMENT' });

    // An unknown field can only reach the server outside the typed client: post it as GCP would receive it.
    const res = await fetch(`${emulator.url}/v1/projects/${PROJECT}/secrets?secretId=unknown-field`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ replication: { automatic: {} }, colour: 'blue' }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { status: string; message: string } };
    expect(body.error.status).toBe('INVALID_ARGUMENT');
    expect(body.error.message).toContain('colour');
  });
});

describe('secret versions', () => {
  it('adds numbered versions, accesses them (latest too) with their CRC32C, and answers enums as numbers', async () => {
    await createSecret('round-trip');
    const v1 = await addVersion('round-trip', 'first value');
    const v2 = await addVersion('round-trip', 'second value');
    expect(v1.name).toBe(`projects/${NUMBER}/secrets/round-trip/versions/1`);
    expect(v2.name).toBe(`projects/${NUMBER}/secrets/round-trip/versions/2`);
    expect(v2.state).toBe('ENABLED');

    const [latest] = await sm.accessSecretVersion({ name: `${secretName('round-trip')}/versions/latest` });
    expect(latest.name).toBe(v2.name);
    expect(Buffer.from(latest.payload!.data as Uint8Array).toString()).toBe('second value');
    expect(Number(latest.payload!.dataCrc32c)).toBe(crc32c(Buffer.from('second value')));
    const [first] = await sm.accessSecretVersion({ name: `${secretName('round-trip')}/versions/1` });
    expect(Buffer.from(first.payload!.data as Uint8Array).toString()).toBe('first value');

    // The client asks for numeric enums and decodes them: the raw answer carries numbers.
    const raw = await fetch(`${emulator.url}/v1/${secretName('round-trip')}/versions/1?$alt=json%3Benum-encoding=int`);
    expect(((await raw.json()) as { state: unknown }).state).toBe(1);
  });

  it('disables, enables and destroys versions; a disabled or destroyed version cannot be accessed', async () => {
    await createSecret('states');
    await addVersion('states', 'one');
    await addVersion('states', 'two');
    const version = (n: number | string) => `${secretName('states')}/versions/${n}`;

    const [disabled] = await sm.disableSecretVersion({ name: version(2) });
    expect(disabled.state).toBe('DISABLED');
    expect(await failure(sm.accessSecretVersion({ name: version(2) }))).toMatchObject({
      http: 400,
      status: 'FAILED_PRECONDITION',
      message: expect.stringContaining(`Secret Version [projects/${NUMBER}/secrets/states/versions/2] is in DISABLED state.`),
    });
    // `latest` is the newest version whatever its state.
    expect(await failure(sm.accessSecretVersion({ name: version('latest') }))).toMatchObject({ status: 'FAILED_PRECONDITION' });
    const [enabled] = await sm.listSecretVersions({ parent: secretName('states'), filter: 'state:ENABLED' });
    expect(enabled.map((v) => v.name)).toEqual([`projects/${NUMBER}/secrets/states/versions/1`]);

    const [reEnabled] = await sm.enableSecretVersion({ name: version(2) });
    expect(reEnabled.state).toBe('ENABLED');

    const [destroyed] = await sm.destroySecretVersion({ name: version(1) });
    expect(destroyed.state).toBe('DESTROYED');
    expect(destroyed.destroyTime).toBeTruthy();
    expect(await failure(sm.accessSecretVersion({ name: version(1) }))).toMatchObject({
      status: 'FAILED_PRECONDITION',
      message: expect.stringContaining('is in DESTROYED state.'),
    });
    expect(await failure(sm.enableSecretVersion({ name: version(1) }))).toMatchObject({ status: 'FAILED_PRECONDITION' });

    const [all] = await sm.listSecretVersions({ parent: secretName('states') });
    expect(all.map((v) => [v.name?.split('/').pop(), v.state])).toEqual([['2', 'ENABLED'], ['1', 'DESTROYED']]);
    // Paging: one version per page, the client following nextPageToken.
    const [firstPage, nextRequest] = await sm.listSecretVersions({ parent: secretName('states'), pageSize: 1 }, { autoPaginate: false });
    expect(firstPage.map((v) => v.name?.split('/').pop())).toEqual(['2']);
    expect(nextRequest?.pageToken).toBeTruthy();
    const [paged] = await sm.listSecretVersions({ parent: secretName('states'), pageSize: 1 });
    expect(paged.map((v) => v.name?.split('/').pop())).toEqual(['2', '1']);
    expect(await failure(sm.getSecretVersion({ name: version(9) }))).toMatchObject({ http: 404, status: 'NOT_FOUND' });
  });

  it('refuses a payload over 64 KiB and one whose dataCrc32c does not match', async () => {
    await createSecret('payload-rules');
    const parent = secretName('payload-rules');
    await sm.addSecretVersion({ parent, payload: { data: Buffer.alloc(64 * 1024, 1) } });
    expect(await failure(sm.addSecretVersion({ parent, payload: { data: Buffer.alloc(64 * 1024 + 1, 1) } }))).toMatchObject({
      http: 400,
      status: 'INVALID_ARGUMENT',
    });
    const data = Buffer.from('checked');
    const [ok] = await sm.addSecretVersion({ parent, payload: { data, dataCrc32c: crc32c(data) } });
    expect(ok.clientSpecifiedPayloadChecksum).toBe(true);
    expect(await failure(sm.addSecretVersion({ parent, payload: { data, dataCrc32c: crc32c(data) + 1 } }))).toMatchObject({
      http: 400,
      status: 'INVALID_ARGUMENT',
    });
  });
});

describe('the addVersion rate of 2 per second per secret', () => {
  it('answers the third add within a second with 429 RESOURCE_EXHAUSTED, and counts each secret apart', async () => {
    // At full scale: the window is one real second, which the fast suite emulator shrinks to nothing.
    const real = await startEmulator({ port: 0, latencyScale: 1 });
    const clients = createGcpClients({ emulatorUrl: real.url }, { resilient: false });
    try {
      for (const id of ['rated', 'unrated']) {
        await clients.secrets.createSecret({ parent: `projects/${PROJECT}`, secretId: id, secret: { replication: { automatic: {} } } });
      }
      const add = (id: string) => clients.secrets.addSecretVersion({ parent: secretName(id), payload: { data: Buffer.from('v') } });
      const results = await Promise.allSettled([add('rated'), add('rated'), add('rated'), add('unrated')]);
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected).toHaveLength(1);
      expect(await failure(Promise.reject(rejected[0]!.reason))).toMatchObject({ http: 429, status: 'RESOURCE_EXHAUSTED' });
      expect(results[3]!.status).toBe('fulfilled');
    } finally {
      await clients.close();
      await real.close();
    }
  });
});

describe('a secret\'s IAM policy', () => {
  it('holds grants with etags, refuses a stale etag with 409 ABORTED, unknown roles and unknown service accounts with 400', async () => {
    await createSecret('guarded');
    const resource = secretName('guarded');
    const [empty] = await sm.getIamPolicy({ resource });
    expect(empty.bindings ?? []).toEqual([]);

    const [set] = await sm.setIamPolicy({
      resource,
      policy: { etag: empty.etag, bindings: [{ role: 'roles/secretmanager.secretVersionAdder', members: ['user:owner@example.com'] }] },
    });
    expect(set.bindings).toEqual([expect.objectContaining({ role: 'roles/secretmanager.secretVersionAdder', members: ['user:owner@example.com'] })]);
    expect(Buffer.from(set.etag as Uint8Array).equals(Buffer.from(empty.etag as Uint8Array))).toBe(false);

    expect(await failure(sm.setIamPolicy({ resource, policy: { etag: empty.etag, bindings: [] } }))).toMatchObject({
      http: 409,
      status: 'ABORTED',
      message: expect.stringContaining('There were concurrent policy changes.'),
    });
    expect(await failure(sm.setIamPolicy({ resource, policy: { bindings: [{ role: 'roles/secretmanager.superUser', members: ['user:a@example.com'] }] } }))).toMatchObject({
      status: 'INVALID_ARGUMENT',
      message: expect.stringContaining('Role roles/secretmanager.superUser is not supported for this resource.'),
    });
    const ghost = `ghost-account@${PROJECT}.iam.gserviceaccount.com`;
    expect(await failure(sm.setIamPolicy({ resource, policy: { bindings: [{ role: 'roles/secretmanager.secretAccessor', members: [`serviceAccount:${ghost}`] }] } }))).toMatchObject({
      status: 'INVALID_ARGUMENT',
      message: expect.stringContaining(`Service account ${ghost} does not exist.`),
    });
  });
});

describe('the admin inventory', () => {
  it('lists secrets with labels, policy and version states, and never a payload', async () => {
    await createSecret('inventoried', { team: 'alpha' });
    await addVersion('inventoried', CANARY);
    await sm.setIamPolicy({ resource: secretName('inventoried'), policy: { bindings: [{ role: 'roles/secretmanager.secretVersionAdder', members: ['user:owner@example.com'] }] } });

    const res = await fetch(`${emulator.url}/__emulator/inventory`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain(Buffer.from(CANARY).toString('base64'));
    const rows = JSON.parse(text) as { resources?: unknown[] } | unknown[];
    const list = (Array.isArray(rows) ? rows : (rows.resources ?? [])) as { kind: string; name: string; labels: object; iamPolicy?: { bindings?: unknown[] }; attributes?: { versions?: unknown[] } }[];
    const row = list.find((r) => r.name === secretName('inventoried'));
    expect(row).toMatchObject({ kind: 'secretmanager.secrets', labels: { team: 'alpha' }, attributes: { versions: [{ version: 1, state: 'ENABLED' }] } });
    expect(row?.iamPolicy?.bindings).toHaveLength(1);
  });
});

describe('the state file', () => {
  it('keeps secrets, versions (payloads too), policies and service accounts across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sm-state-'));
    const stateFile = join(dir, 'emulator-state.json');
    const reader = `state-reader@${PROJECT}.iam.gserviceaccount.com`;
    try {
      // latencyScale 0: no modelled delays, so the account is visible at once.
      const before = await startEmulator({ port: 0, latencyScale: 0, stateFile });
      const c1 = createGcpClients({ emulatorUrl: before.url }, { resilient: false });
      await c1.iam.projects.serviceAccounts.create({ name: `projects/${PROJECT}`, requestBody: { accountId: 'state-reader' } });
      await c1.secrets.createSecret({ parent: `projects/${PROJECT}`, secretId: 'persisted', secret: { replication: { automatic: {} }, labels: { kept: 'yes' } } });
      await c1.secrets.addSecretVersion({ parent: secretName('persisted'), payload: { data: Buffer.from('first') } });
      await c1.secrets.addSecretVersion({ parent: secretName('persisted'), payload: { data: Buffer.from(CANARY) } });
      await c1.secrets.disableSecretVersion({ name: `${secretName('persisted')}/versions/1` });
      await c1.secrets.setIamPolicy({
        resource: secretName('persisted'),
        policy: { bindings: [{ role: 'roles/secretmanager.secretAccessor', members: [`serviceAccount:${reader}`] }] },
      });
      const inventoryBefore = before.inventory().filter((r) => r.kind === 'secretmanager.secrets' || r.kind === 'iam.serviceAccounts');
      await c1.close();
      await before.close();

      const after = await startEmulator({ port: 0, latencyScale: 0, stateFile });
      const c2 = createGcpClients({ emulatorUrl: after.url }, { resilient: false });
      try {
        const [latest] = await c2.secrets.accessSecretVersion({ name: `${secretName('persisted')}/versions/latest` });
        expect(Buffer.from(latest.payload!.data as Uint8Array).toString()).toBe(CANARY);
        const [v1] = await c2.secrets.getSecretVersion({ name: `${secretName('persisted')}/versions/1` });
        expect(v1.state).toBe('DISABLED');
        const [policy] = await c2.secrets.getIamPolicy({ resource: secretName('persisted') });
        expect(policy.bindings?.[0]?.members).toEqual([`serviceAccount:${reader}`]);
        const account = await c2.iam.projects.serviceAccounts.get({ name: `projects/${PROJECT}/serviceAccounts/${reader}` });
        expect(account.data.email).toBe(reader);
        expect(after.inventory().filter((r) => r.kind === 'secretmanager.secrets' || r.kind === 'iam.serviceAccounts')).toEqual(inventoryBefore);
      } finally {
        await c2.close();
        await after.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
