/**
 * Committed workflow histories for replay tests: captured from a real run, every payload re-encrypted
 * from the run's random key to the fixture key (search attributes and memo are not encrypted and stay
 * as they are), and replayed against today's workflow bundle.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { EncryptionCodec, encryptingDataConverter } from '../../../src/temporal/codec.js';
import { parseCodecKeys } from '../../../src/temporal/codec-keys.js';
import { collectPayloads } from '../../../src/temporal/history-payloads.js';
import { FIXTURE_CODEC_KEYS } from '../../fixtures/codec-keys.js';
import { codecKeySet, testEnv } from '../../setup/harness.js';

const fixtureKeys = parseCodecKeys(FIXTURE_CODEC_KEYS, 'FIXTURE_CODEC_KEYS');

/** Writes `history` to `dir/file` with its payloads re-encrypted to the fixture key. */
export async function saveHistory(dir: string, file: string, workflowId: string, history: temporal.api.history.v1.IHistory): Promise<void> {
  const runCodec = new EncryptionCodec(codecKeySet());
  const fixtureCodec = new EncryptionCodec(fixtureKeys);
  const encrypted = collectPayloads(history).filter((p) => Buffer.from(p.metadata?.encoding ?? new Uint8Array()).toString() === 'binary/encrypted');
  for (const p of encrypted) {
    const [plain] = await runCodec.decode([p]);
    const [again] = await fixtureCodec.encode([plain!]);
    p.metadata = again!.metadata;
    p.data = again!.data;
  }
  await writeFile(join(dir, file), `${JSON.stringify({ workflowId, history: JSON.parse(historyToJSON(history)) }, null, 1)}\n`);
}

export async function historyFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
}

/** Replays one committed history against the current workflow bundle; rejects on nondeterminism. */
export async function replayHistoryFile(dir: string, file: string): Promise<void> {
  const { workflowId, history } = JSON.parse(await readFile(join(dir, file), 'utf8')) as { workflowId: string; history: unknown };
  await Worker.runReplayHistory(
    { workflowBundle: { codePath: testEnv().workflowBundlePath }, dataConverter: encryptingDataConverter(fixtureKeys) },
    historyFromJSON(history),
    workflowId,
  );
}
