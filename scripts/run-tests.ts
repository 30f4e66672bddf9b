/**
 * The test command after the build: vitest (its config starts the real Temporal dev server) with the
 * default reporter for people and a JSON result file for .ci/run. Extra arguments go to vitest
 * (e.g. `npm test -- test/foundation`).
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { projectRoot } from '../src/runtime/project-root.js';

export const RESULT_FILE = join(projectRoot(), '.agents-plane', 'test-results', 'vitest.json');

const root = projectRoot();
process.stderr.write(`run-tests: node ${process.version} (${process.execPath})\n`);
// The suite is meant to prove the pinned Node (README, "Node version"); running it on another one by
// accident (a shell that found the system node first) would prove something else.
const pinned = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> }).devDependencies?.node;
if (pinned && process.versions.node !== pinned) {
  process.stderr.write(`run-tests: expected the pinned Node ${pinned} (node_modules/.bin/node), got ${process.version}; run through \`npm test\`\n`);
  process.exit(1);
}
await mkdir(dirname(RESULT_FILE), { recursive: true });
// A stale result must never be read as this run's.
await rm(RESULT_FILE, { force: true });

const started = Date.now();
const vitest = spawn(
  process.execPath,
  [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${RESULT_FILE}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);
const forward = (signal: NodeJS.Signals) => () => vitest.kill(signal);
process.on('SIGINT', forward('SIGINT'));
process.on('SIGTERM', forward('SIGTERM'));
const code = await new Promise<number>((resolve) => vitest.on('close', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
process.stderr.write(`run-tests: vitest exited ${code} after ${((Date.now() - started) / 1000).toFixed(1)} s; results in ${RESULT_FILE}\n`);
process.exitCode = code;
