/** Backup names, stamps, retention and the validated backup/restore/schedule inputs. */
import { describe, expect, it } from 'vitest';
import {
  backupSnapshotName,
  backupsBeyond,
  parseBackupRequest,
  parseCron,
  parseRestoreRequest,
  safetySnapshotName,
  snapshotKind,
  snapshotStamp,
} from '../../src/domain/backups.js';
import { upgradeSnapshotName } from '../../src/activities/agent-version.js';
import { InvalidInputError } from '../../src/domain/invalid-input.js';
import { shortHash } from '../../src/domain/hash.js';

const field = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    if (error instanceof InvalidInputError) return error.field;
    throw error;
  }
  throw new Error('no error');
};

describe('backup names and retention', () => {
  it('stamps sort like time, and name snapshots within 63 characters', () => {
    expect(snapshotStamp(Date.UTC(2026, 10, 30, 8, 3, 0, 45))).toBe('20261130080300045');
    expect(backupSnapshotName('ap-p-a', '20261130080300045')).toBe('ap-p-a-b20261130080300045');
    expect(safetySnapshotName('ap-p-a', '1')).toBe('ap-p-a-r1');
    const long = `ap-${'x'.repeat(55)}`;
    const name = backupSnapshotName(long, '20261130080300045');
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/-[0-9a-f]{6}-b20261130080300045$/);
    // The pre-upgrade names are unchanged by the shared helper.
    expect(upgradeSnapshotName('ap-p-a', 3)).toBe('ap-p-a-u3');
    const longer = `ap-${'y'.repeat(60)}`;
    expect(upgradeSnapshotName(longer, 3)).toBe(`${longer.slice(0, 63 - 3 - 6 - 1)}-${shortHash(longer).slice(0, 6)}-u3`);
  });

  it('keeps the newest N by stamp and names the rest', () => {
    const s = (name: string, stamp: string) => ({ name, stamp });
    const backups = [s('b2', '2'), s('b4', '4'), s('b1', '1'), s('b3', '3')];
    expect(backupsBeyond(backups, 2)).toEqual(['b2', 'b1']);
    expect(backupsBeyond(backups, 4)).toEqual([]);
    expect(backupsBeyond(backups, 1)).toEqual(['b3', 'b2', 'b1']);
  });

  it('tells ours apart by labels', () => {
    expect(snapshotKind({ 'managed-by': 'agents-plane', 'agents-plane-backup': '1' })).toBe('backup');
    expect(snapshotKind({ 'managed-by': 'agents-plane', 'agents-plane-upgrade': '2' })).toBe('pre-upgrade');
    expect(snapshotKind({ 'managed-by': 'agents-plane', 'agents-plane-restore': '3' })).toBe('restore-safety');
    expect(snapshotKind({ 'agents-plane-backup': '1' })).toBeUndefined();
  });
});

describe('backup inputs', () => {
  it('accepts and refuses, naming the field', () => {
    expect(parseBackupRequest({ plane: 'p1', agent: 'a1', keep: '2' })).toEqual({ plane: 'p1', agent: 'a1', keep: 2 });
    expect(field(() => parseBackupRequest({ plane: 'p1', keep: '0' }))).toBe('--keep');
    expect(field(() => parseBackupRequest({ plane: 'p1', keep: 'two' }))).toBe('--keep');
    expect(field(() => parseBackupRequest({ plane: 'P!' }))).toBe('--plane');
    expect(field(() => parseBackupRequest({ plane: 'p1', agent: 'Bad_Name' }))).toBe('--agent');
    expect(field(() => parseRestoreRequest({ agent: 'a1', snapshot: 'Not-A-Snapshot' }))).toBe('--snapshot');
  });

  it('takes 5-field cron expressions and shorthands, refuses the rest', () => {
    for (const ok of ['0 3 * * *', '*/15 * * * *', '0 0-6/2 1,15 * MON-FRI', '30 2 * JAN,JUL sun', '@daily', ' 0  3 * * * ']) {
      expect(() => parseCron(ok), ok).not.toThrow();
    }
    expect(parseCron(' 0  3 * * * ')).toBe('0 3 * * *');
    for (const bad of ['', 'daily', '0 3 * *', '0 3 * * * *', '61 3 * * *', '0 24 * * *', '0 3 32 * *', '0 3 * 13 *', 'a b c d e', '@never']) {
      expect(field(() => parseCron(bad)), bad).toBe('--schedule');
    }
  });
});
