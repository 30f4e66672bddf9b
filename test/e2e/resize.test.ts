/**
 * Issue 5 (item 6), changing an agent's machine type, end to end (real CLI → Temporal dev server →
 * worker process → emulator, read back through the official clients):
 * - `planes apply` of a file whose agent's machineType changed plans exactly that change (--dry-run
 *   starts nothing), carries it out in place (same instance id and boot disk, the new type, Ready, cost on
 *   the new type), and then plans nothing;
 * - `planes resize-agent` resizes one agent; with a bad --vm-type or an unknown agent it exits 2 naming
 *   the flag, with nothing started;
 * - a fault on setMachineType (POST /__emulator/faults), and one on the start after the type changed,
 *   roll back: the old type, the VM running, the agent Ready (with the error), exit 1.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateAgentMonthlyCost } from '../../src/domain/cost.js';
import type { AgentName } from '../../src/domain/names.js';
import { agentResourceNames } from '../../src/domain/resource-names.js';
import { planeWorkflowId } from '../../src/domain/workflow-ids.js';
import { planeStatusQuery, type RosterEntry } from '../../src/workflows/plane-messages.js';
import { parseJson as json } from '../setup/cli.js';
import { E2EStack, plane as planeFixture } from './support/stack.js';
import { expectBadInput } from './support/bad-input.js';

const plane = planeFixture('resize');
const ADA = 'ada' as AgentName;
const BOB = 'bob' as AgentName;

let stack: E2EStack;
let dir: string;

function manifest(types: { ada: string; bob: string }): string {
  return `apiVersion: agents-plane/v1
kind: Plane
metadata: { name: ${plane.name} }
spec:
  infrastructure: { project: ${plane.project}, region: ${plane.region}, defaults: { machineType: e2-small } }
  agents:
    - { name: ada, owner: ada@example.com, machineType: ${types.ada} }
    - { name: bob, owner: bob@example.com, machineType: ${types.bob} }
`;
}

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function roster(a: AgentName): Promise<RosterEntry> {
  const status = await stack.client.workflow.getHandle(planeWorkflowId(plane.name)).query(planeStatusQuery);
  return status.agents.find((e) => e.spec.name === a)!;
}

/** The agent's VM as compute describes it (the official client). */
async function vm(a: AgentName) {
  const [instance] = await stack.gcp().instances.get({ project: plane.project, zone: plane.zone, instance: agentResourceNames(plane.project, plane.name, a).instance });
  return { id: instance.id, status: instance.status, machineType: instance.machineType?.split('/').pop(), bootDisk: instance.disks?.find((d) => d.boot)?.source };
}

/** Resize workflows ever started for `a`. */
async function resizesOf(a: AgentName): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of stack.client.workflow.list({ query: `TaskQueue = '${stack.taskQueue}' AND WorkflowId STARTS_WITH 'agent/${plane.name}/${a}/resize/'` })) ids.push(w.workflowId);
  return ids.sort();
}

async function faults(body: unknown, method = 'POST'): Promise<void> {
  const res = await fetch(`${stack.emulator.url}/__emulator/faults`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  expect(res.status, await res.text()).toBe(200);
}

interface ApplyJson {
  dryRun: boolean;
  changes: number;
  plan: { add: unknown[]; remove: unknown[]; change: { name: string; owner: string; field: string; from: string; to: string }[]; unchanged: string[] }[];
  applied: { plane: string; agents: { name: string; action: string; state: string }[] }[];
}

interface ResizeJson {
  plane: string;
  operation: string;
  agents: { name: string; state: string; operationId: string | null; joined: boolean; error: string | null }[];
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'resize-e2e-'));
  stack = await E2EStack.start('resize', { latencyScale: 0.005 });
  const f = await file('first.yaml', manifest({ ada: 'e2-small', bob: 'e2-small' }));
  const r = await stack.cli(['planes', 'apply', '-f', f, '--yes', '--boot-timeout', '30s', '--json'], { timeoutMs: 240_000 });
  expect(r.code, r.stderr).toBe(0);
  expect((await roster(ADA)).state).toBe('Ready');
  expect((await roster(BOB)).state).toBe('Ready');
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

describe('changing an agent machine type', { timeout: 240_000 }, () => {
  it('refuses a bad --vm-type or an unknown agent with exit 2 naming the flag, starting nothing', async () => {
    const bad = await stack.cli(['planes', 'resize-agent', '--plane', plane.name, '--name', ADA, '--vm-type', 'e2-gigantic']);
    expectBadInput(bad, '--vm-type');
    expect(bad.stderr).toMatch(/unknown machine type "e2-gigantic"/);
    expectBadInput(await stack.cli(['planes', 'resize-agent', '--plane', plane.name, '--name', 'nobody', '--vm-type', 'e2-medium']), '--name');
    const j = await stack.cli(['planes', 'resize-agent', '--plane', plane.name, '--name', ADA, '--vm-type', 'x1-huge', '--json']);
    expect(j.code).toBe(2);
    expect(json<{ error: { code: string; field: string } }>(j).error).toMatchObject({ code: 'INVALID_INPUT', field: '--vm-type' });
    expect(await resizesOf(ADA)).toEqual([]);
    expect((await vm(ADA)).machineType).toBe('e2-small');
  });

  it('plans exactly the machine type change, carries it out in place, then plans nothing', async () => {
    const before = await vm(ADA);
    expect(before).toMatchObject({ status: 'RUNNING', machineType: 'e2-small' });
    const f = await file('second.yaml', manifest({ ada: 'e2-medium', bob: 'e2-small' }));

    const dryRun = await stack.cli(['planes', 'apply', '-f', f, '--dry-run', '--json']);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    const dry = json<ApplyJson>(dryRun);
    expect(dry).toMatchObject({ dryRun: true, changes: 1, applied: [] });
    expect(dry.plan[0]).toMatchObject({ add: [], remove: [], unchanged: ['bob'] });
    expect(dry.plan[0]!.change).toEqual([{ name: 'ada', owner: 'ada@example.com', field: 'machineType', from: 'e2-small', to: 'e2-medium' }]);
    const human = await stack.cli(['planes', 'apply', '-f', f, '--dry-run']);
    expect(human.stdout).toMatch(/change machineType\s+ada\s+ada@example\.com\s+e2-small → e2-medium/);
    expect(human.stdout).toMatch(/1 change\(s\), 1 agent\(s\) unchanged/);
    expect(await resizesOf(ADA)).toEqual([]);
    expect(await vm(ADA)).toEqual(before);

    const run = await stack.cli(['planes', 'apply', '-f', f, '--yes', '--json'], { timeoutMs: 180_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(json<ApplyJson>(run).applied[0]!.agents).toEqual([{ name: 'ada', action: 'change', state: 'Ready' }]);

    // The same instance and disk, not a new one: resized in place.
    expect(await vm(ADA)).toEqual({ ...before, machineType: 'e2-medium' });
    const entry = await roster(ADA);
    expect(entry).toMatchObject({ state: 'Ready', spec: { machineType: 'e2-medium' } });
    expect(entry.lastError).toBeUndefined();
    expect(entry.resizingTo).toBeUndefined();
    expect(await resizesOf(ADA)).toEqual([`agent/${plane.name}/ada/resize/1`]);

    // Status and its cost follow the new type.
    const status = await stack.cli(['planes', 'status', '--plane', plane.name, '--json']);
    const row = json<{ planes: { agents: { name: string; vmType: string; monthlyCostUsd: number }[] }[] }>(status).planes[0]!.agents.find((a) => a.name === 'ada')!;
    expect(row.vmType).toBe('e2-medium');
    expect(row.monthlyCostUsd).toBe(estimateAgentMonthlyCost({ machineType: 'e2-medium', paused: false }).totalUsd);

    const again = json<ApplyJson>(await stack.cli(['planes', 'apply', '-f', f, '--yes', '--json']));
    expect(again).toMatchObject({ changes: 0, applied: [] });
    expect(again.plan[0]).toMatchObject({ change: [], unchanged: ['ada', 'bob'] });
  });

  it('resize-agent moves one agent to another type and reports it; a repeat to the same type starts nothing', async () => {
    const before = await vm(BOB);
    const r = await stack.cli(['planes', 'resize-agent', '--plane', plane.name, '--name', BOB, '--vm-type', 'e2-standard-2', '--json'], { timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(json<ResizeJson>(r)).toMatchObject({
      plane: plane.name,
      operation: 'resize',
      agents: [{ name: 'bob', state: 'Ready', operationId: `agent/${plane.name}/bob/resize/1`, joined: false, error: null }],
    });
    expect(await vm(BOB)).toEqual({ ...before, machineType: 'e2-standard-2' });
    expect(await roster(BOB)).toMatchObject({ state: 'Ready', spec: { machineType: 'e2-standard-2' } });

    const same = await stack.cli(['planes', 'resize-agent', '--plane', plane.name, '--name', BOB, '--vm-type', 'e2-standard-2', '--json']);
    expect(same.code, same.stderr).toBe(0);
    expect(json<ResizeJson>(same).agents).toEqual([{ name: 'bob', state: 'Ready', operationId: null, joined: true, error: null }]);
    expect(await resizesOf(BOB)).toEqual([`agent/${plane.name}/bob/resize/1`]);
  });

  it('rolls back a resize whose setMachineType fails: old type, VM running, agent Ready', async () => {
    const before = await vm(ADA);
    await faults({ rules: [{ method: 'compute.instances.setMachineType', kind: 'invalid', message: 'injected: machine type change refused' }] });
    try {
      const r = await stack.cli(['planes', 'resize-agent', '--plane', plane.name, '--name', ADA, '--vm-type', 'e2-standard-4'], { timeoutMs: 180_000 });
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(/rolled back: the agent runs healthy on e2-medium again/);
      expect(r.stderr).toMatch(/the agent is Ready as it was before/);
    } finally {
      await faults(undefined, 'DELETE');
    }
    expect(await vm(ADA)).toEqual({ ...before, status: 'RUNNING', machineType: 'e2-medium' });
    const entry = await roster(ADA);
    expect(entry).toMatchObject({ state: 'Ready', spec: { machineType: 'e2-medium' }, lastError: { type: 'RESIZE_ROLLED_BACK' } });
    expect(entry.resizingTo).toBeUndefined();
  });

  it('rolls back a resize whose start fails after the type changed: the old type put back, VM running, Ready', async () => {
    const before = await vm(BOB);
    // The first start (on the new type) is refused; the undo's start, on the old type, goes through.
    await faults({ rules: [{ method: 'compute.instances.start', kind: 'invalid', count: 1, message: 'injected: start refused' }] });
    const r = await stack.cli(['planes', 'resize-agent', '--plane', plane.name, '--name', BOB, '--vm-type', 'e2-standard-4'], { timeoutMs: 180_000 });
    await faults(undefined, 'DELETE');
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
    expect(r.stderr).toMatch(/rolled back: the agent runs healthy on e2-standard-2 again/);
    expect(await vm(BOB)).toEqual({ ...before, status: 'RUNNING', machineType: 'e2-standard-2' });
    expect(await roster(BOB)).toMatchObject({ state: 'Ready', spec: { machineType: 'e2-standard-2' }, lastError: { type: 'RESIZE_ROLLED_BACK' } });
    // The type did change before the failure: bob's setMachineType operations are resize 1, this
    // resize's change, and its undo's change back.
    const [ops] = await stack.gcp().zoneOperations.list({ project: plane.project, zone: plane.zone });
    const bobInstance = agentResourceNames(plane.project, plane.name, BOB).instance;
    expect(ops.filter((o) => o.operationType === 'setMachineType' && o.targetLink?.endsWith(`/instances/${bobInstance}`) && !o.error)).toHaveLength(3);
  });
});
