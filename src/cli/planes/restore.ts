/**
 * `planes restore --plane --agent [--snapshot S]`: reprovisions the agent on a boot disk made from one
 * of its snapshots (default: its newest backup), with the same service account and secrets, through the
 * plane entity (the agent is Restoring meanwhile). A snapshot of the disk it replaces is kept (printed),
 * so a restore can itself be undone by restoring that one. Exit 0 when the agent is Ready on the
 * snapshot's disk, 1 when the restore failed (the agent then runs on its previous disk again, or is Failed).
 */
import type { Command } from 'commander';
import { parseSnapshotName } from '../../domain/backups.js';
import { InvalidInputError } from '../../domain/invalid-input.js';
import { parseAgentName, parsePlaneName, type AgentName } from '../../domain/names.js';
import type { GcpClients } from '../../gcp/clients.js';
import { listPlaneSnapshots } from '../../gcp/plane-snapshots.js';
import { restoreAgentUpdate } from '../../workflows/backup-messages.js';
import { planeStatusQuery, type PlaneStatus } from '../../workflows/plane-messages.js';
import type { RestoreAgentResult } from '../../workflows/restore-agent.js';
import { runCommand } from '../command.js';
import { requireAgent } from './backup.js';
import { runningPlane, updateError } from './plane-handle.js';
import { followWorkflow } from './follow-workflow.js';
import { sleep } from './progress.js';
import { withSession } from './session.js';

interface RestoreOptions {
  plane?: string;
  agent?: string;
  snapshot?: string;
  wait: boolean;
}

export interface RestoreOutput {
  readonly plane: string;
  readonly agent: string;
  readonly snapshot: string;
  readonly workflowId: string;
  /** The snapshot of the disk the restore replaced (to undo the restore). */
  readonly safetySnapshot: string | null;
  readonly state: string;
}

/** The snapshot asked for (it must be one of this agent's, READY), or the agent's newest backup. */
async function resolveSnapshot(gcp: GcpClients, status: PlaneStatus, agent: AgentName, asked: string | undefined): Promise<string> {
  const snapshots = await listPlaneSnapshots(gcp, status.spec.project, status.spec.name, agent);
  if (asked === undefined) {
    const newest = snapshots.find((s) => s.kind === 'backup' && s.status === 'READY');
    if (!newest) throw new InvalidInputError('--snapshot', `agent ${agent} has no backup yet: run \`agents-plane planes backup --plane ${status.spec.name} --agent ${agent}\` first, or name a snapshot`);
    return newest.name;
  }
  const found = snapshots.find((s) => s.name === asked);
  if (!found) throw new InvalidInputError('--snapshot', `no snapshot named ${asked} of agent ${agent} (see \`agents-plane planes backups --plane ${status.spec.name}\`)`);
  if (found.status !== 'READY') throw new InvalidInputError('--snapshot', `snapshot ${asked} is ${found.status}; it can be restored once it is READY`);
  return asked;
}

export function registerRestore(planes: Command): void {
  planes
    .command('restore')
    .description("reprovision an agent on a disk made from one of its snapshots (default: its newest backup), same identity and secrets")
    .requiredOption('--plane <plane>', 'plane name')
    .requiredOption('--agent <agent>', 'agent name')
    .option('--snapshot <name>', 'the snapshot to restore (see `planes backups`); default: the newest backup')
    .option('--no-wait', 'return once the restore has started')
    .action(
      runCommand<RestoreOptions, RestoreOutput>(async (o, out) => {
        const plane = parsePlaneName(o.plane);
        const agent = parseAgentName(o.agent, '--agent');
        const asked = o.snapshot === undefined ? undefined : parseSnapshotName(o.snapshot);
        return withSession(async (session) => {
          const client = await session.temporal();
          const { handle, status } = await runningPlane(client, plane);
          requireAgent(status, agent);
          const snapshot = await resolveSnapshot(await session.google(), status, agent, asked);
          let started;
          try {
            started = await handle.executeUpdate(restoreAgentUpdate, { args: [{ agent, snapshot }] });
          } catch (error) {
            throw updateError(error);
          }
          out.info(`restoring agent ${agent} of plane ${plane} from snapshot ${snapshot} (workflow ${started.workflowId})`);
          const human = (d: RestoreOutput) =>
            `agent ${d.agent}: ${d.state} on snapshot ${d.snapshot}${d.safetySnapshot ? `; its previous disk is in snapshot ${d.safetySnapshot}` : ''}`;
          if (!o.wait) return { data: { plane, agent, snapshot, workflowId: started.workflowId, safetySnapshot: null, state: 'Restoring' }, human };
          const result = await followWorkflow<RestoreAgentResult>(client, started.workflowId, out, `restore of ${agent}`);
          // The entity has the agent's state once the restore's report is in.
          let state = 'Restoring';
          for (let i = 0; i < 40 && state === 'Restoring'; i++) {
            state = (await handle.query(planeStatusQuery)).agents.find((a) => a.spec.name === agent)?.state ?? 'Absent';
            if (state === 'Restoring') await sleep(250);
          }
          return { data: { plane, agent, snapshot, workflowId: started.workflowId, safetySnapshot: result.safetySnapshot, state }, human };
        });
      }),
    );
}
