/**
 * The optional state file: every module's snapshot in one JSON document, rewritten (debounced) after
 * changes and read at start, so the emulator's resources survive a restart. Writes go to a temporary
 * file renamed over the old one: a crash mid-write leaves the previous state, never half a file.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export const STATE_FORMAT_VERSION = 1;

export interface StateDocument {
  readonly version: number;
  readonly savedAt: string;
  readonly modules: Record<string, unknown>;
}

export class StateFile {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private dirtyWhileWriting = false;
  private closed = false;
  /** How long the last write took: a large state is written less often, so writing never dominates. */
  private lastWriteMs = 0;

  constructor(
    readonly path: string,
    private readonly collect: () => Record<string, unknown>,
    private readonly debounceMs = 200,
  ) {}

  /** The saved modules, or undefined when there is no file yet. A file that cannot be read is an error. */
  load(): Record<string, unknown> | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    let doc: StateDocument;
    try {
      doc = JSON.parse(text) as StateDocument;
    } catch {
      throw new Error(`emulator state file ${this.path} is not valid JSON; move it away to start empty`);
    }
    if (doc.version !== STATE_FORMAT_VERSION || typeof doc.modules !== 'object' || doc.modules === null) {
      throw new Error(`emulator state file ${this.path} has an unknown format (version ${String(doc.version)})`);
    }
    return doc.modules;
  }

  markDirty(): void {
    if (this.closed) return;
    if (this.writing) {
      this.dirtyWhileWriting = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.write();
      },
      Math.max(this.debounceMs, 10 * this.lastWriteMs),
    );
    this.timer.unref();
  }

  private document(): string {
    const doc: StateDocument = { version: STATE_FORMAT_VERSION, savedAt: new Date().toISOString(), modules: this.collect() };
    return JSON.stringify(doc);
  }

  private write(): Promise<void> {
    const run = async () => {
      const started = Date.now();
      const tmp = `${this.path}.${process.pid}.tmp`;
      mkdirSync(dirname(this.path), { recursive: true });
      // The file holds secret payloads (as GCP's own storage does): owner-only.
      await writeFile(tmp, this.document(), { mode: 0o600 });
      await rename(tmp, this.path);
      this.lastWriteMs = Date.now() - started;
    };
    this.writing = run()
      .catch((error: unknown) => {
        process.stderr.write(`emulator: could not write state file ${this.path}: ${(error as Error).message}\n`);
      })
      .finally(() => {
        this.writing = undefined;
        if (this.dirtyWhileWriting) {
          this.dirtyWhileWriting = false;
          this.markDirty();
        }
      });
    return this.writing;
  }

  /** Writes now (synchronously), e.g. on close; pending debounced writes are folded in. */
  flushSync(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.dirtyWhileWriting = false;
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, this.document(), { mode: 0o600 });
    renameSync(tmp, this.path);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.writing) await this.writing;
    this.flushSync();
  }
}
