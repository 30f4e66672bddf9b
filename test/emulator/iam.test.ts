/**
 * The emulator's IAM admin API through the official `@googleapis/iam` client: service accounts (create,
 * get, list, delete), their eventual consistency, the per-project quota, and their IAM policy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcpClients, type GcpClients } from '../../src/gcp/clients.js';
import { startEmulator } from '../../src/emulator/index.js';
import { failure } from './support/google-failure.js';

/** Keeps modelled latencies to a few milliseconds. */
const LATENCY_SCALE = 0.001;
/** Emulated visibility delay: 300 ms of real time at LATENCY_SCALE, long enough to observe, short enough to wait for. */
const VISIBILITY_MS = 300_000;
const PROJECT = 'iam-suite-project';

let emulator: Awaited<ReturnType<typeof startEmulator>>;
let gcp: GcpClients;
let accounts: GcpClients['iam']['projects']['serviceAccounts'];

const emailOf = (accountId: string, project = PROJECT) => `${accountId}@${project}.iam.gserviceaccount.com`;
const nameOf = (accountId: string, project = PROJECT) => `projects/${project}/serviceAccounts/${emailOf(accountId, project)}`;

async function create(accountId: string, project = PROJECT, description = 'test account') {
  const res = await accounts.create({ name: `projects/${project}`, requestBody: { accountId, serviceAccount: { displayName: accountId, description } } });
  return res.data;
}

/** Polls like a careful client does (Terraform waits for consecutive successful reads). */
async function waitVisible(accountId: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await accounts.get({ name: nameOf(accountId) });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, latencyScale: LATENCY_SCALE, serviceAccountVisibilityMs: VISIBILITY_MS });
  gcp = createGcpClients({ emulatorUrl: emulator.url }, { resilient: false });
  accounts = gcp.iam.projects.serviceAccounts;
});

afterAll(async () => {
  await gcp?.close();
  await emulator?.close();
});

describe('service accounts', () => {
  it('creates an account with GCP\'s email, uniqueId and name, then gets, lists and deletes it', async () => {
    const created = await create('crud-account');
    expect(created).toMatchObject({
      name: nameOf('crud-account'),
      projectId: PROJECT,
      email: emailOf('crud-account'),
      displayName: 'crud-account',
      description: 'test account',
    });
    expect(created.uniqueId).toMatch(/^\d{21}$/);
    expect(created.oauth2ClientId).toBe(created.uniqueId);

    await waitVisible('crud-account');
    const byUniqueId = await accounts.get({ name: `projects/-/serviceAccounts/${created.uniqueId}` });
    expect(byUniqueId.data.email).toBe(emailOf('crud-account'));
    const listed = await accounts.list({ name: `projects/${PROJECT}` });
    expect((listed.data.accounts ?? []).map((a) => a.email)).toContain(emailOf('crud-account'));

    await accounts.delete({ name: nameOf('crud-account') });
    const gone = await failure(accounts.get({ name: nameOf('crud-account') }));
    expect(gone).toMatchObject({ http: 404, status: 'NOT_FOUND' });
    const listedAfter = await accounts.list({ name: `projects/${PROJECT}` });
    expect((listedAfter.data.accounts ?? []).map((a) => a.email)).not.toContain(emailOf('crud-account'));
  });

  it('answers a second create of the same accountId with 409 ALREADY_EXISTS in GCP\'s words', async () => {
    await create('dup-account');
    const dup = await failure(create('dup-account'));
    expect(dup).toMatchObject({
      http: 409,
      status: 'ALREADY_EXISTS',
      message: `Service account dup-account already exists within project projects/${PROJECT}.`,
    });
  });

  it('refuses an accountId outside 6–30 characters of [a-z]([-a-z0-9]*[a-z0-9])', async () => {
    for (const bad of ['short', 'Upper-case-id', '1starts-with-digit', 'ends-with-dash-', 'a'.repeat(31)]) {
      const f = await failure(create(bad));
      expect(f, bad).toMatchObject({ http: 400, status: 'INVALID_ARGUMENT' });
      expect(f.message).toContain('account ID');
    }
  });

  it('refuses a body with a field the API does not define, naming it', async () => {
    const f = await failure(
      accounts.create({
        name: `projects/${PROJECT}`,
        requestBody: { accountId: 'unknown-field', serviceAccount: { displayName: 'x', colour: 'blue' } } as never,
      }),
    );
    expect(f).toMatchObject({ http: 400, status: 'INVALID_ARGUMENT' });
    expect(f.message).toBe('Invalid JSON payload received. Unknown name "colour" at \'service_account\': Cannot find field.');
  });

  it('answers an unknown account with 404 NOT_FOUND, and with 403 under projects/- as GCP documents', async () => {
    expect(await failure(accounts.get({ name: nameOf('no-such-account') }))).toMatchObject({
      http: 404,
      status: 'NOT_FOUND',
      message: 'Unknown service account',
    });
    expect(await failure(accounts.get({ name: `projects/-/serviceAccounts/${emailOf('no-such-account')}` }))).toMatchObject({
      http: 403,
      status: 'PERMISSION_DENIED',
    });
  });

  it('keeps a new account invisible to reads and to policies for a while, then shows it', async () => {
    await create('holder-account');
    await waitVisible('holder-account');

    const started = Date.now();
    await create('fresh-account');
    expect(await failure(accounts.get({ name: nameOf('fresh-account') }))).toMatchObject({ http: 404, status: 'NOT_FOUND' });
    const listed = await accounts.list({ name: `projects/${PROJECT}`, pageSize: 100 });
    expect((listed.data.accounts ?? []).map((a) => a.email)).not.toContain(emailOf('fresh-account'));
    // A policy may not name it yet either.
    const naming = {
      resource: nameOf('holder-account'),
      requestBody: { policy: { bindings: [{ role: 'roles/iam.serviceAccountUser', members: [`serviceAccount:${emailOf('fresh-account')}`] }] } },
    };
    expect(await failure(accounts.setIamPolicy(naming))).toMatchObject({
      http: 400,
      status: 'INVALID_ARGUMENT',
      message: `Service account ${emailOf('fresh-account')} does not exist.`,
    });

    await waitVisible('fresh-account');
    expect(Date.now() - started).toBeGreaterThanOrEqual((VISIBILITY_MS * LATENCY_SCALE) / 2);
    const set = await accounts.setIamPolicy(naming);
    expect(set.data.bindings?.[0]?.members).toEqual([`serviceAccount:${emailOf('fresh-account')}`]);
  });

  it('refuses the 101st account of a project with 429 RESOURCE_EXHAUSTED and a day-long RetryInfo', async () => {
    const project = 'iam-quota-project';
    const ids = Array.from({ length: 100 }, (_, i) => `quota-account-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < ids.length; i += 20) await Promise.all(ids.slice(i, i + 20).map((id) => create(id, project)));
    const f = await failure(create('quota-account-101', project));
    expect(f).toMatchObject({ http: 429, status: 'RESOURCE_EXHAUSTED', message: 'Maximum number of service accounts on project reached.' });
    expect(f.details).toContainEqual(expect.objectContaining({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '86401s' }));
    // The quota is per project: another project still has room.
    await create('quota-account-101', 'iam-other-project');
  });
});

describe('a service account\'s IAM policy', () => {
  const account = 'policy-account';

  beforeAll(async () => {
    await create(account);
    await waitVisible(account);
  });

  it('starts empty, changes etag on every write and refuses a stale etag with 409 ABORTED', async () => {
    const empty = await accounts.getIamPolicy({ resource: nameOf(account) });
    expect(empty.data).toEqual({ etag: 'ACAB' });

    const first = await accounts.setIamPolicy({
      resource: nameOf(account),
      requestBody: { policy: { etag: empty.data.etag, bindings: [{ role: 'roles/iam.serviceAccountUser', members: ['user:bob@example.com', 'user:alice@example.com'] }] } },
    });
    expect(first.data.etag).not.toBe('ACAB');
    // GCP sorts and de-duplicates members.
    expect(first.data.bindings).toEqual([{ role: 'roles/iam.serviceAccountUser', members: ['user:alice@example.com', 'user:bob@example.com'] }]);

    const read = await accounts.getIamPolicy({ resource: nameOf(account) });
    expect(read.data).toEqual(first.data);

    const stale = await failure(
      accounts.setIamPolicy({ resource: nameOf(account), requestBody: { policy: { etag: empty.data.etag, bindings: [] } } }),
    );
    expect(stale).toMatchObject({
      http: 409,
      status: 'ABORTED',
      message: 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.',
    });

    const second = await accounts.setIamPolicy({ resource: nameOf(account), requestBody: { policy: { etag: read.data.etag, bindings: [] } } });
    expect(second.data.etag).not.toBe(first.data.etag);
    expect(second.data.bindings).toBeUndefined();
  });

  it('refuses roles not grantable on a service account, malformed members and conditions below version 3', async () => {
    const set = (policy: object) => accounts.setIamPolicy({ resource: nameOf(account), requestBody: { policy } });
    expect(await failure(set({ bindings: [{ role: 'roles/compute.osLogin', members: ['user:alice@example.com'] }] }))).toMatchObject({
      http: 400,
      status: 'INVALID_ARGUMENT',
      message: 'Role roles/compute.osLogin is not supported for this resource.',
    });
    expect(await failure(set({ bindings: [{ role: 'roles/iam.serviceAccountUser', members: ['alice@example.com'] }] }))).toMatchObject({
      http: 400,
      message: 'Policy members must be of the form "<type>:<value>".',
    });
    const conditional = {
      role: 'roles/iam.serviceAccountUser',
      members: ['user:alice@example.com'],
      condition: { title: 'until 2030', expression: 'request.time < timestamp("2030-01-01T00:00:00Z")' },
    };
    expect(await failure(set({ version: 1, bindings: [conditional] }))).toMatchObject({ http: 400, status: 'INVALID_ARGUMENT' });
    const v3 = await set({ version: 3, bindings: [conditional] });
    expect(v3.data.version).toBe(3);
    expect(v3.data.bindings?.[0]?.condition?.expression).toBe(conditional.condition.expression);
  });
});
