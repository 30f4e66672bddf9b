/**
 * Issue 5, rolling upgrade, end to end (CLI → Temporal dev server → worker process → emulator) on a
 * plane of 10 agents:
 * - a version the emulator's guests fail the health check on: the canary fails, the rollout halts, the
 *   canary is rolled back, all 10 end on the old version and healthy;
 * - a good version with --max-unavailable 3 (paused and resumed on the way, a second upgrade refused):
 *   all 10 upgraded, never more than 3 unavailable, checked both on the intervals the workflow records
 *   and by sampling every guest's attributes through the official client every ~100 ms;
 * - the worker SIGKILLed during an upgrade: the upgrade still finishes correctly;
 * - an upgrade aborted after its canary: every touched agent is rolled back;
 * - an upgrade terminated from outside does not block the plane's next upgrade.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson as json, type CliRun } from '../setup/cli.js';
import { E2EStack, plane as planeFixture } from './support/stack.js';
import type { AgentName } from '../../src/domain/names.js';
import { agentResourceNames } from '../../src/domain/resource-names.js';
import { DEFAULT_AGENT_VERSION } from '../../src/domain/versions.js';
import { GUEST_NAMESPACE } from '../../src/domain/guest-contract.js';
import { activeUpgradeQuery, pauseUpgradeUpdate, upgradeProgressQuery, type UpgradeProgress } from '../../src/workflows/upgrade-messages.js';
import { planeWorkflowId } from '../../src/domain/workflow-ids.js';
import { OPERATION, OPERATION_STEP, PLANE_NAME } from '../../src/temporal/search-attributes.js';
import { upgradeView } from '../../src/dashboard/upgrade-progress.js';

const plane = planeFixture('upg');
const agents = Array.from({ length: 10 }, (_, i) => `u${i}` as AgentName);
const OLD = DEFAULT_AGENT_VERSION as string;
const BAD = '2026.10.1-broken';
const GOOD = '2026.10.2';
const GOOD_AFTER_KILL = '2026.11.0';
const ABORTED = '2026.12.0';
const AFTER_TERMINATE = '2027.1.0';

let stack: E2EStack;

beforeAll(async () => {
  stack = await E2EStack.start('upg', { latencyScale: 0.005 });
  const created = await stack.cli(['planes', 'create', '--name', plane.name, '--project', plane.project, '--region', plane.region, '--json']);
  expect(created.code, created.stderr).toBe(0);
  const added = await Promise.all(
    agents.map((a) => stack.cli(['planes', 'add-agent', '--plane', plane.name, '--name', a, '--owner', `${a}@example.com`, '--no-wait', '--json'])),
  );
  for (const r of added) expect(r.code, r.stderr).toBe(0);
  const states = await stack.waitForAgents(plane.name, agents, ['Ready', 'Failed'], 120_000);
  expect(Object.values(states)).toEqual(agents.map(() => 'Ready'));
  const res = await fetch(`${stack.emulator.url}/__emulator/guest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ failingVersions: [BAD] }),
  });
  expect(res.status).toBe(200);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

interface Guest {
  readonly version?: string;
  readonly health?: string;
}

/** Every agent's guest attributes, read through the official compute client. */
async function guests(): Promise<Record<string, Guest>> {
  const gcp = stack.gcp();
  const rows = await Promise.all(
    agents.map(async (a) => {
      const instance = agentResourceNames(plane.project, plane.name, a).instance;
      const [attrs] = await gcp.instances.getGuestAttributes({ project: plane.project, zone: plane.zone, instance, queryPath: `${GUEST_NAMESPACE}/` });
      const value = (key: string) => attrs.queryValue?.items?.find((i) => i.key === key)?.value ?? undefined;
      return [a, { version: value('version'), health: value('health') }] as const;
    }),
  );
  return Object.fromEntries(rows);
}

/** Samples every guest every ~100 ms until stopped; records the most agents seen not healthy at once. */
function sampleUnavailable(): { stop: () => Promise<{ maxUnavailable: number; samples: number }> } {
  let running = true;
  let maxUnavailable = 0;
  let samples = 0;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      const g = await guests();
      samples++;
      maxUnavailable = Math.max(maxUnavailable, Object.values(g).filter((x) => x.health !== 'ok').length);
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - started))));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { maxUnavailable, samples };
    },
  };
}

/** The most agents the workflow's own timeline has unavailable at the same moment. */
function maxOverlap(p: UpgradeProgress): number {
  const events = p.agents.flatMap((a) => a.unavailable.flatMap((i) => [[i.from, 1] as const, [i.to ?? Number.MAX_SAFE_INTEGER, -1] as const]));
  // At equal times an end comes before a start: back-to-back intervals do not overlap.
  events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let now = 0;
  let max = 0;
  for (const [, delta] of events) max = Math.max(max, (now += delta));
  return max;
}

async function progressOf(workflowId: string): Promise<UpgradeProgress> {
  return stack.client.workflow.getHandle(workflowId).query(upgradeProgressQuery);
}

async function expectAllOn(version: string): Promise<void> {
  const g = await guests();
  expect(g).toEqual(Object.fromEntries(agents.map((a) => [a, { version, health: 'ok' }])));
  const status = json<{ planes: { agents: { name: string; state: string; agentVersion: string; desiredVersion: string }[] }[] }>(
    await stack.cli(['planes', 'status', '--plane', plane.name, '--json']),
  );
  for (const row of status.planes[0]!.agents) expect(row, row.name).toMatchObject({ state: 'Ready', agentVersion: version, desiredVersion: version });
}

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read().catch(() => undefined);
    if (v !== undefined && done(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms (last: ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('rolling upgrade of 10 agents', () => {
  it('halts on a canary that fails its health check and rolls it back; all stay on the old version', async () => {
    const r = await stack.cli(['planes', 'upgrade', '--plane', plane.name, '--version', BAD, '--canary', '1', '--max-unavailable', '3', '--health-timeout', '3s', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(json<{ error: { code: string; message: string } }>(r).error.code).toBe('UPGRADE_HALTED');

    const p = await progressOf(`upgrade/${plane.name}/1`);
    expect(p).toMatchObject({ halted: true, rolledBack: true, state: 'failed', toVersion: BAD, canary: { agents: ['u0'], state: 'rolled-back' } });
    expect(p.error?.type).toBe('AGENT_NOT_HEALTHY');
    expect(p.waves.every((w) => w.state === 'pending')).toBe(true);
    const canary = p.agents.find((a) => a.name === 'u0')!;
    expect(canary).toMatchObject({ state: 'rolled-back', snapshot: expect.stringMatching(/-u1$/) });
    expect(p.agents.filter((a) => a.name !== 'u0').every((a) => a.state === 'pending' && a.unavailable.length === 0)).toBe(true);
    // The snapshot was taken before the canary was touched, and it exists.
    const [snap] = await stack.gcp().snapshots.get({ project: plane.project, snapshot: canary.snapshot! });
    expect(snap.labels?.['agents-plane-agent']).toBe('u0');
    // What the Web UI filters and shows: search attributes, and the dashboard's reading of the Query.
    const described = await stack.client.workflow.getHandle(`upgrade/${plane.name}/1`).describe();
    expect(described.typedSearchAttributes.get(PLANE_NAME)).toBe(plane.name);
    expect(described.typedSearchAttributes.get(OPERATION)).toBe('upgrade-plane');
    expect(described.typedSearchAttributes.get(OPERATION_STEP)).toBe('failed');
    const view = upgradeView(p, { workflow: { workflowId: described.workflowId, url: null }, status: 'Failed', startedAt: '', closedAt: null, queryError: null });
    expect(view).toMatchObject({ toVersion: BAD, halted: true, rolledBack: true, canary: { agents: ['u0'], state: 'rolled-back' } });
    expect(view.waves).toHaveLength(3);

    await expectAllOn(OLD);
  }, 60_000);

  it('upgrades all 10 to a good version, never more than 3 unavailable, with pause/resume and a second upgrade refused', async () => {
    const sampler = sampleUnavailable();
    const run = stack.cli(['planes', 'upgrade', '--plane', plane.name, '--version', GOOD, '--canary', '1', '--max-unavailable', '3', '--health-timeout', '60s', '--json']);
    const workflowId = `upgrade/${plane.name}/2`;
    await until(() => progressOf(workflowId), (p) => p.step >= 1, 30_000);

    // Paused through the client first: a CLI process takes a second or more to start on a busy machine,
    // and by then this fast upgrade can be in its last group (a pause lets the running group finish, so
    // the upgrade would end and the refusal below would not hold). The CLI then finds it paused.
    await stack.client.workflow.getHandle(workflowId).executeUpdate(pauseUpgradeUpdate);
    const paused = await stack.cli(['planes', 'upgrade-control', '--plane', plane.name, '--pause', '--json']);
    expect(paused.code, paused.stderr).toBe(0);
    expect(json(paused)).toMatchObject({ workflowId, paused: true });
    const refused = await stack.cli(['planes', 'upgrade', '--plane', plane.name, '--version', GOOD_AFTER_KILL, '--json']);
    expect(refused.code).toBe(1);
    expect(json<{ error: { code: string; message: string } }>(refused).error).toMatchObject({ code: 'UPGRADE_RUNNING', message: expect.stringContaining(workflowId) });
    // Paused: the group in flight finishes, then nothing moves.
    const settled = await until(() => progressOf(workflowId), (p) => p.agents.every((a) => a.state === 'pending' || a.state === 'upgraded'), 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    const later = await progressOf(workflowId);
    expect(later.agents.map((a) => a.state)).toEqual(settled.agents.map((a) => a.state));
    expect(later.agents.filter((a) => a.state === 'upgraded').length).toBeLessThan(10);
    const resumed = await stack.cli(['planes', 'upgrade-control', '--plane', plane.name, '--resume', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);

    const r: CliRun = await run;
    const sampled = await sampler.stop();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ workflowId, state: 'completed', halted: false });

    const p = await progressOf(workflowId);
    expect(p.canary).toEqual({ agents: ['u0'], state: 'done' });
    expect(p.waves.map((w) => w.agents)).toEqual([['u1', 'u2', 'u3'], ['u4', 'u5', 'u6'], ['u7', 'u8', 'u9']]);
    expect(p.agents.every((a) => a.state === 'upgraded' && a.unavailable.length === 1 && a.unavailable[0]!.to !== undefined)).toBe(true);
    const recorded = maxOverlap(p);
    expect(recorded).toBeLessThanOrEqual(3);
    expect(recorded).toBeGreaterThanOrEqual(2);
    expect(sampled.samples).toBeGreaterThan(10);
    expect(sampled.maxUnavailable).toBeLessThanOrEqual(3);
    // The sampler must have seen upgrades happen, or its bound would prove nothing.
    expect(sampled.maxUnavailable).toBeGreaterThanOrEqual(1);
    console.info(`upgrade to ${GOOD}: most unavailable at once: recorded ${recorded}, sampled ${sampled.maxUnavailable} over ${sampled.samples} samples`);

    await expectAllOn(GOOD);
  }, 90_000);

  it('finishes correctly when the worker is SIGKILLed during the upgrade', async () => {
    const run = stack.cli(['planes', 'upgrade', '--plane', plane.name, '--version', GOOD_AFTER_KILL, '--canary', '2', '--max-unavailable', '4', '--health-timeout', '90s']);
    const workflowId = `upgrade/${plane.name}/3`;
    await until(() => progressOf(workflowId), (p) => p.agents.some((a) => a.state === 'upgrading'), 30_000);
    await stack.killWorker();
    await new Promise((r) => setTimeout(r, 500));
    await stack.startWorker();

    const r = await run;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // The person's view: live progress lines on stderr, the final table on stdout.
    expect(r.stderr).toContain(`upgrade to ${GOOD_AFTER_KILL} [1/3] canary`);
    expect(r.stderr).toContain(`upgrade to ${GOOD_AFTER_KILL} [3/3] wave 2`);
    expect(r.stdout).toContain(`upgrade to ${GOOD_AFTER_KILL}: completed`);
    const p = await progressOf(workflowId);
    expect(p).toMatchObject({ state: 'completed', halted: false, canary: { agents: ['u0', 'u1'], state: 'done' } });
    expect(p.agents.every((a) => a.state === 'upgraded')).toBe(true);
    expect(maxOverlap(p)).toBeLessThanOrEqual(4);
    await expectAllOn(GOOD_AFTER_KILL);
  }, 120_000);

  it('rolls back every touched agent when aborted after the canary', async () => {
    const run = stack.cli(['planes', 'upgrade', '--plane', plane.name, '--version', ABORTED, '--canary', '1', '--max-unavailable', '2', '--health-timeout', '60s', '--json']);
    const workflowId = `upgrade/${plane.name}/4`;
    await until(() => progressOf(workflowId), (p) => p.canary?.state === 'done', 30_000);
    // Held first through the client (fast): the CLI's abort must not arrive after the last wave ended.
    await stack.client.workflow.getHandle(workflowId).executeUpdate(pauseUpgradeUpdate);
    const aborted = await stack.cli(['planes', 'upgrade-control', '--plane', plane.name, '--abort', '--json']);
    expect(aborted.code, aborted.stderr).toBe(0);

    const r = await run;
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(json<{ error: { code: string } }>(r).error.code).toBe('UPGRADE_ABORTED');
    const p = await progressOf(workflowId);
    expect(p).toMatchObject({ aborted: true, halted: true, rolledBack: true, state: 'cancelled', canary: { state: 'rolled-back' } });
    const touched = p.agents.filter((a) => a.state !== 'pending');
    expect(touched.length).toBeGreaterThanOrEqual(1);
    expect(touched.every((a) => a.state === 'rolled-back')).toBe(true);
    expect(maxOverlap(p)).toBeLessThanOrEqual(2);
    await expectAllOn(GOOD_AFTER_KILL);
    const again = await stack.cli(['planes', 'upgrade-control', '--plane', plane.name, '--resume', '--json']);
    expect(again.code).toBe(1);
    expect(json<{ error: { code: string } }>(again).error.code).toBe('NO_UPGRADE_RUNNING');
  }, 60_000);

  it('lets the next upgrade start after one was terminated from outside', async () => {
    const follow = stack.cli(['planes', 'upgrade', '--plane', plane.name, '--version', AFTER_TERMINATE, '--json']);
    const workflowId = `upgrade/${plane.name}/5`;
    await until(() => progressOf(workflowId), (p) => p.step >= 1, 30_000);
    await stack.client.workflow.getHandle(workflowId).terminate('test: an operator ended it by hand');
    // The CLI following it stops too (a terminated run never reports an end state of its own).
    const followed = await follow;
    expect(followed.code, followed.stdout + followed.stderr).toBe(1);
    expect(json<{ error: { message: string } }>(followed).error.message).toContain(workflowId);
    const entity = stack.client.workflow.getHandle(planeWorkflowId(plane.name));
    await until(() => entity.query(activeUpgradeQuery), (a) => a.workflowId === null, 10_000);

    const r = await stack.cli(['planes', 'upgrade', '--plane', plane.name, '--version', AFTER_TERMINATE, '--canary', '0', '--max-unavailable', '5', '--health-timeout', '60s', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ workflowId: `upgrade/${plane.name}/6`, state: 'completed' });
    await expectAllOn(AFTER_TERMINATE);
  }, 60_000);

  it('leaves nothing when the plane is destroyed, the pre-upgrade snapshots included', async () => {
    const before = (await stack.inventory()).filter((r) => r.kind === 'compute.snapshots');
    // Every agent was snapshotted before each upgrade that touched it.
    for (const a of agents) expect(before.filter((r) => r.name.includes(`/snapshots/ap-${plane.name}-${a}-u`)).length, a).toBeGreaterThan(0);
    const destroyed = await stack.cli(['planes', 'destroy', '--plane', plane.name, '--force', '--json'], { timeoutMs: 180_000 });
    expect(destroyed.code, destroyed.stdout + destroyed.stderr).toBe(0);
    const left = (await stack.inventory()).filter((r) => r.kind !== 'resourcemanager.projects');
    expect(left.map((r) => `${r.kind} ${r.name}`)).toEqual([]);
  }, 200_000);
});
