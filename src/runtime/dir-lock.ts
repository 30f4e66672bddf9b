/**
 * A cross-process mutex made of a directory (mkdir is atomic on every local file system). The owner's
 * pid is written inside so a lock left by a crashed process is recognised and broken.
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from './processes.js';

const POLL_MS = 200;

export interface DirLockOptions {
  /** After this long without release, waiters treat the lock as abandoned. */
  readonly staleMs: number;
  /** Give up waiting after this long. */
  readonly timeoutMs?: number;
  /** Called once when the lock is busy, to explain the wait. */
  readonly onWait?: () => void;
}

export async function withDirLock<T>(lock: string, options: DirLockOptions, body: () => Promise<T>): Promise<T> {
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  let toldWaiting = false;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await lockIsStale(lock, options.staleMs)) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${lock}`);
      if (!toldWaiting) {
        options.onWait?.();
        toldWaiting = true;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
  try {
    await writeFile(join(lock, 'owner'), String(process.pid));
    return await body();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function lockIsStale(lock: string, staleMs: number): Promise<boolean> {
  try {
    const owner = Number((await readFile(join(lock, 'owner'), 'utf8')).trim());
    if (Number.isInteger(owner) && owner > 0 && !processAlive(owner)) return true;
  } catch {
    // The owner file is written just after the directory; its absence alone is not staleness.
  }
  try {
    return Date.now() - (await stat(lock)).mtimeMs > staleMs;
  } catch {
    return false;
  }
}
