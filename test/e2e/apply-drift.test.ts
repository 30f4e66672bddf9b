/**
 * Issue 5, declarative planes, drift and reconcile, end to end (CLI → Temporal dev server → worker
 * process → emulator, through the official clients):
 * - bad planes.yaml files are exit 2 naming the path, with nothing started;
 * - `planes apply` of 5 agents onto nothing creates the plane and all 5 reach Ready; a file with one
 *   removed and two added plans exactly that (--dry-run, JSON), applying gets there, again plans nothing;
 * - a firewall rule deleted and another altered behind the plane's back, and a Ready agent's VM stopped
 *   by hand, are reported by `status --drift`; `planes reconcile` repairs them (rules back to their
 *   exact content, the VM running and healthy) and the drift is empty afterwards.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcpClients, type GcpClients } from '../../src/gcp/clients.js';
import type { DriftItem } from '../../src/domain/drift.js';
import { agentResourceNames, planeResourceNames } from '../../src/domain/resource-names.js';
import { planeWorkflowId } from '../../src/domain/workflow-ids.js';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import type { AgentName } from '../../src/domain/names.js';
import { startReconcileUpdate } from '../../src/workflows/drift-messages.js';
import { destroyPlaneUpdate, planeStatusQuery, removeAgentUpdate } from '../../src/workflows/plane-messages.js';
import type { reconcilePlane } from '../../src/workflows/reconcile-plane.js';
import { startUpgradeUpdate } from '../../src/workflows/upgrade-messages.js';
import { parseJson as json } from '../setup/cli.js';
import { agentGrants, agentResourceKeys, expectedAgentGrants, planeResourceKeys } from './support/expectations.js';
import { E2EStack, plane as planeFixture, agent as agentFixture } from './support/stack.js';

const plane = planeFixture('decl');
const FIRST = ['alice', 'bob', 'carol', 'dave', 'erin'];
const SECOND = ['alice', 'bob', 'carol', 'dave', 'frank', 'grace'];

function manifest(agents: readonly string[], extra = ''): string {
  const rows = agents.map((a, i) => `    - { name: ${a}, owner: ${a}@example.com${i === 0 ? ', machineType: e2-medium' : ''} }`).join('\n');
  return `apiVersion: agents-plane/v1
kind: Plane
metadata: { name: ${plane.name} }
spec:
  infrastructure: { project: ${plane.project}, region: ${plane.region}, defaults: { machineType: e2-small } }
  agents:
${rows}
${extra}`;
}

interface PlanJson {
  dryRun: boolean;
  changes: number;
  plan: { plane: string; create: boolean; add: { name: string; owner: string; machineType: string }[]; remove: { name: string }[]; unchanged: string[] }[];
  applied: { plane: string; phase: string; agents: { name: string; action: string; state: string }[] }[];
}

interface DriftJson {
  planes: { name: string; inspected: boolean; agentsInspected: string[]; drift: DriftItem[] }[];
}

interface ReconcileJson {
  before: DriftItem[];
  repaired: DriftItem[];
  remaining: DriftItem[];
  failures: unknown[];
  workflowId: string;
}

let stack: E2EStack;
let dir: string;
/** The official clients without our retries or error normalisation: a person's script. */
let raw: GcpClients;

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function roster(): Promise<Record<string, string>> {
  const status = await stack.client.workflow.getHandle(planeWorkflowId(plane.name)).query(planeStatusQuery);
  return Object.fromEntries(status.agents.map((a) => [a.spec.name, a.state]));
}

async function drift(): Promise<DriftItem[]> {
  const run = await stack.cli(['planes', 'status', '--plane', plane.name, '--drift', '--json']);
  expect(run.code, run.stderr).toBe(0);
  const view = json<DriftJson>(run).planes[0]!;
  expect(view.inspected).toBe(true);
  return view.drift;
}

const instanceKey = (agent: string) => `projects/${plane.project}/zones/${plane.zone}/instances/${agentResourceNames(plane.project, plane.name, agent as never).instance}`;

beforeAll(async () => {
  stack = await E2EStack.start('decl', { latencyScale: 0.005 });
  dir = await mkdtemp(join(tmpdir(), 'apply-drift-'));
  raw = createGcpClients({ emulatorUrl: stack.emulator.url }, { resilient: false });
}, 120_000);

afterAll(async () => {
  await raw?.close();
  await stack?.stop();
});

describe('planes apply: bad files', () => {
  it.each([
    ['unknown key', 'spec.agents[0].disk', manifest(['alice']).replace('owner: alice@example.com', 'owner: alice@example.com, disk: 50')],
    ['invalid owner', 'spec.agents[2].owner', manifest(['alice', 'bob', 'carol']).replace('carol@example.com', 'carol@@example')],
    ['duplicate name', 'spec.agents[2].name', manifest(['alice', 'bob', 'alice'])],
    ['wrong apiVersion', 'apiVersion', manifest(['alice']).replace('agents-plane/v1', 'v1')],
    ['wrong kind', 'kind', manifest(['alice']).replace('kind: Plane', 'kind: Fleet')],
  ])('%s: exit 2 naming %s, nothing started', async (what, path, text) => {
    const f = await file(`bad-${what.replace(/ /g, '-')}.yaml`, text);
    const run = await stack.cli(['planes', 'apply', '-f', f, '--yes']);
    expect(run.code, run.stderr).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^error: invalid ${path.replace(/[[\].]/g, '\\$&')}: `));
    if (what === 'invalid owner') {
      const asJson = await stack.cli(['planes', 'apply', '-f', f, '--dry-run', '--json']);
      expect(asJson.code).toBe(2);
      expect(json<{ error: { field: string } }>(asJson).error.field).toBe(path);
    }
    expect(await stack.workflowCount()).toBe(0);
    expect(await stack.ourResources()).toEqual([]);
  });
});

describe('planes apply', () => {
  it('creates the plane and its 5 agents from nothing', async () => {
    const f = await file('first.yaml', manifest(FIRST));
    const dry = json<PlanJson>(await stack.cli(['planes', 'apply', '-f', f, '--dry-run', '--json']));
    expect(dry).toMatchObject({ dryRun: true, changes: 6, applied: [] });
    expect(dry.plan[0]).toMatchObject({ plane: plane.name, create: true, remove: [], unchanged: [] });
    expect(await stack.workflowCount()).toBe(0);

    const run = await stack.cli(['planes', 'apply', '-f', f, '--yes', '--json'], { timeoutMs: 240_000 });
    expect(run.code, run.stderr).toBe(0);
    const result = json<PlanJson>(run);
    expect(result.applied[0]!.phase).toBe('Ready');
    expect(result.applied[0]!.agents.map((a) => [a.name, a.action, a.state])).toEqual(FIRST.map((a) => [a, 'add', 'Ready']));
    expect(await roster()).toEqual(Object.fromEntries(FIRST.map((a) => [a, 'Ready'])));
    const names = (await stack.inventory()).map((r) => r.name);
    for (const key of [...planeResourceKeys(plane), ...FIRST.flatMap((a) => agentResourceKeys(plane, a as never))]) expect(names).toContain(key);
    const [vm] = await raw.instances.get({ project: plane.project, zone: plane.zone, instance: agentResourceNames(plane.project, plane.name, 'alice' as never).instance });
    expect(vm.machineType).toMatch(/\/e2-medium$/);
  }, 300_000);

  it('plans exactly one removal and two additions, carries them out, then plans nothing', async () => {
    const f = await file('second.yaml', manifest(SECOND));
    const before = await stack.inventorySignature();
    const dryRun = await stack.cli(['planes', 'apply', '-f', f, '--dry-run', '--json']);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    const dry = json<PlanJson>(dryRun);
    expect(dry).toMatchObject({ dryRun: true, changes: 3, applied: [] });
    expect(dry.plan).toEqual([
      {
        plane: plane.name,
        project: plane.project,
        region: plane.region,
        zone: plane.zone,
        create: false,
        add: [
          { name: 'frank', owner: 'frank@example.com', machineType: 'e2-small' },
          { name: 'grace', owner: 'grace@example.com', machineType: 'e2-small' },
        ],
        remove: [{ name: 'erin', owner: 'erin@example.com', machineType: 'e2-small' }],
        change: [],
        unchanged: ['alice', 'bob', 'carol', 'dave'],
      },
    ]);
    expect(await stack.inventorySignature()).toBe(before);

    const fromStdin = await stack.cli(['planes', 'apply', '-f', '-', '--dry-run', '--json'], { input: manifest(SECOND) });
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    expect(json<PlanJson>(fromStdin).plan).toEqual(dry.plan);

    const human = await stack.cli(['planes', 'apply', '-f', f, '--dry-run']);
    expect(human.stdout).toMatch(/remove agent\s+erin/);
    expect(human.stdout).toMatch(/add agent\s+frank/);

    const run = await stack.cli(['planes', 'apply', '-f', f, '--yes', '--json'], { timeoutMs: 240_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(json<PlanJson>(run).applied[0]!.agents.map((a) => [a.name, a.action, a.state])).toEqual([
      ['erin', 'remove', 'Removed'],
      ['frank', 'add', 'Ready'],
      ['grace', 'add', 'Ready'],
    ]);
    expect(await roster()).toEqual(Object.fromEntries(SECOND.map((a) => [a, 'Ready'])));
    const names = (await stack.inventory()).map((r) => r.name);
    for (const a of SECOND) for (const key of agentResourceKeys(plane, a as never)) expect(names).toContain(key);
    for (const key of agentResourceKeys(plane, 'erin' as never)) expect(names).not.toContain(key);

    const workflows = await stack.workflowCount();
    const again = json<PlanJson>(await stack.cli(['planes', 'apply', '-f', f, '--yes', '--json']));
    expect(again).toMatchObject({ changes: 0, applied: [] });
    expect(again.plan[0]).toMatchObject({ create: false, add: [], remove: [], unchanged: SECOND });
    expect(await stack.workflowCount()).toBe(workflows);
  }, 300_000);

  it('refuses an owner change before anything starts, and only plans a machine type change on --dry-run', async () => {
    const owner = await file('owner.yaml', manifest(SECOND).replace('bob@example.com', 'mallory@example.com'));
    const r1 = await stack.cli(['planes', 'apply', '-f', owner, '--yes']);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/^error: invalid spec\.agents\[1\]\.owner: agent bob already exists/);
    const vm = await file('vm.yaml', manifest(SECOND).replace('machineType: e2-medium', 'machineType: e2-standard-2'));
    const before = await stack.workflowCount();
    const r2 = await stack.cli(['planes', 'apply', '-f', vm, '--dry-run']);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stdout).toMatch(/change machineType\s+alice\s+alice@example\.com\s+e2-medium → e2-standard-2/);
    expect(await stack.workflowCount()).toBe(before);
    expect(await roster()).toEqual(Object.fromEntries(SECOND.map((a) => [a, 'Ready'])));
  });
});

describe('drift and reconcile', () => {
  const fw = planeResourceNames(plane.name);
  const firewallAttributes = async (name: string) =>
    (await stack.inventory()).find((r) => r.kind === 'compute.firewalls' && r.name.endsWith(`/${name}`))?.attributes;

  it('reports nothing on a plane as built', async () => {
    expect(await drift()).toEqual([]);
  });

  it('reports a deleted firewall rule, an altered one and a stopped Ready VM; reconcile repairs them', async () => {
    const denyIngress = await firewallAttributes(fw.firewallDenyIngress);
    const iapSsh = await firewallAttributes(fw.firewallAllowIapSsh);
    expect(denyIngress).toMatchObject({ direction: 'INGRESS', priority: 900, denied: [{ IPProtocol: 'all' }] });

    // Behind the plane's back, through the official clients: delete one rule, open SSH to the world on
    // another (same name and description, other content), stop alice's VM.
    const project = plane.project;
    const wait = (op: { latestResponse?: unknown }) =>
      raw.globalOperations.wait({ project, operation: (op.latestResponse as { name: string }).name });
    const [deleted] = await raw.firewalls.delete({ project, firewall: fw.firewallDenyIngress });
    await wait(deleted);
    const [ssh] = await raw.firewalls.get({ project, firewall: fw.firewallAllowIapSsh });
    await wait((await raw.firewalls.delete({ project, firewall: fw.firewallAllowIapSsh }))[0]);
    await wait(
      (
        await raw.firewalls.insert({
          project,
          firewallResource: { name: ssh.name, description: ssh.description, network: ssh.network, direction: 'INGRESS', priority: 1000, sourceRanges: ['0.0.0.0/0'], allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] },
        })
      )[0],
    );
    const alice = agentResourceNames(plane.project, plane.name, 'alice' as never).instance;
    const [stop] = await raw.instances.stop({ project, zone: plane.zone, instance: alice });
    await raw.zoneOperations.wait({ project, zone: plane.zone, operation: (stop.latestResponse as { name: string }).name });
    expect((await raw.instances.get({ project, zone: plane.zone, instance: alice }))[0].status).toBe('TERMINATED');

    const found = await drift();
    expect(found.map((d) => [d.agent ?? '-', d.resource, d.kind, d.repairable]).sort()).toEqual(
      [
        ['-', `firewall ${fw.firewallDenyIngress}`, 'missing', true],
        ['-', `firewall ${fw.firewallAllowIapSsh}`, 'altered', true],
        ['alice', `instance ${alice}`, 'not-running', true],
      ].sort(),
    );
    expect(found.find((d) => d.kind === 'altered')?.detail).toBe('sourceRanges: 35.235.240.0/20 → 0.0.0.0/0');
    const human = await stack.cli(['planes', 'status', '--plane', plane.name, '--drift']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('3 drift item(s)');

    const signature = await stack.inventorySignature();
    const dry = json<ReconcileJson>(await stack.cli(['planes', 'reconcile', '--plane', plane.name, '--dry-run', '--json']));
    expect(dry.before).toHaveLength(3);
    expect(await stack.inventorySignature()).toBe(signature);

    const run = await stack.cli(['planes', 'reconcile', '--plane', plane.name, '--json'], { timeoutMs: 240_000 });
    expect(run.code, run.stderr).toBe(0);
    const report = json<ReconcileJson>(run);
    expect(report.workflowId).toBe(`reconcile/${plane.name}/1`);
    expect(report.repaired).toHaveLength(3);
    expect(report.remaining).toEqual([]);
    expect(report.failures).toEqual([]);

    expect(await drift()).toEqual([]);
    expect(await firewallAttributes(fw.firewallDenyIngress)).toEqual(denyIngress);
    expect(await firewallAttributes(fw.firewallAllowIapSsh)).toEqual(iapSsh);
    expect((await raw.instances.get({ project, zone: plane.zone, instance: alice }))[0].status).toBe('RUNNING');
    const names = (await stack.inventory()).map((r) => r.name);
    expect(names).toContain(instanceKey('alice'));
    for (const a of SECOND) expect(await agentGrants(stack.gcp(), plane, agentFixture(a, `${a}@example.com`))).toEqual(expectedAgentGrants(plane, agentFixture(a, `${a}@example.com`)));
    expect(await roster()).toEqual(Object.fromEntries(SECOND.map((a) => [a, 'Ready'])));
  }, 300_000);

  it('restores a revoked owner grant, and a second reconcile finds nothing to do', async () => {
    const n = agentResourceNames(plane.project, plane.name, 'bob' as never);
    const resource = `projects/${plane.project}/serviceAccounts/${n.serviceAccountEmail}`;
    const policy = (await raw.iam.projects.serviceAccounts.getIamPolicy({ resource })).data;
    await raw.iam.projects.serviceAccounts.setIamPolicy({ resource, requestBody: { policy: { ...policy, bindings: [] } } });
    const found = await drift();
    expect(found).toEqual([
      { agent: 'bob', resource: `service account ${n.serviceAccountEmail}`, kind: 'grant', detail: 'roles/iam.serviceAccountUser missing for user:bob@example.com', repairable: true },
    ]);
    const first = json<ReconcileJson>(await stack.cli(['planes', 'reconcile', '--plane', plane.name, '--json'], { timeoutMs: 240_000 }));
    expect(first.repaired).toHaveLength(1);
    const second = json<ReconcileJson>(await stack.cli(['planes', 'reconcile', '--plane', plane.name, '--json'], { timeoutMs: 240_000 }));
    // Its own inspections found nothing before and after.
    expect(second).toMatchObject({ before: [], repaired: [], remaining: [], failures: [] });
  }, 300_000);

  it('holds removals, destroy and upgrades of the plane while a reconcile runs; a second request joins it', async () => {
    const entity = stack.client.workflow.getHandle(planeWorkflowId(plane.name));
    const started = await entity.executeUpdate(startReconcileUpdate);
    expect(started).toMatchObject({ joined: false, agents: SECOND.length });
    const refusal = async (run: () => Promise<unknown>): Promise<string | undefined> => {
      try {
        await run();
        return undefined;
      } catch (error) {
        expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
        return ((error as WorkflowUpdateFailedError).cause as ApplicationFailure).type ?? undefined;
      }
    };
    expect(await refusal(() => entity.executeUpdate(removeAgentUpdate, { args: ['bob' as AgentName] }))).toBe('RECONCILE_RUNNING');
    expect(await refusal(() => entity.executeUpdate(destroyPlaneUpdate))).toBe('RECONCILE_RUNNING');
    expect(await refusal(() => entity.executeUpdate(startUpgradeUpdate, { args: [{ toVersion: '2026.12.1' }] }))).toBe('RECONCILE_RUNNING');
    expect(await entity.executeUpdate(startReconcileUpdate)).toEqual({ ...started, joined: true });
    const report = await stack.client.workflow.getHandle<typeof reconcilePlane>(started.workflowId).result();
    expect(report).toMatchObject({ before: [], repaired: [], remaining: [], failures: [] });
    expect(await roster()).toEqual(Object.fromEntries(SECOND.map((a) => [a, 'Ready'])));
  }, 120_000);

  it('exits 1 when an agent of the plan fails (rolled back), and a later apply adds it again', async () => {
    const f = await file('third.yaml', manifest([...SECOND, 'henry']));
    await stack.setFaults([{ method: 'iam.serviceAccounts.create', kind: 'permissionDenied', count: 1000 }]);
    const failed = await stack.cli(['planes', 'apply', '-f', f, '--yes', '--json'], { timeoutMs: 240_000 });
    await stack.setFaults([]);
    expect(failed.code, failed.stderr).toBe(1);
    const error = json<{ error: { code: string; message: string } }>(failed).error;
    expect(error.code).toBe('APPLY_FAILED');
    expect(error.message).toMatch(/^1 of 1 change\(s\) failed: add decl\/henry \(PERMISSION_DENIED: /);
    expect((await roster()).henry).toBe('Failed');
    const names = (await stack.inventory()).map((r) => r.name);
    for (const key of agentResourceKeys(plane, 'henry' as never)) expect(names).not.toContain(key);

    const retry = await stack.cli(['planes', 'apply', '-f', f, '--yes', '--json'], { timeoutMs: 240_000 });
    expect(retry.code, retry.stderr).toBe(0);
    expect(json<PlanJson>(retry).applied[0]!.agents).toEqual([{ name: 'henry', action: 'add', state: 'Ready' }]);
    expect((await roster()).henry).toBe('Ready');
  }, 300_000);

  it('destroys the plane and leaves nothing', async () => {
    const destroyed = await stack.cli(['planes', 'destroy', '--plane', plane.name, '--force', '--json'], { timeoutMs: 240_000 });
    expect(destroyed.code, destroyed.stderr).toBe(0);
    expect(await stack.ourResources()).toEqual([]);
  }, 300_000);
});
