/**
 * The emulator's Resource Manager v3 through the official `@google-cloud/resource-manager` client
 * (google-gax 5 over REST): reading a project, and its IAM policy's read-modify-write with etags.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcpClients, type GcpClients } from '../../src/gcp/clients.js';
import { startEmulator } from '../../src/emulator/index.js';
import { projectNumberOf } from '../../src/emulator/services/project-number.js';
import { failure } from './support/google-failure.js';

const PROJECT = 'rm-suite-project';
const resource = `projects/${PROJECT}`;

let emulator: Awaited<ReturnType<typeof startEmulator>>;
let gcp: GcpClients;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, latencyScale: 0.001 });
  gcp = createGcpClients({ emulatorUrl: emulator.url }, { resilient: false });
});

afterAll(async () => {
  await gcp?.close();
  await emulator?.close();
});

describe('projects', () => {
  it('reads a project as ACTIVE, named by its number, by id or by number', async () => {
    const [project] = await gcp.projects.getProject({ name: resource });
    expect(project).toMatchObject({ name: `projects/${projectNumberOf(PROJECT)}`, projectId: PROJECT, state: 'ACTIVE' });
    const [byNumber] = await gcp.projects.getProject({ name: `projects/${projectNumberOf(PROJECT)}` });
    expect(byNumber.projectId).toBe(PROJECT);
  });

  it('answers a project the caller cannot see with 403 PERMISSION_DENIED, as GCP does', async () => {
    expect(await failure(gcp.projects.getProject({ name: 'projects/Not_A_Project' }))).toMatchObject({ http: 403, status: 'PERMISSION_DENIED' });
  });
});

describe('the project IAM policy', () => {
  it('starts empty and changes its etag on every write; a stale etag fails with 409 ABORTED', async () => {
    const [empty] = await gcp.projects.getIamPolicy({ resource });
    expect(empty.bindings ?? []).toEqual([]);

    const [written] = await gcp.projects.setIamPolicy({
      resource,
      policy: { etag: empty.etag, bindings: [{ role: 'roles/viewer', members: ['group:auditors@example.com'] }] },
    });
    expect(written.bindings).toEqual([expect.objectContaining({ role: 'roles/viewer', members: ['group:auditors@example.com'] })]);

    const [read] = await gcp.projects.getIamPolicy({ resource });
    expect(Buffer.from(read.etag as Uint8Array).equals(Buffer.from(written.etag as Uint8Array))).toBe(true);
    expect(Buffer.from(read.etag as Uint8Array).equals(Buffer.from(empty.etag as Uint8Array))).toBe(false);

    const stale = await failure(gcp.projects.setIamPolicy({ resource, policy: { etag: empty.etag, bindings: [] } }));
    expect(stale).toMatchObject({
      http: 409,
      status: 'ABORTED',
      message: 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.',
    });

    // Without an etag the write is unconditional, as GCP allows.
    const [cleared] = await gcp.projects.setIamPolicy({ resource, policy: { bindings: [] } });
    expect(cleared.bindings ?? []).toEqual([]);
  });

  it('refuses unknown roles, malformed members and a conditional binding below version 3', async () => {
    const set = (policy: object) => gcp.projects.setIamPolicy({ resource, policy });
    expect(await failure(set({ bindings: [{ role: 'roles/made.up', members: ['user:a@example.com'] }] }))).toMatchObject({
      http: 400,
      status: 'INVALID_ARGUMENT',
      message: 'Role roles/made.up is not supported for this resource.',
    });
    expect(await failure(set({ bindings: [{ role: 'roles/viewer', members: ['a@example.com'] }] }))).toMatchObject({ http: 400, status: 'INVALID_ARGUMENT' });
    const conditional = {
      role: 'roles/compute.viewer',
      members: ['user:a@example.com'],
      condition: { title: 'expires', expression: 'request.time < timestamp("2030-01-01T00:00:00Z")' },
    };
    expect(await failure(set({ version: 1, bindings: [conditional] }))).toMatchObject({ http: 400, status: 'INVALID_ARGUMENT' });

    const [v3] = await set({ version: 3, bindings: [conditional] });
    expect(v3.version).toBe(3);
    // Read without asking for version 3, the condition is hidden behind a _withcond_ role, as GCP does.
    const [v1View] = await gcp.projects.getIamPolicy({ resource });
    expect(v1View.version).toBe(1);
    expect(v1View.bindings?.[0]?.role).toMatch(/^roles\/compute\.viewer_withcond_[0-9a-f]+$/);
    const [v3View] = await gcp.projects.getIamPolicy({ resource, options: { requestedPolicyVersion: 3 } });
    expect(v3View.bindings?.[0]?.condition?.expression).toBe(conditional.condition.expression);
  });
});
