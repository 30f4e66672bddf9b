/**
 * Determinism of the agent-operation workflows: histories captured from a real run (a plane whose entity
 * runs the health watch, an agent paused, resumed, restarted by an admin, its secrets rotated, hung and
 * restarted by the watch, then the plane destroyed) are committed under
 * test/fixtures/histories/operations and must replay against today's workflow code.
 * AGENTS_PLANE_CAPTURE_HISTORIES=1 re-records them (re-encrypted with the fixture key).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentResourceNames } from '../../src/domain/resource-names.js';
import { planeWorkflowId } from '../../src/domain/workflow-ids.js';
import { planeStatusQuery } from '../../src/workflows/plane-messages.js';
import { historyFiles, replayHistoryFile, saveHistory } from './support/histories.js';
import { E2EStack, plane as planeFixture } from './support/stack.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'histories', 'operations');

async function capture(): Promise<void> {
  const plane = planeFixture('oprep');
  const stack = await E2EStack.start('oprep');
  try {
    const run = async (args: string[]) => {
      const r = await stack.cli(args);
      if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
    };
    await run(['planes', 'create', '--name', plane.name, '--project', plane.project, '--region', plane.region, '--boot-timeout', '10s', '--health-check-interval', '1s', '--heartbeat-stale-after', '3s']);
    await run(['planes', 'add-agent', '--plane', plane.name, '--name', 'ada', '--owner', 'ada@example.com']);
    await run(['planes', 'pause', '--plane', plane.name, '--agent', 'ada']);
    await run(['planes', 'resume', '--plane', plane.name]);
    await run(['planes', 'restart-agent', '--plane', plane.name, '--name', 'ada']);
    await run(['planes', 'rotate-secrets', '--plane', plane.name, '--agent', 'ada']);
    const instance = agentResourceNames(plane.project, plane.name, 'ada' as never).instance;
    await stack.emulator.admin('guest', { instance: `projects/${plane.project}/zones/${plane.zone}/instances/${instance}`, heartbeat: 'hang' });
    const entity = stack.client.workflow.getHandle(planeWorkflowId(plane.name));
    const restarted = async () => (await entity.query(planeStatusQuery)).agents.find((a) => a.spec.name === 'ada')?.operations?.restarts ?? 0;
    for (const end = Date.now() + 60_000; (await restarted()) < 3; ) {
      if (Date.now() > end) throw new Error('the watch did not restart the hung agent');
      await new Promise((r) => setTimeout(r, 250));
    }
    await run(['planes', 'destroy', '--plane', plane.name, '--force']);
    let n = 0;
    for await (const w of stack.client.workflow.list({ query: `TaskQueue = '${stack.taskQueue}'` })) {
      const history = await stack.client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
      await saveHistory(DIR, `${w.type}-${w.workflowId.replace(/[^a-z0-9]+/gi, '_')}-${++n}.json`, w.workflowId, history);
    }
  } finally {
    await stack.stop();
  }
}

describe('agent operation workflow histories', () => {
  it('replay against the current workflow code', async () => {
    if (process.env.AGENTS_PLANE_CAPTURE_HISTORIES === '1') await capture();
    const files = await historyFiles(DIR);
    expect(new Set(files.map((f) => f.split('-')[0]))).toEqual(
      new Set(['plane', 'provisionPlane', 'provisionAgent', 'pauseAgent', 'resumeAgent', 'restartAgent', 'rotateAgentSecrets', 'healthWatch', 'deprovisionAgent', 'deprovisionPlane']),
    );
    for (const file of files) await expect(replayHistoryFile(DIR, file), file).resolves.toBeUndefined();
  }, 300_000);
});
