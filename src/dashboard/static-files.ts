/**
 * The dashboard's static files: its own components (src/dashboard/web, plain ES modules, no build step)
 * under /assets/, and the Lit packages straight from node_modules under /vendor/<package>/. Only those
 * folders, only known file types, and no path may climb out of them.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../runtime/project-root.js';
import { VENDOR_PACKAGES } from './page.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

export interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
  readonly cacheControl: string;
}

/** The components' folder: the same whether the server runs compiled (dist/) or under vitest (src/). */
export function webRoot(): string {
  return join(projectRoot(), 'src', 'dashboard', 'web');
}

/** Where Node would find `name` from this module: the nearest node_modules/<name> up the tree. */
function packageDir(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`the dashboard needs the npm package ${name}, which is not installed`);
    dir = parent;
  }
}

export class StaticFiles {
  private readonly cache = new Map<string, StaticFile>();
  private readonly roots: ReadonlyMap<string, { dir: string; cacheControl: string }>;

  constructor(web = webRoot()) {
    const roots = new Map<string, { dir: string; cacheControl: string }>();
    // Our own files change with the checkout: revalidate. Vendor files are fixed per installed version.
    roots.set('/assets/', { dir: web, cacheControl: 'no-cache' });
    for (const name of VENDOR_PACKAGES) roots.set(`/vendor/${name}/`, { dir: packageDir(name), cacheControl: 'public, max-age=3600' });
    this.roots = roots;
  }

  /** The file for a URL path, or undefined when the path is not one this server serves. */
  async get(pathname: string): Promise<StaticFile | undefined> {
    const cached = this.cache.get(pathname);
    if (cached) return cached;
    const found = this.locate(pathname);
    if (!found) return undefined;
    let body: Buffer;
    try {
      body = await readFile(found.file);
    } catch {
      return undefined;
    }
    const file = { body, contentType: found.contentType, cacheControl: found.cacheControl };
    this.cache.set(pathname, file);
    return file;
  }

  private locate(pathname: string): { file: string; contentType: string; cacheControl: string } | undefined {
    for (const [prefix, root] of this.roots) {
      if (!pathname.startsWith(prefix)) continue;
      let relative: string;
      try {
        relative = decodeURIComponent(pathname.slice(prefix.length));
      } catch {
        return undefined;
      }
      const contentType = CONTENT_TYPES[extname(relative)];
      if (!contentType || relative.includes('\0')) return undefined;
      const file = resolve(root.dir, relative);
      if (!file.startsWith(root.dir + sep)) return undefined;
      return { file, contentType, cacheControl: root.cacheControl };
    }
    return undefined;
  }
}
