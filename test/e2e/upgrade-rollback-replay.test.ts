/**
 * Replay safety of the upgrade's rollback: upgradePlane histories captured from real runs in which the
 * canary failed and was rolled back are committed under test/fixtures/histories/upgrade-rollback and
 * must replay against today's workflow code:
 * - `upgradePlane-metadata-only-rollback.json`, recorded by the code from before rollbacks could restore
 *   state (no 'rollback-restores-state' marker: it must replay without the state-format reads);
 * - `upgradePlane-restore-rollback.json`, recorded by today's code, the canary restored from its
 *   pre-upgrade snapshot by a restoreAgent child.
 * AGENTS_PLANE_CAPTURE_HISTORIES=1 records the second again (the first can only come from the old code).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { historyFiles, replayHistoryFile, saveHistory } from './support/histories.js';
import { E2EStack, plane as planeFixture } from './support/stack.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'histories', 'upgrade-rollback');
const MIGRATES_AND_FAILS = '2026.10.5-migrates';

async function capture(file: string): Promise<void> {
  const plane = planeFixture('rbreplay');
  const stack = await E2EStack.start('rbreplay', { latencyScale: 0.005 });
  try {
    const run = async (args: string[], code = 0) => {
      const r = await stack.cli(args);
      if (r.code !== code) throw new Error(`${args.join(' ')}: ${r.stderr}`);
    };
    await run(['planes', 'create', '--name', plane.name, '--project', plane.project, '--region', plane.region]);
    await run(['planes', 'add-agent', '--plane', plane.name, '--name', 'ada', '--owner', 'ada@example.com']);
    await stack.emulator.admin('guest', { failingVersions: [MIGRATES_AND_FAILS] });
    // Code from before the state format rejects the field; its run records a metadata-only rollback.
    await stack.emulator.admin('guest', { stateMigratingVersions: [MIGRATES_AND_FAILS] }).catch(() => undefined);
    await run(['planes', 'upgrade', '--plane', plane.name, '--version', MIGRATES_AND_FAILS, '--health-timeout', '3s'], 1);
    const workflowId = `upgrade/${plane.name}/1`;
    await saveHistory(DIR, file, workflowId, await stack.client.workflow.getHandle(workflowId).fetchHistory());
  } finally {
    await stack.stop();
  }
}

describe('upgrade rollback histories', () => {
  it('replay against the current workflow code', async () => {
    if (process.env.AGENTS_PLANE_CAPTURE_HISTORIES === '1') await capture(process.env.AGENTS_PLANE_CAPTURE_FILE ?? 'upgradePlane-restore-rollback.json');
    const files = await historyFiles(DIR);
    expect(files).toEqual(['upgradePlane-metadata-only-rollback.json', 'upgradePlane-restore-rollback.json']);
    for (const file of files) await expect(replayHistoryFile(DIR, file), file).resolves.toBeUndefined();
  }, 180_000);
});
