/**
 * Determinism of the product workflows: histories captured from a real run of the whole lifecycle
 * (plane entity, plane and agent sagas, teardown) are committed under test/fixtures/histories/product
 * and must replay against today's workflow code. A change that breaks running workflows fails here.
 * AGENTS_PLANE_CAPTURE_HISTORIES=1 re-records them (re-encrypted with the fixture key).
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Payload } from '@temporalio/common';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { EncryptionCodec, encryptingDataConverter } from '../../src/temporal/codec.js';
import { parseCodecKeys } from '../../src/temporal/codec-keys.js';
import { collectPayloads } from '../../src/temporal/history-payloads.js';
import { FIXTURE_CODEC_KEYS } from '../fixtures/codec-keys.js';
import { codecKeySet, testEnv } from '../setup/harness.js';
import { E2EStack, plane as planeFixture } from './support/stack.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'histories', 'product');
const fixtureKeys = parseCodecKeys(FIXTURE_CODEC_KEYS, 'FIXTURE_CODEC_KEYS');


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
    const runCodec = new EncryptionCodec(codecKeySet());
    const fixtureCodec = new EncryptionCodec(fixtureKeys);
    for await (const w of stack.client.workflow.list({ query: `TaskQueue = '${stack.taskQueue}'` })) {
      const history = await stack.client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
      // Re-encrypt every payload from this run's random key to the committed fixture key.
      // (Search attributes and memo are not encrypted: they stay as they are.)
      const encrypted = collectPayloads(history).filter((p) => Buffer.from(p.metadata?.encoding ?? new Uint8Array()).toString() === 'binary/encrypted');
      for (const p of encrypted) {
        const [plain] = await runCodec.decode([p]);
        const [again] = await fixtureCodec.encode([plain!]);
        p.metadata = again!.metadata;
        p.data = again!.data;
      }
      const file = `${w.type}-${w.workflowId.replace(/[^a-z0-9]+/gi, '_')}.json`;
      await writeFile(join(DIR, file), `${JSON.stringify({ workflowId: w.workflowId, history: JSON.parse(historyToJSON(history)) }, null, 1)}\n`);
    }
  } finally {
    await stack.stop();
  }
}

describe('product workflow histories', () => {
  it('replay against the current workflow code', async () => {
    if (process.env.AGENTS_PLANE_CAPTURE_HISTORIES === '1') await capture();
    const files = (await readdir(DIR)).filter((f) => f.endsWith('.json')).sort();
    // Every workflow type of the lifecycle is covered.
    expect(new Set(files.map((f) => f.split('-')[0]))).toEqual(new Set(['plane', 'provisionPlane', 'provisionAgent', 'deprovisionAgent', 'deprovisionPlane']));
    for (const file of files) {
      const { workflowId, history } = JSON.parse(await readFile(join(DIR, file), 'utf8')) as { workflowId: string; history: unknown };
      await expect(
        Worker.runReplayHistory(
          { workflowBundle: { codePath: testEnv().workflowBundlePath }, dataConverter: encryptingDataConverter(fixtureKeys) },
          historyFromJSON(history),
          workflowId,
        ),
        file,
      ).resolves.toBeUndefined();
    }
  }, 120_000);
});
