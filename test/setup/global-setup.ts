/**
 * Runs once per `vitest run`: ensures the Temporal CLI, starts ONE real dev server for every test file,
 * makes a codec key and bundles the workflows once. If the server cannot start, this throws and every
 * suite fails; none is skipped.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { generateCodecKeysText } from '../../src/temporal/codec-keys.js';
import { isRunning, stopProcess, type ProcessRecord } from '../../src/runtime/processes.js';
import { projectRoot } from '../../src/runtime/project-root.js';
import { ensurePypiTool } from '../../src/runtime/pypi-tools.js';
import { bundleWorkflowsToFile } from '../../src/runtime/workflow-bundle.js';
import { startTestDevServer, type TestDevServer } from './dev-server.js';
import type { TestEnv } from './test-env.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const runDir = await mkdtemp(join(tmpdir(), 'agents-plane-test-'));
  const processDir = join(runDir, 'processes');
  await mkdir(processDir, { recursive: true });
  const say = (line: string) => process.stderr.write(`[global-setup] ${line}\n`);
  say(`node ${process.version}; run folder ${runDir}`);

  let server: TestDevServer | undefined;
  const teardown = async () => {
    await stopLeftovers(processDir);
    await rm(runDir, { recursive: true, force: true });
  };
  try {
    const temporalBin = await ensurePypiTool('temporal', say);
    const root = projectRoot();
    const bundles = bundleAll(root, runDir);
    server = await startTestDevServer({
      temporalBin,
      dbFile: join(runDir, 'temporal.sqlite'),
      logFile: join(runDir, 'temporal.log'),
      processDir,
    });
    const paths = await bundles;
    const env: TestEnv = {
      temporalAddress: server.address,
      namespace: 'default',
      webUiUrl: server.webUiUrl,
      codecKeys: generateCodecKeysText('test'),
      ...paths,
      temporalBin,
      runDir,
      processDir,
    };
    project.provide('agentsPlaneTestEnv', env);
    say(`Temporal dev server ${server.address} ready, bundles built (${Date.now() - started} ms)`);
    return teardown;
  } catch (error) {
    await teardown();
    throw new Error(`the test harness could not start: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function bundleAll(root: string, runDir: string) {
  const workflowBundlePath = join(runDir, 'workflow-bundle.js');
  const fixtureBundlePath = join(runDir, 'fixture-bundle.js');
  const fixtureIncompatibleBundlePath = join(runDir, 'fixture-incompatible-bundle.js');
  // One after the other: webpack is CPU-bound and the dev server is starting on the other core.
  await bundleWorkflowsToFile(join(root, 'src', 'workflows', 'index.ts'), workflowBundlePath);
  await bundleWorkflowsToFile(join(root, 'test', 'fixtures', 'workflows', 'index.ts'), fixtureBundlePath);
  await bundleWorkflowsToFile(join(root, 'test', 'fixtures', 'workflows-incompatible', 'index.ts'), fixtureIncompatibleBundlePath);
  return { workflowBundlePath, fixtureBundlePath, fixtureIncompatibleBundlePath };
}

/** Every process a test recorded and did not stop (a failed test, a crash): stopped here. */
async function stopLeftovers(processDir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(processDir);
  } catch {
    return;
  }
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const record = JSON.parse(await readFile(join(processDir, name), 'utf8')) as ProcessRecord;
    if (isRunning(record)) await stopProcess(record, 5_000).catch(() => {});
  }
}
