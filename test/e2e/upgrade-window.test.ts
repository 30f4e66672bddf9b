/**
 * Issue 5, upgrade windows, end to end (CLI → Temporal dev server → worker process → emulator): bad flags
 * exit 2 naming the flag and create no schedule; `planes upgrade --window` creates the Temporal Schedule
 * `upgrade-window/<plane>` (cron, action, task queue and overlap policy read back from Temporal) and
 * updates it in place; triggering it upgrades the plane's agents (seen in `planes status`); a window that
 * fires while an upgrade runs is refused by the plane entity and the refusal is recorded; `--list-windows`,
 * `--remove-window`, and `planes destroy` removes the window with the plane.
 */
import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson as json } from '../setup/cli.js';
import { E2EStack, plane as planeFixture } from './support/stack.js';
import { planeWorkflowId, upgradeWindowScheduleId } from '../../src/domain/workflow-ids.js';
import { DEFAULT_AGENT_VERSION } from '../../src/domain/versions.js';
import { lastScheduledUpgradeQuery, type ScheduledUpgradeOutcome } from '../../src/workflows/upgrade-window-messages.js';
import type { UpgradeWindowResult } from '../../src/cli/planes/upgrade-window.js';
import { expectBadInput } from './support/bad-input.js';

const plane = planeFixture('uwin');
const AGENTS = ['w0', 'w1'];
const GOOD = '2026.10.2';
const scheduleId = upgradeWindowScheduleId(plane.name);

/** Each test runs the CLI binary several times; on a loaded 2-core machine one run can take 10 s. */
const CLI_TEST_TIMEOUT_MS = 240_000;

let stack: E2EStack;

beforeAll(async () => {
  stack = await E2EStack.start('uwin', { latencyScale: 0.005 });
  const created = await stack.cli(['planes', 'create', '--name', plane.name, '--project', plane.project, '--region', plane.region, '--json']);
  expect(created.code, created.stderr).toBe(0);
  const added = await Promise.all(AGENTS.map((a) => stack.cli(['planes', 'add-agent', '--plane', plane.name, '--name', a, '--owner', `${a}@example.com`, '--json'])));
  for (const r of added) expect(r.code, r.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read().catch(() => undefined);
    if (v !== undefined && done(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms (last: ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function scheduleExists(): Promise<boolean> {
  try {
    await stack.client.schedule.getHandle(scheduleId).describe();
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}

const lastOutcome = () => stack.client.workflow.getHandle(planeWorkflowId(plane.name)).query(lastScheduledUpgradeQuery);

const windowArgs = (cron: string, ...more: string[]) => ['planes', 'upgrade', '--plane', plane.name, '--version', GOOD, '--window', cron, ...more];

describe('upgrade windows', () => {
  it('refuses bad flags with exit 2 naming the flag, and creates no schedule', async () => {
    const cases: [string[], string][] = [
      [windowArgs('61 3 * * *'), '--window'],
      [windowArgs('every saturday'), '--window'],
      [['planes', 'upgrade', '--plane', plane.name, '--version', 'latest', '--window', '0 3 * * SAT'], '--version'],
      [['planes', 'upgrade', '--plane', plane.name, '--window', '0 3 * * SAT'], '--version'],
      [windowArgs('0 3 * * SAT', '--health-timeout', 'soon'), '--health-timeout'],
      [windowArgs('0 3 * * SAT', '--list-windows'), '--window'],
      [['planes', 'upgrade', '--plane', 'nosuch', '--version', GOOD, '--window', '0 3 * * SAT'], '--plane'],
    ];
    // In parallel: each is a CLI process that stops at its flags (or at the plane lookup).
    const runs = await Promise.all(cases.map(([args]) => stack.cli(args)));
    for (const [i, [args, field]] of cases.entries()) {
      expect(runs[i]!.stderr, args.join(' ')).toContain(`invalid ${field}:`);
      expectBadInput(runs[i]!, `invalid ${field}:`);
    }
    expect(await scheduleExists()).toBe(false);
  }, CLI_TEST_TIMEOUT_MS);

  it('creates the schedule upgrade-window/<plane>: cron, action, task queue, overlap SKIP; a second call updates it', async () => {
    const r = await stack.cli(windowArgs('0 3 * * SAT', '--canary', '0', '--max-unavailable', '1', '--health-timeout', '60s', '--json'));
    expect(r.code, r.stderr).toBe(0);
    const created = json<UpgradeWindowResult>(r);
    expect(created).toMatchObject({ plane: plane.name, action: 'created', windows: [{ scheduleId, window: '0 3 * * SAT', toVersion: GOOD, taskQueue: stack.taskQueue }] });
    const next = new Date(created.windows[0]!.nextRuns[0]!);
    expect([next.getUTCDay(), next.getUTCHours(), next.getUTCMinutes()]).toEqual([6, 3, 0]);
    expect(next.getTime()).toBeGreaterThan(Date.now());

    const d = await stack.client.schedule.getHandle(scheduleId).describe();
    expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'upgradeWindow', taskQueue: stack.taskQueue, workflowId: scheduleId });
    expect(d.action.args).toEqual([{ plane: plane.name, window: '0 3 * * SAT', request: { toVersion: GOOD, canary: 0, maxUnavailable: 1, healthTimeoutMs: 60_000 } }]);
    expect(d.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    // Temporal keeps the cron compiled into a calendar spec: Saturday, 03:00 UTC.
    expect(d.spec.calendars).toHaveLength(1);
    expect(d.spec.calendars![0]).toMatchObject({ hour: [{ start: 3, end: 3 }], minute: [{ start: 0, end: 0 }], dayOfWeek: [{ start: 'SATURDAY', end: 'SATURDAY' }] });

    const again = await stack.cli(windowArgs('30 4 * * *', '--canary', '0', '--max-unavailable', '1', '--health-timeout', '60s', '--json'));
    expect(again.code, again.stderr).toBe(0);
    expect(json<UpgradeWindowResult>(again)).toMatchObject({ action: 'updated', windows: [{ window: '30 4 * * *' }] });
    const listed = json<UpgradeWindowResult>(await stack.cli(['planes', 'upgrade', '--plane', plane.name, '--list-windows', '--json']));
    expect(listed.windows).toHaveLength(1);
    const nextRun = new Date(listed.windows[0]!.nextRuns[0]!);
    expect([nextRun.getUTCHours(), nextRun.getUTCMinutes()]).toEqual([4, 30]);
    const human = await stack.cli(['planes', 'upgrade', '--plane', plane.name, '--list-windows']);
    expect(human.stdout).toMatch(new RegExp(`${scheduleId}\\s+30 4 \\* \\* \\*\\s+${GOOD.replace(/\./g, '\\.')}\\s+${listed.windows[0]!.nextRuns[0]}`));
  }, CLI_TEST_TIMEOUT_MS);

  it("triggering the window upgrades the plane's agents; a window during a running upgrade is refused and recorded", async () => {
    const handle = stack.client.schedule.getHandle(scheduleId);
    await handle.trigger();
    const started = await until(lastOutcome, (o) => o?.outcome === 'started', 90_000);
    expect(started).toMatchObject({ outcome: 'started', toVersion: GOOD, workflowId: `upgrade/${plane.name}/1`, agents: 2, requestedBy: expect.stringMatching(new RegExp(`^${scheduleId}-`)) });

    // The plane is upgrading (one agent at a time): the next window is the entity's to refuse. (A run's id
    // carries its time to the second: a second apart, the two runs have distinct ids.)
    await new Promise((r) => setTimeout(r, 1100));
    await handle.trigger();
    const refused = await until(lastOutcome, (o) => o !== null && o.at !== started!.at, 90_000);
    expect(refused!.requestedBy).not.toBe(started!.requestedBy);
    expect(refused).toMatchObject({ outcome: 'refused', toVersion: GOOD, reason: { type: 'UPGRADE_RUNNING' } });

    await stack.client.workflow.getHandle(started!.workflowId!).result();
    const status = json<{ planes: { spec?: unknown; agents: { name: string; state: string; agentVersion: string; desiredVersion: string }[] }[] }>(
      await stack.cli(['planes', 'status', '--plane', plane.name, '--json']),
    );
    const rows = status.planes[0]!.agents.map((a) => [a.name, a.state, a.agentVersion, a.desiredVersion]);
    expect(rows.sort((x, y) => x[0]!.localeCompare(y[0]!))).toEqual(AGENTS.map((a) => [a, 'Ready', GOOD, GOOD]));
    expect(GOOD).not.toBe(DEFAULT_AGENT_VERSION);
    // The Update path (a person's `planes upgrade`) shares the start path and the counter: upgrade 2, nothing left to do.
    const now = await stack.cli(['planes', 'upgrade', '--plane', plane.name, '--version', GOOD, '--json']);
    expect(now.code, now.stderr).toBe(0);
    expect(json(now)).toMatchObject({ workflowId: `upgrade/${plane.name}/2`, state: 'completed', agents: [] });

    // Both window runs were upgradeWindow workflows on this deployment's task queue, and completed.
    const runs = async () => {
      const names: string[] = [];
      for await (const w of stack.client.workflow.list({ query: `WorkflowType = 'upgradeWindow' AND TaskQueue = '${stack.taskQueue}'` })) names.push(w.status.name);
      return names;
    };
    // Visibility is eventually consistent: wait for it to show both runs closed.
    expect(await until(runs, (r) => r.length === 2 && r.every((n) => n === 'COMPLETED'), 15_000)).toHaveLength(2);
    const listed = json<UpgradeWindowResult>(await stack.cli(['planes', 'upgrade', '--plane', plane.name, '--list-windows', '--json']));
    expect(listed.windows[0]!.lastOutcome).toMatchObject({ outcome: 'refused' } satisfies Partial<ScheduledUpgradeOutcome>);
    expect(listed.windows[0]!.lastFiredAt).not.toBeNull();
  }, CLI_TEST_TIMEOUT_MS);

  it('--remove-window deletes the schedule', async () => {
    const r = await stack.cli(['planes', 'upgrade', '--plane', plane.name, '--remove-window', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json<UpgradeWindowResult>(r)).toMatchObject({ action: 'removed' });
    expect(await scheduleExists()).toBe(false);
    expect(json<UpgradeWindowResult>(await stack.cli(['planes', 'upgrade', '--plane', plane.name, '--list-windows', '--json'])).windows).toEqual([]);
    expect(json<UpgradeWindowResult>(await stack.cli(['planes', 'upgrade', '--plane', plane.name, '--remove-window', '--json'])).action).toBe('absent');
    expectBadInput(await stack.cli(['planes', 'upgrade', '--plane', 'nosuch', '--remove-window']), 'invalid --plane:');
    expectBadInput(await stack.cli(['planes', 'upgrade', '--plane', 'nosuch', '--list-windows']), 'invalid --plane:');
  }, CLI_TEST_TIMEOUT_MS);

  it('planes destroy removes the window with the plane', async () => {
    expect((await stack.cli(windowArgs('@daily', '--json'))).code).toBe(0);
    expect(await scheduleExists()).toBe(true);
    const r = await stack.cli(['planes', 'destroy', '--plane', plane.name, '--force', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(await scheduleExists()).toBe(false);
  }, CLI_TEST_TIMEOUT_MS);
});
