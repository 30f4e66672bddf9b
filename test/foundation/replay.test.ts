/**
 * Replay guards determinism: a history captured from a real run replays against the workflow code
 * that made it, and fails against code changed incompatibly (here: a timer removed).
 * test/fixtures/histories/greeting.json is a committed capture (encrypted with the fixture key);
 * AGENTS_PLANE_CAPTURE_HISTORIES=1 re-records it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { encryptingDataConverter } from '../../src/temporal/codec.js';
import { parseCodecKeys, type CodecKeySet } from '../../src/temporal/codec-keys.js';
import { FIXTURE_CODEC_KEYS } from '../fixtures/codec-keys.js';
import { codecKeySet, createInProcessWorker, testEnv, uniqueName } from '../setup/harness.js';

const COMMITTED = join(import.meta.dirname, '..', 'fixtures', 'histories', 'greeting.json');

async function captureGreeting(keys: CodecKeySet, keysText: string) {
  const taskQueue = uniqueName('tq-replay');
  const workflowId = uniqueName('greeting');
  const connection = await Connection.connect({ address: testEnv().temporalAddress });
  const client = new Client({ connection, namespace: testEnv().namespace, dataConverter: encryptingDataConverter(keys) });
  const { worker, close } = await createInProcessWorker({
    taskQueue,
    extra: { dataConverter: encryptingDataConverter(parseCodecKeys(keysText, 'keys')) },
  });
  try {
    await worker.runUntil(client.workflow.execute('greeting', { taskQueue, workflowId, args: ['replay'] }));
    return { workflowId, history: await client.workflow.getHandle(workflowId).fetchHistory() };
  } finally {
    await close();
    await connection.close();
  }
}

function replay(bundlePath: string, keys: CodecKeySet, history: unknown, workflowId: string) {
  return Worker.runReplayHistory({ workflowBundle: { codePath: bundlePath }, dataConverter: encryptingDataConverter(keys) }, history, workflowId);
}

describe('replay', () => {
  it('a freshly captured history replays, and fails against an incompatible change', async () => {
    const keys = codecKeySet();
    const { workflowId, history } = await captureGreeting(keys, testEnv().codecKeys);
    await expect(replay(testEnv().fixtureBundlePath, keys, history, workflowId)).resolves.toBeUndefined();
    await expect(replay(testEnv().fixtureIncompatibleBundlePath, keys, history, workflowId)).rejects.toBeInstanceOf(DeterminismViolationError);
  });

  it('the committed history replays against today\'s code, and fails against the incompatible change', async () => {
    const keys = parseCodecKeys(FIXTURE_CODEC_KEYS, 'FIXTURE_CODEC_KEYS');
    if (process.env.AGENTS_PLANE_CAPTURE_HISTORIES === '1') {
      const { history } = await captureGreeting(keys, FIXTURE_CODEC_KEYS);
      await writeFile(COMMITTED, `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 2)}\n`);
    }
    const history = historyFromJSON(JSON.parse(await readFile(COMMITTED, 'utf8')));
    await expect(replay(testEnv().fixtureBundlePath, keys, history, 'committed-greeting')).resolves.toBeUndefined();
    await expect(replay(testEnv().fixtureIncompatibleBundlePath, keys, history, 'committed-greeting')).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
