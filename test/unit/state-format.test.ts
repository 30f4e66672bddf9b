/**
 * The real guest's state-format marker (guest-helpers.ts, agents-plane-restart-gateway): the function
 * the gateway restart runs, taken verbatim from the rendered program and run in real bash on a stand-in
 * OpenClaw state directory. What an upgrade's rollback relies on: a migration of the stores changes the
 * marker; new sessions, workspace files, config backups and logs do not.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guestPrograms } from '../../src/domain/guest-helpers.js';
import { GUEST_PROGRAMS } from '../../src/domain/guest-layout.js';

const run = promisify(execFile);
let work: string;

/** `set_file` and `record_state_format` as the rendered program defines them. */
function recordingFunctions(): string {
  const lines = guestPrograms().find((p) => p.path === GUEST_PROGRAMS.restartGateway)!.text.split('\n');
  const setFile = lines.find((l) => l.startsWith('set_file() {'))!;
  const start = lines.indexOf('record_state_format() {');
  const end = lines.indexOf('}', start);
  expect(start).toBeGreaterThan(0);
  return [setFile, ...lines.slice(start, end + 1)].join('\n');
}

async function stateFormat(stateDir: string): Promise<string> {
  const out = join(work, 'state-format');
  const script = ['set -euo pipefail', `STATE_DIR='${stateDir}'`, `STATE_FORMAT_FILE='${out}'`, recordingFunctions(), 'record_state_format'].join('\n');
  await run('bash', ['-c', script]);
  return (await readFile(out, 'utf8')).trim();
}

async function put(path: string, content = 'x'): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'state-format-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('the guest state-format marker', () => {
  it('changes when the stores migrate, not when the agent is used', async () => {
    const state = join(work, '.openclaw');
    await put(join(state, 'openclaw.json'), '{}');
    await put(join(state, 'agents', 'main', 'sessions', 'sessions.json'), '{}');
    await put(join(state, 'credentials', 'telegram.json'), '{}');
    const first = await stateFormat(state);
    expect(first).toMatch(/^[0-9a-f]{16}$/);

    // Use: new sessions and messages, workspace notes, a config write's backup, logs, contents.
    await put(join(state, 'agents', 'main', 'sessions', 's-1.jsonl'), '{"role":"user"}\n');
    await put(join(state, 'workspace', 'MEMORY.md'), 'remember');
    await put(join(state, 'openclaw.json.bak'), '{}');
    await put(join(state, 'logs', 'gateway.log'), 'started');
    await writeFile(join(state, 'openclaw.json'), '{"gateway":{}}');
    expect(await stateFormat(state)).toBe(first);

    // Migration: sessions moved into a database, the old store gone.
    await put(join(state, 'state.db'), 'SQLite format 3');
    await rm(join(state, 'agents', 'main', 'sessions'), { recursive: true });
    const migrated = await stateFormat(state);
    expect(migrated).not.toBe(first);
    expect(await stateFormat(state)).toBe(migrated);
  });

  it('records nothing rather than failing the restart when there is no state directory yet', async () => {
    const out = join(work, 'state-format');
    await rm(out, { force: true });
    const script = ['set -euo pipefail', `STATE_DIR='${join(work, 'absent')}'`, `STATE_FORMAT_FILE='${out}'`, recordingFunctions(), 'record_state_format', 'echo done'].join('\n');
    const { stdout } = await run('bash', ['-c', script]);
    expect(stdout.trim()).toBe('done');
    await expect(readFile(out, 'utf8')).rejects.toThrow(/ENOENT/);
  });
});
