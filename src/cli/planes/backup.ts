/**
 * `planes backup --plane [--agent] [--keep N]`: snapshots of the plane's Ready agents' boot disks now
 * (backupPlane), then retention (the newest N backups per agent stay).
 * `planes backup --plane --schedule "<cron>" --keep N`: the same on a Temporal Schedule (`backup/<plane>`),
 * created or updated; `--unschedule` removes it.
 * `planes backup --plane --list` (or `planes backups --plane`): the schedule and the plane's snapshots
 * (backups, pre-upgrade and restore-safety snapshots) with their age and size.
 */
import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import { parseBackupRequest, parseCron, type BackupRequest } from '../../domain/backups.js';
import { InvalidInputError } from '../../domain/invalid-input.js';
import type { AgentName } from '../../domain/names.js';
import { onDemandBackupWorkflowId } from '../../domain/workflow-ids.js';
import { listPlaneSnapshots } from '../../gcp/plane-snapshots.js';
import { OPERATION, PLANE_NAME } from '../../temporal/search-attributes.js';
import { taskQueueFromEnv } from '../../temporal/task-queue.js';
import type { BackupResult, backupPlane } from '../../workflows/backup-plane.js';
import type { PlaneStatus } from '../../workflows/plane-messages.js';
import { runCommand, table, type Output } from '../command.js';
import { deleteBackupSchedule, describeBackupSchedule, setBackupSchedule, type BackupScheduleView } from './backup-schedule.js';
import { runningPlane } from './plane-handle.js';
import { followWorkflow } from './follow-workflow.js';
import { withSession, type Session } from './session.js';

interface BackupOptions {
  plane?: string;
  agent?: string;
  keep?: string;
  schedule?: string;
  unschedule?: boolean;
  list?: boolean;
  wait: boolean;
}

export interface SnapshotRow {
  readonly agent: string;
  readonly name: string;
  readonly kind: string;
  readonly status: string;
  readonly createdAt: string;
  readonly ageSeconds: number;
  readonly storageBytes: number;
  readonly diskSizeGb: number;
}

export interface BackupListing {
  readonly plane: string;
  readonly schedule: BackupScheduleView | null;
  readonly snapshots: readonly SnapshotRow[];
}

/** 2147483648 → "2.0 GiB". */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** Seconds as the largest whole unit: 42s, 5m, 3h, 2d. */
export function shortAge(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** The agent named by `--agent` must be in the roster (exit 2 otherwise). */
export function requireAgent(status: PlaneStatus, agent: AgentName, field = '--agent'): void {
  if (!status.agents.some((a) => a.spec.name === agent)) throw new InvalidInputError(field, `no agent named ${agent} in plane ${status.spec.name}`);
}

async function listing(session: Session, status: PlaneStatus, agent: AgentName | undefined): Promise<BackupListing> {
  const client = await session.temporal();
  const gcp = await session.google();
  const [schedule, snapshots] = await Promise.all([
    describeBackupSchedule(client, status.spec.name),
    listPlaneSnapshots(gcp, status.spec.project, status.spec.name, agent),
  ]);
  const now = Date.now();
  return {
    plane: status.spec.name,
    schedule,
    snapshots: snapshots.map((s) => ({
      agent: s.agent,
      name: s.name,
      kind: s.kind,
      status: s.status,
      createdAt: s.createdAt,
      ageSeconds: s.createdAt ? Math.max(0, Math.round((now - Date.parse(s.createdAt)) / 1000)) : 0,
      storageBytes: s.storageBytes,
      diskSizeGb: s.diskSizeGb,
    })),
  };
}

function showListing(l: BackupListing): string {
  const s = l.schedule;
  const head = s
    ? `schedule ${s.scheduleId}: "${s.cron}", keep ${s.keep ?? 'all'}${s.paused ? ' (paused)' : ''}; next ${s.nextRuns[0] ?? '-'}`
    : `no backup schedule for plane ${l.plane}`;
  const rows = l.snapshots.map((r) => [r.agent, r.kind, r.name, r.status, shortAge(r.ageSeconds), bytes(r.storageBytes), `${r.diskSizeGb} GB`]);
  return `${head}\n${rows.length ? table(['AGENT', 'KIND', 'SNAPSHOT', 'STATUS', 'AGE', 'STORED', 'DISK'], rows) : 'no snapshots'}`;
}

function showBackup(r: BackupResult): string {
  const rows = r.agents.map((a) => [a.agent, a.snapshot ?? (a.skipped ? `skipped: ${a.skipped}` : '-'), a.storageBytes !== undefined ? bytes(a.storageBytes) : '-', a.pruned.join(', ') || '-']);
  return `${table(['AGENT', 'SNAPSHOT', 'STORED', 'PRUNED'], rows)}\nbackup ${r.stamp} of plane ${r.plane}: ${r.agents.filter((a) => a.snapshot).length} snapshot(s)`;
}

/** Starts (or joins) the on-demand backup and follows it to its end. */
async function runBackup(client: Client, request: BackupRequest, out: Output, wait: boolean): Promise<{ workflowId: string; result: BackupResult | null }> {
  const workflowId = onDemandBackupWorkflowId(request.plane, request.agent);
  await client.workflow.start<typeof backupPlane>('backupPlane', {
    workflowId,
    taskQueue: taskQueueFromEnv(),
    args: [request],
    // The same backup asked for again while it runs: join it.
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    typedSearchAttributes: [
      { key: PLANE_NAME, value: request.plane },
      { key: OPERATION, value: 'backup-plane' },
    ],
  });
  out.info(`backing up plane ${request.plane}${request.agent ? ` agent ${request.agent}` : ''} (workflow ${workflowId})`);
  if (!wait) return { workflowId, result: null };
  return { workflowId, result: await followWorkflow<BackupResult>(client, workflowId, out, `backup of ${request.plane}`) };
}

type BackupOutput =
  | BackupListing
  | { plane: string; workflowId: string; result: BackupResult | null }
  | { plane: string; created: boolean; schedule: BackupScheduleView | null }
  | { plane: string; removed: boolean };

async function backupCommand(o: BackupOptions, out: Output): Promise<{ data: BackupOutput; human: (d: BackupOutput) => string }> {
  const request = parseBackupRequest({ plane: o.plane, agent: o.agent, keep: o.keep });
  const cron = o.schedule === undefined ? undefined : parseCron(o.schedule);
  const modes = [o.list && '--list', cron !== undefined && '--schedule', o.unschedule && '--unschedule'].filter(Boolean) as string[];
  if (modes.length > 1) throw new InvalidInputError(modes[1]!, `cannot be combined with ${modes[0]}`);
  if (cron !== undefined && request.keep === undefined) throw new InvalidInputError('--keep', 'is required with --schedule (how many backups per agent to keep)');
  if ((o.list || o.unschedule) && request.keep !== undefined) throw new InvalidInputError('--keep', `has no meaning with ${o.list ? '--list' : '--unschedule'}`);
  if (o.unschedule && request.agent) throw new InvalidInputError('--agent', 'has no meaning with --unschedule');
  return withSession(async (session) => {
    const client = await session.temporal();
    const { status } = await runningPlane(client, request.plane);
    if (request.agent) requireAgent(status, request.agent);
    if (o.list) {
      const data = await listing(session, status, request.agent);
      return { data, human: (d) => showListing(d as BackupListing) };
    }
    if (o.unschedule) {
      const removed = await deleteBackupSchedule(client, request.plane);
      return { data: { plane: request.plane, removed }, human: () => (removed ? `backup schedule of plane ${request.plane} removed` : `plane ${request.plane} had no backup schedule`) };
    }
    if (cron !== undefined) {
      const created = await setBackupSchedule(client, request, cron);
      const schedule = await describeBackupSchedule(client, request.plane);
      return {
        data: { plane: request.plane, created, schedule },
        human: () => `backup schedule ${schedule?.scheduleId ?? ''} ${created ? 'created' : 'updated'}: "${cron}", keep ${request.keep}; next ${schedule?.nextRuns[0] ?? '-'}`,
      };
    }
    const { workflowId, result } = await runBackup(client, request, out, o.wait);
    return {
      data: { plane: request.plane, workflowId, result },
      human: (d) => {
        const r = (d as { result: BackupResult | null }).result;
        return r ? showBackup(r) : `backup started (workflow ${workflowId})`;
      },
    };
  });
}

export function registerBackup(planes: Command): void {
  planes
    .command('backup')
    .description("snapshot the plane's agents' boot disks now, on a schedule (--schedule), or list backups (--list)")
    .requiredOption('--plane <plane>', 'plane name')
    .option('--agent <agent>', 'only this agent')
    .option('--keep <n>', 'keep the newest N backups per agent, delete older ones (required with --schedule)')
    .option('--schedule <cron>', 'run on this cron schedule (e.g. "0 3 * * *") as Temporal Schedule backup/<plane>; again to change it')
    .option('--unschedule', "remove the plane's backup schedule")
    .option('--list', "show the plane's backup schedule and snapshots")
    .option('--no-wait', 'return once the backup has started')
    .action(runCommand<BackupOptions, BackupOutput>((o, out) => backupCommand(o, out)));

  planes
    .command('backups')
    .description("the plane's backup schedule and snapshots, with age and size (same as backup --list)")
    .requiredOption('--plane <plane>', 'plane name')
    .option('--agent <agent>', 'only this agent')
    .action(
      runCommand<{ plane?: string; agent?: string }, BackupOutput>((o, out) =>
        backupCommand({ plane: o.plane, ...(o.agent !== undefined ? { agent: o.agent } : {}), list: true, wait: true }, out),
      ),
    );
}
