/**
 * Backups and restores of agents' boot disks: the labels and deterministic names of their snapshots,
 * the retention rule, and the validated requests (CLI flags, Update arguments, schedule arguments).
 * Pure and deterministic: workflow code uses it too.
 */
import { shortHash } from './hash.js';
import { InvalidInputError } from './invalid-input.js';
import { LABEL_KEYS, MANAGED_BY, type Labels } from './labels.js';
import { parseAgentName, parsePlaneName, type AgentName, type PlaneName } from './names.js';
import { wholeNumber } from './upgrade-spec.js';

/** Label on a backup snapshot: its stamp (UTC yyyymmddhhmmssSSS), which also orders backups. */
export const BACKUP_LABEL = 'agents-plane-backup';
/** Label on a pre-upgrade snapshot (activities/agent-version.ts): which upgrade of the plane took it. */
export const PRE_UPGRADE_LABEL = 'agents-plane-upgrade';
/** Label on the safety snapshot a restore takes of the disk it replaces: the restore's stamp. */
export const RESTORE_LABEL = 'agents-plane-restore';

export const MAX_KEEP = 1000;

/** `<disk><suffix>`, shortened with a hash when it would pass GCP's 63 characters. */
export function diskSnapshotName(disk: string, suffix: string): string {
  if (disk.length + suffix.length <= 63) return `${disk}${suffix}`;
  const hash = shortHash(disk).slice(0, 6);
  return `${disk.slice(0, 63 - suffix.length - hash.length - 1).replace(/-+$/, '')}-${hash}${suffix}`;
}

/** Epoch ms → `20261130083000123` (UTC): sortable, a valid label value and name part. */
export function snapshotStamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/[-:TZ.]/g, '');
}

export const backupSnapshotName = (disk: string, stamp: string) => diskSnapshotName(disk, `-b${stamp}`);
export const safetySnapshotName = (disk: string, stamp: string) => diskSnapshotName(disk, `-r${stamp}`);

export function backupLabels(agentLabels: Labels, stamp: string): Labels {
  return { ...agentLabels, [BACKUP_LABEL]: stamp };
}

export function safetyLabels(agentLabels: Labels, stamp: string): Labels {
  return { ...agentLabels, [RESTORE_LABEL]: stamp };
}

/** Which snapshot an agent's snapshot is, from its labels (undefined: not one of ours). */
export type SnapshotKind = 'backup' | 'pre-upgrade' | 'restore-safety' | 'other';

export function snapshotKind(labels: Readonly<Record<string, string>> | null | undefined): SnapshotKind | undefined {
  if (!labels || labels[LABEL_KEYS.managedBy] !== MANAGED_BY) return undefined;
  if (labels[BACKUP_LABEL]) return 'backup';
  if (labels[PRE_UPGRADE_LABEL]) return 'pre-upgrade';
  if (labels[RESTORE_LABEL]) return 'restore-safety';
  return 'other';
}

export interface StampedSnapshot {
  readonly name: string;
  /** The BACKUP_LABEL value. */
  readonly stamp: string;
}

/** Retention: the backups beyond the newest `keep` (newest by stamp, then name), oldest last. */
export function backupsBeyond(backups: readonly StampedSnapshot[], keep: number): string[] {
  const newestFirst = [...backups].sort((a, b) => (a.stamp === b.stamp ? (a.name < b.name ? 1 : -1) : a.stamp < b.stamp ? 1 : -1));
  return newestFirst.slice(keep).map((s) => s.name);
}

export function parseKeep(value: unknown, field = '--keep'): number {
  return wholeNumber(value, field, 1, MAX_KEEP);
}

/** What a backup run works on: a plane (or one agent of it), and how many backups per agent to keep. */
export interface BackupRequest {
  readonly plane: PlaneName;
  readonly agent?: AgentName;
  /** Keep the newest `keep` backups per agent and delete older ones; absent: delete nothing. */
  readonly keep?: number;
}

export function parseBackupRequest(raw: { plane?: unknown; agent?: unknown; keep?: unknown }): BackupRequest {
  const plane = parsePlaneName(raw.plane, '--plane');
  const agent = raw.agent === undefined ? undefined : parseAgentName(raw.agent, '--agent');
  const keep = raw.keep === undefined ? undefined : parseKeep(raw.keep);
  return { plane, ...(agent ? { agent } : {}), ...(keep !== undefined ? { keep } : {}) };
}

/** A snapshot name as GCP allows it (1–63: lowercase letter first, then letters, digits, `-`). */
export function parseSnapshotName(value: unknown, field = '--snapshot'): string {
  if (typeof value !== 'string' || !/^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/.test(value)) {
    throw new InvalidInputError(field, 'must be a snapshot name: 1-63 lowercase letters, digits and hyphens, starting with a letter');
  }
  return value;
}

export interface RestoreRequest {
  readonly agent: AgentName;
  /** The snapshot to restore from (the CLI resolves the default: the agent's newest backup). */
  readonly snapshot: string;
}

export function parseRestoreRequest(raw: { agent?: unknown; snapshot?: unknown }): RestoreRequest {
  return { agent: parseAgentName(raw.agent, '--agent'), snapshot: parseSnapshotName(raw.snapshot) };
}

const CRON_FIELD = /^(?:\*|\d{1,2}(?:-\d{1,2})?)(?:\/\d{1,2})?(?:,(?:\*|\d{1,2}(?:-\d{1,2})?)(?:\/\d{1,2})?)*$/;
const CRON_NAMED = /^[A-Za-z]{3}(?:-[A-Za-z]{3})?(?:,[A-Za-z]{3}(?:-[A-Za-z]{3})?)*$/;
const CRON_RANGES: readonly (readonly [number, number])[] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];
const CRON_SHORTHANDS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/**
 * A standard 5-field cron expression (minute hour day-of-month month day-of-week; `*`, lists, ranges,
 * steps, month/day names) or a shorthand such as `@daily`. Checked here so a typo is exit 2, not a
 * schedule that never fires.
 */
export function parseCron(value: unknown, field = '--schedule'): string {
  const rule = 'must be a 5-field cron expression (minute hour day-of-month month day-of-week), e.g. "0 3 * * *", or @daily/@hourly/@weekly';
  if (typeof value !== 'string') throw new InvalidInputError(field, rule);
  const cron = value.trim().replace(/\s+/g, ' ');
  if (CRON_SHORTHANDS.has(cron)) return cron;
  const fields = cron.split(' ');
  if (fields.length !== 5) throw new InvalidInputError(field, rule);
  fields.forEach((f, i) => {
    const named = (i === 3 || i === 4) && CRON_NAMED.test(f);
    if (!named && !CRON_FIELD.test(f)) throw new InvalidInputError(field, rule);
    const [min, max] = CRON_RANGES[i]!;
    for (const n of named ? [] : (f.match(/(?<![/\d])\d+/g) ?? []).map(Number)) {
      if (n < min || n > max) throw new InvalidInputError(field, `${rule}; field ${i + 1} takes ${min}-${max}`);
    }
  });
  return cron;
}
