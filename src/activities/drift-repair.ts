/**
 * Repairs `planes reconcile` makes beyond the provisioning ensure activities (which re-create what is
 * missing and restore grants): starting the VM of an agent that should run and was stopped by hand.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { GcpClients } from '../gcp/clients.js';
import { gcpCall, normalizeGcpError, OperationError } from '../gcp/errors.js';
import { waitForOperation } from '../gcp/operations.js';
import { agentLabels, labelsMatch } from '../domain/labels.js';
import { agentResourceNames } from '../domain/resource-names.js';
import type { AgentTarget } from '../domain/targets.js';
import { asActivity, ownershipConflict } from './failure.js';
import { requestIdFor, retireRequestIds } from './request-id.js';

/** Statuses on the way to RUNNING: nothing to do but wait for the heartbeat. */
const STARTING = new Set(['PROVISIONING', 'STAGING', 'RUNNING', 'REPAIRING']);

export function driftRepairActivities(clients: GcpClients) {
  return {
    /**
     * Starts the agent's VM when it is stopped (TERMINATED); returns whether it had to. A VM still
     * STOPPING is retried (transient) until it can be started; one that is missing fails, since
     * re-creating it is the instance ensure step's job.
     */
    async startStoppedAgentInstance(t: AgentTarget): Promise<boolean> {
      return asActivity(async () => {
        const where = { project: t.plane.project, zone: t.plane.zone, instance: agentResourceNames(t.plane.project, t.plane.name, t.agent.name).instance };
        const [vm] = await gcpCall('read instance', () => clients.instances.get(where));
        if (!labelsMatch(vm.labels as Record<string, string>, agentLabels(t.plane.name, t.agent.name, t.agent.owner))) {
          throw ownershipConflict(`instance ${where.instance}`);
        }
        const status = vm.status ?? '';
        if (STARTING.has(status)) return false;
        if (status !== 'TERMINATED') throw ApplicationFailure.retryable(`instance ${where.instance} is ${status}; waiting before starting it`, 'TRANSIENT');
        try {
          // Per stop (the last stop's time): a retry replays this start, a later stop gets a new one.
          const [op] = await clients.instances.start({ ...where, requestId: requestIdFor(`start after ${vm.lastStopTimestamp ?? ''}`, where.instance) });
          await waitForOperation(clients, t.plane.project, op, 'start instance');
        } catch (error) {
          if (error instanceof OperationError) retireRequestIds();
          throw normalizeGcpError(error, 'start instance');
        }
        return true;
      });
    },
  };
}
