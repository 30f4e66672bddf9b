/**
 * How the dashboard finds upgrades, on the run's real Temporal: upgradePlane runs are found through
 * visibility by their PlaneName (or, without it, their `upgrade/<plane>/<n>` id), only on the
 * deployment's own task queue; a run whose worker is gone costs at most the query timeout and says so.
 * No worker runs here, so the runs never progress: reading a real upgrade's progress as it advances is
 * the browser test's (test/dashboard/browser.test.ts), on the real product workflows.
 */
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpgradeView } from '../../src/dashboard/fleet-snapshot.js';
import { UPGRADE_WORKFLOW_TYPE, UpgradeTracker } from '../../src/dashboard/upgrade-progress.js';
import { PLANE_NAME } from '../../src/temporal/search-attributes.js';
import { connectTestClient, eventually, uniqueName } from '../setup/harness.js';

let client: Client;
const started: string[] = [];

beforeAll(async () => {
  client = await connectTestClient();
});

afterAll(async () => {
  await Promise.all(started.map((id) => client.workflow.getHandle(id).terminate('test over').catch(() => undefined)));
  await client?.connection.close();
});

/** An upgradePlane run no worker will pick up (its input is never read). */
async function startUpgrade(plane: string, taskQueue: string, options: { searchAttribute: boolean }): Promise<string> {
  const workflowId = `upgrade/${plane}/1`;
  await client.workflow.start(UPGRADE_WORKFLOW_TYPE, {
    taskQueue,
    workflowId,
    args: [],
    ...(options.searchAttribute ? { typedSearchAttributes: [{ key: PLANE_NAME, value: plane }] } : {}),
  });
  started.push(workflowId);
  return workflowId;
}

describe('upgrades on the dashboard', () => {
  it("lists only its own task queue's upgrades, and bounds a progress query that no worker answers", async () => {
    const queue = uniqueName('tq-dashboard-upgrades');
    const ours = uniqueName('up');
    const unlabelled = uniqueName('ul');
    const theirs = uniqueName('other');
    const workflowId = await startUpgrade(ours, queue, { searchAttribute: true });
    await startUpgrade(unlabelled, queue, { searchAttribute: false });
    await startUpgrade(theirs, uniqueName('tq-other-deployment'), { searchAttribute: true });
    const tracker = new UpgradeTracker({ temporal: client, namespace: 'default', webUiUrl: 'http://127.0.0.1:8233', queryTimeoutMs: 1_000, taskQueue: queue });

    const began = Date.now();
    const views = await eventually(async () => {
      const byPlane = await tracker.byPlane(Date.now());
      return byPlane.has(ours) && byPlane.has(unlabelled) ? byPlane : undefined;
    }, 'both upgrades of the queue');
    // Two unanswered queries run side by side: one timeout, not two, plus visibility.
    expect(Date.now() - began).toBeLessThan(15_000);
    expect(views.has(theirs)).toBe(false);
    expect([...views.keys()].sort()).toEqual([ours, unlabelled].sort());

    const view = views.get(ours) as UpgradeView;
    expect(view).toMatchObject({
      status: 'Running',
      step: 0,
      canary: null,
      waves: [],
      agents: [],
      workflow: { workflowId, url: `http://127.0.0.1:8233/namespaces/default/workflows/${encodeURIComponent(workflowId)}` },
    });
    expect(view.queryError).toMatch(/^progress query failed: /);

    // The other deployment's upgrade is found by a tracker of its own queue: the filter, not visibility lag, hid it.
    const otherQueue = (await client.workflow.getHandle(`upgrade/${theirs}/1`).describe()).taskQueue;
    const other = new UpgradeTracker({ temporal: client, namespace: 'default', webUiUrl: null, queryTimeoutMs: 1_000, taskQueue: otherQueue });
    const theirViews = await eventually(async () => {
      const byPlane = await other.byPlane(Date.now());
      return byPlane.has(theirs) ? byPlane : undefined;
    }, 'the other queue’s upgrade');
    expect([...theirViews.keys()]).toEqual([theirs]);
  }, 60_000);
});
