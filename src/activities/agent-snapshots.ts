/**
 * The snapshots an agent's operations leave behind (pre-upgrade snapshots, a restore's safety
 * snapshot): they outlive the disk they were taken of, so the agent's removal deletes them, or a removed
 * agent would keep costing snapshot storage forever. Backups are kept: they are the data a person chose
 * to keep, listed by `planes backups` and priced by `planes cost-report` until deleted. Only snapshots
 * whose labels say they are this agent's (plane, agent and owner) are touched.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { GcpClients } from '../gcp/clients.js';
import { listPlaneSnapshots } from '../gcp/plane-snapshots.js';
import { agentLabels, labelsMatch } from '../domain/labels.js';
import type { AgentTarget } from '../domain/targets.js';
import { asActivity } from './failure.js';
import { deleteSnapshot } from './disk-snapshots.js';

export function agentSnapshotActivities(clients: GcpClients) {
  /** The agent's snapshots other than backups (the plane's snapshot listing, narrowed to this agent's labels). */
  async function agentSnapshots(t: AgentTarget): Promise<string[]> {
    const labels = agentLabels(t.plane.name, t.agent.name, t.agent.owner);
    const snapshots = await listPlaneSnapshots(clients, t.plane.project, t.plane.name, t.agent.name);
    return snapshots.filter((s) => s.kind !== 'backup' && labelsMatch(s.labels, labels)).map((s) => s.name);
  }

  return {
    /** Deletes those snapshots of the agent, then lists again: one still there fails the attempt (retried). */
    async deleteAgentSnapshots(t: AgentTarget): Promise<number> {
      return asActivity(async () => {
        const found = await agentSnapshots(t);
        for (const snapshot of found) await deleteSnapshot(clients, t.plane.project, snapshot, 'delete-snapshot');
        const left = await agentSnapshots(t);
        if (left.length > 0) {
          throw ApplicationFailure.retryable(`agent ${t.agent.name} still has ${left.length} snapshot(s): ${left.join(', ')}`, 'LEFTOVERS');
        }
        return found.length;
      });
    },
  };
}
