/**
 * Determinism of the product workflows: histories captured from a real run of the whole lifecycle
 * (plane entity, plane and agent sagas, teardown) are committed under test/fixtures/histories/product
 * and must replay against today's workflow code. A change that breaks running workflows fails here.
 * AGENTS_PLANE_CAPTURE_HISTORIES=1 re-records them (re-encrypted with the fixture key).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { historyFiles, replayHistoryFile, saveHistory } from './support/histories.js';
import { E2EStack, plane as planeFixture } from './support/stack.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'histories', 'product');

async function capture(): Promise<void> {
  const plane = planeFixture('replay');
  const stack = await E2EStack.start('replay');
  try {
    const run = async (args: string[]) => {
      const r = await stack.cli(args);
      if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
    };
    await run(['planes', 'create', '--name', plane.name, '--project', plane.project, '--region', plane.region]);
    await run(['planes', 'add-agent', '--plane', plane.name, '--name', 'ada', '--owner', 'ada@example.com']);
    await run(['planes', 'remove-agent', '--plane', plane.name, '--name', 'ada']);
    await run(['planes', 'destroy', '--plane', plane.name, '--force']);
    for await (const w of stack.client.workflow.list({ query: `TaskQueue = '${stack.taskQueue}'` })) {
      const history = await stack.client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
      await saveHistory(DIR, `${w.type}-${w.workflowId.replace(/[^a-z0-9]+/gi, '_')}.json`, w.workflowId, history);
    }
  } finally {
    await stack.stop();
  }
}

describe('product workflow histories', () => {
  it('replay against the current workflow code', async () => {
    if (process.env.AGENTS_PLANE_CAPTURE_HISTORIES === '1') await capture();
    const files = await historyFiles(DIR);
    // Every workflow type of the lifecycle is covered.
    expect(new Set(files.map((f) => f.split('-')[0]))).toEqual(new Set(['plane', 'provisionPlane', 'provisionAgent', 'deprovisionAgent', 'deprovisionPlane']));
    for (const file of files) await expect(replayHistoryFile(DIR, file), file).resolves.toBeUndefined();
  }, 120_000);
});
