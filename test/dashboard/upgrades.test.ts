/**
 * How the dashboard finds and reads upgrades, on the run's real Temporal: an upgradePlane workflow (the
 * test fixture, on its own task queue) is found through visibility by its PlaneName, its `progress` Query
 * is read as it advances, halts, completes or rolls back; a finished run is read once and kept; a run
 * whose worker is gone costs at most the query timeout.
 */
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpgradeView } from '../../src/dashboard/fleet-snapshot.js';
import { UpgradeTracker } from '../../src/dashboard/upgrade-progress.js';
import { bundleWorkflowsToFile } from '../../src/runtime/workflow-bundle.js';
import { PLANE_NAME } from '../../src/temporal/search-attributes.js';
import { connectTestClient, createInProcessWorker, eventually, testDir, uniqueName } from '../setup/harness.js';
import type { FixtureUpgradeInput } from './fixtures/upgrade-plane.js';

const INPUT: FixtureUpgradeInput = { fromVersion: '2026.1.0', toVersion: '2026.2.0', canary: ['alice'], waves: [['bob'], ['carol', 'dave']] };

let client: Client;
let bundlePath: string;
let taskQueue: string;
let worker: Worker;
let running: Promise<void>;
let closeWorker: () => Promise<void>;

beforeAll(async () => {
  client = await connectTestClient();
  bundlePath = join(await testDir('upgrade-fixture'), 'bundle.js');
  await bundleWorkflowsToFile(join(import.meta.dirname, 'fixtures', 'upgrade-plane.ts'), bundlePath);
  taskQueue = uniqueName('tq-dashboard-upgrade');
  const created = await createInProcessWorker({ taskQueue, workflowBundlePath: bundlePath });
  worker = created.worker;
  closeWorker = created.close;
  running = worker.run();
}, 120_000);

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await closeWorker?.();
  await client?.connection.close();
});

async function startUpgrade(plane: string) {
  return client.workflow.start('upgradePlane', {
    taskQueue,
    workflowId: `upgrade/${plane}/1`,
    args: [INPUT],
    typedSearchAttributes: [{ key: PLANE_NAME, value: plane }],
  });
}

/** Polls the tracker until the plane's upgrade view satisfies `ready`. */
async function viewWhen(tracker: UpgradeTracker, plane: string, ready: (v: UpgradeView) => boolean, what: string): Promise<UpgradeView> {
  return eventually(async () => {
    const view = (await tracker.byPlane(Date.now())).get(plane);
    return view && ready(view) ? view : undefined;
  }, what);
}

describe('upgrades on the dashboard', () => {
  it('finds a running upgrade by its plane and follows its progress to completion', async () => {
    const plane = uniqueName('up');
    const tracker = new UpgradeTracker({ temporal: client, namespace: 'default', webUiUrl: 'http://127.0.0.1:8233', queryTimeoutMs: 5_000 });
    const handle = await startUpgrade(plane);

    const first = await viewWhen(tracker, plane, (v) => v.step === 1, 'the upgrade at its canary');
    expect(first).toMatchObject({
      status: 'Running',
      totalSteps: 4,
      stepName: 'canary',
      fromVersion: '2026.1.0',
      toVersion: '2026.2.0',
      canary: { agents: ['alice'], state: 'running' },
      waves: [{ index: 1, agents: ['bob'], state: 'pending' }, { index: 2, agents: ['carol', 'dave'], state: 'pending' }],
      halted: false,
      rolledBack: false,
      queryError: null,
      workflow: { workflowId: `upgrade/${plane}/1`, url: `http://127.0.0.1:8233/namespaces/default/workflows/${encodeURIComponent(`upgrade/${plane}/1`)}` },
    });

    await handle.signal('advance');
    const second = await viewWhen(tracker, plane, (v) => v.step === 2, 'wave 1');
    expect(second.canary?.state).toBe('done');
    expect(second.waves.map((w) => w.state)).toEqual(['running', 'pending']);

    await handle.signal('halt', 'bob failed its health check');
    const halted = await viewWhen(tracker, plane, (v) => v.halted, 'the halt');
    expect(halted).toMatchObject({ halted: true, haltReason: 'bob failed its health check', status: 'Running' });
    expect(halted.waves[0]?.state).toBe('failed');

    for (let i = 0; i < 3; i++) await handle.signal('advance');
    await handle.result();
    const done = await viewWhen(tracker, plane, (v) => v.status === 'Completed', 'the completed upgrade');
    expect(done).toMatchObject({ step: 4, stepName: 'verify', closedAt: expect.any(String) });
  });

  it('shows a rolled-back upgrade after it closed, read once and kept', async () => {
    const plane = uniqueName('rb');
    const tracker = new UpgradeTracker({ temporal: client, namespace: 'default', webUiUrl: null, queryTimeoutMs: 5_000 });
    const handle = await startUpgrade(plane);
    await handle.signal('advance');
    await handle.signal('rollBack');
    expect(await handle.result()).toBe('rolled back');
    const closed = await viewWhen(tracker, plane, (v) => v.status === 'Completed', 'the closed upgrade');
    expect(closed).toMatchObject({ rolledBack: true, canary: { state: 'rolled-back' }, workflow: { url: null } });
    // A closed run never changes: the next reads answer from memory, the same object.
    const again = (await tracker.byPlane(Date.now())).get(plane);
    expect(again).toBe(closed);
  });

  it('bounds a progress query whose workflow has no worker, and says so', async () => {
    const plane = uniqueName('nw');
    const orphanQueue = uniqueName('tq-no-worker');
    await client.workflow.start('upgradePlane', {
      taskQueue: orphanQueue,
      workflowId: `upgrade/${plane}/1`,
      args: [INPUT],
      typedSearchAttributes: [{ key: PLANE_NAME, value: plane }],
    });
    const tracker = new UpgradeTracker({ temporal: client, namespace: 'default', webUiUrl: null, queryTimeoutMs: 1_000 });
    const started = Date.now();
    const view = await viewWhen(tracker, plane, () => true, 'the orphan upgrade');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(view.status).toBe('Running');
    expect(view.queryError).toMatch(/^progress query failed: /);
    expect(view.step).toBe(0);
    await client.workflow.getHandle(`upgrade/${plane}/1`).terminate('test over');
  });
});
