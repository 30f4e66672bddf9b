/**
 * Where the project lives on disk, found from this module's own location so that it is the same
 * whether the code runs compiled (dist/src/runtime) or as TypeScript under vitest (src/runtime).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function projectRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && isAgentsPlaneManifest(manifest)) {
      cached = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the agents-plane package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

function isAgentsPlaneManifest(path: string): boolean {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown }).name === 'agents-plane';
  } catch {
    return false;
  }
}
