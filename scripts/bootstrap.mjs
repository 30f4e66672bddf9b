// Installs what a fresh clone is missing before anything else runs. Plain JavaScript on purpose: it
// runs under whatever `node` is first on PATH (the system one on a fresh clone), before the pinned
// Node 24 from node_modules exists.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

// npm writes node_modules/.package-lock.json on every install: older than the lockfile means stale.
const installed = mtime(join(root, 'node_modules', '.package-lock.json'));
const lock = mtime(join(root, 'package-lock.json'));
const pinnedNode = mtime(join(root, 'node_modules', '.bin', 'node'));
if (installed === undefined || pinnedNode === undefined || (lock !== undefined && lock > installed)) {
  process.stderr.write('bootstrap: installing dependencies from package-lock.json (npm ci)\n');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    process.stderr.write(`bootstrap: npm ci failed (exit ${result.status ?? result.signal})\n`);
    process.exit(1);
  }
}
