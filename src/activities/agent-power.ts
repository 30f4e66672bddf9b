/**
 * A running agent's VM: stop (pause), start (resume), reset (restart), its machine type (resize, on the
 * stopped VM), the wait for a healthy heartbeat after one of them, and the health watch's read of every
 * watched agent. Idempotent: a VM already in the
 * wanted state is done; a VM on its way there is waited for; each mutation's requestId comes from the
 * operation's workflow id (and the step, so that an undo in the same workflow is a call of its own), so a
 * retried call is the same call to compute. Ownership is checked (labels)
 * before any mutation. Start and reset return the epoch ms they completed at: heartbeats older than that
 * were published before the restart and do not count.
 */
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { GcpClients } from '../gcp/clients.js';
import { gcpCall, normalizeGcpError, OperationError } from '../gcp/errors.js';
import { waitForOperation } from '../gcp/operations.js';
import { readGuestReport, readInstanceStatus, type GuestReport } from '../gcp/guest-health.js';
import type { AgentObservation } from '../domain/health-watch.js';
import { agentLabels, labelsMatch } from '../domain/labels.js';
import { agentResourceNames } from '../domain/resource-names.js';
import type { AgentSpec, PlaneSpec } from '../domain/specs.js';
import type { AgentTarget } from '../domain/targets.js';
import { asActivity, ownershipConflict } from './failure.js';
import { requestIdFor, retireRequestIds } from './request-id.js';
import type { PollTiming } from './service-accounts.js';

type Verb = 'start' | 'stop' | 'reset';

/** How many agents the health watch reads at once (each is two describe-level calls). */
const OBSERVE_CONCURRENCY = 8;

export function agentPowerActivities(clients: GcpClients, timing: PollTiming) {
  const names = ({ plane, agent }: AgentTarget) => agentResourceNames(plane.project, plane.name, agent.name);
  const where = (t: AgentTarget) => ({ project: t.plane.project, zone: t.plane.zone, instance: names(t).instance });
  const sleep = (ms: number) => Context.current().sleep(ms);

  async function ownInstance(t: AgentTarget) {
    const [instance] = await gcpCall('read instance', () => clients.instances.get(where(t)));
    if (!labelsMatch(instance.labels as Record<string, string>, agentLabels(t.plane.name, t.agent.name, t.agent.owner))) {
      throw ownershipConflict(`instance ${names(t).instance}`);
    }
    return instance;
  }

  async function status(t: AgentTarget): Promise<string> {
    return (await ownInstance(t)).status ?? 'UNKNOWN';
  }

  async function power(t: AgentTarget, verb: Verb, step = `${verb}-instance`): Promise<void> {
    try {
      const call = { ...where(t), requestId: requestIdFor(step, names(t).instance) };
      const [op] = await (verb === 'start' ? clients.instances.start(call) : verb === 'stop' ? clients.instances.stop(call) : clients.instances.reset(call));
      await waitForOperation(clients, t.plane.project, op, `${verb} instance`);
    } catch (error) {
      if (error instanceof OperationError) retireRequestIds();
      throw normalizeGcpError(error, `${verb} instance`);
    }
  }

  /** Waits while the VM is between states (STAGING, STOPPING, ...), then returns where it settled. */
  async function settled(t: AgentTarget): Promise<string> {
    for (;;) {
      const s = await status(t);
      if (s === 'RUNNING' || s === 'TERMINATED' || s === 'SUSPENDED') return s;
      await sleep(timing.pollIntervalMs);
    }
  }

  return {
    /**
     * Pause: the VM stopped (TERMINATED: only its disk is billed). `step` names the call for its
     * requestId when one workflow stops the VM more than once (a resize's undo).
     */
    async stopAgentInstance(t: AgentTarget, step?: string): Promise<void> {
      return asActivity(async () => {
        if ((await settled(t)) === 'TERMINATED') return;
        await power(t, 'stop', step);
      });
    },

    /** Resume: the VM running again; returns when (epoch ms). `step` as for stopAgentInstance. */
    async startAgentInstance(t: AgentTarget, step?: string): Promise<number> {
      return asActivity(async () => {
        if ((await settled(t)) !== 'RUNNING') await power(t, 'start', step);
        return Date.now();
      });
    },

    /**
     * Resize: the stopped VM on `machineType` (a name of the plane's catalog). Already on it: done.
     * Compute changes the type only while the VM is TERMINATED; a VM that runs is refused by compute
     * (400, permanent): the workflow stops it first. The type is part of the requestId, so putting the
     * old type back in the same workflow is a call of its own.
     */
    async setAgentMachineType(t: AgentTarget, machineType: string): Promise<void> {
      return asActivity(async () => {
        await settled(t);
        const instance = await ownInstance(t);
        if (instance.machineType?.split('/').pop() === machineType) return;
        try {
          const [op] = await clients.instances.setMachineType({
            ...where(t),
            requestId: requestIdFor(`set-machine-type/${machineType}`, names(t).instance),
            instancesSetMachineTypeRequestResource: { machineType: `zones/${t.plane.zone}/machineTypes/${machineType}` },
          });
          await waitForOperation(clients, t.plane.project, op, 'set machine type');
        } catch (error) {
          if (error instanceof OperationError) retireRequestIds();
          throw normalizeGcpError(error, 'set machine type');
        }
      });
    },

    /** Restart: a hard reset of a running VM (a stopped one is started); returns when (epoch ms). */
    async resetAgentInstance(t: AgentTarget): Promise<number> {
      return asActivity(async () => {
        await power(t, (await settled(t)) === 'RUNNING' ? 'reset' : 'start');
        return Date.now();
      });
    },

    /**
     * Done when the guest reports `version` and health ok in a heartbeat published at or after `since`
     * (epoch ms). `deadline` (epoch ms, fixed by the workflow) ends every attempt the same way.
     */
    async waitForHealthyHeartbeat(t: AgentTarget, version: string, since: number, deadline: number): Promise<GuestReport> {
      return asActivity(async () => {
        for (;;) {
          const health = await readGuestReport(clients, where(t));
          const fresh = health.heartbeatAt !== undefined && health.heartbeatAt >= since;
          if (fresh && health.health === 'ok' && health.version === version) return health;
          if (Date.now() > deadline) {
            throw ApplicationFailure.nonRetryable(
              `agent ${t.agent.name} did not report healthy on version ${version} after its restart ` +
                `(last: ${fresh ? `health=${health.health ?? 'none'}, version=${health.version ?? 'none'}` : 'no heartbeat since the restart'}); see \`agents-plane planes logs\``,
              'AGENT_NOT_HEALTHY',
            );
          }
          await sleep(timing.pollIntervalMs);
        }
      });
    },

    /** The health watch's check: instance status and guest heartbeat of each agent. */
    async observeAgents(plane: PlaneSpec, agents: readonly AgentSpec[]): Promise<AgentObservation[]> {
      return asActivity(async () => {
        const observe = async (agent: AgentSpec): Promise<AgentObservation> => {
          const ref = where({ plane, agent });
          try {
            const [instanceStatus, guest] = await Promise.all([readInstanceStatus(clients, ref), readGuestReport(clients, ref)]);
            return { agent: agent.name, observedAt: Date.now(), ...(instanceStatus ? { instanceStatus } : {}), ...guest };
          } catch (error) {
            // One agent that cannot be read gets no verdict; the others still do.
            return { agent: agent.name, observedAt: Date.now(), readError: normalizeGcpError(error, 'read agent health').message };
          }
        };
        const out: AgentObservation[] = [];
        for (let i = 0; i < agents.length; i += OBSERVE_CONCURRENCY) {
          out.push(...(await Promise.all(agents.slice(i, i + OBSERVE_CONCURRENCY).map(observe))));
        }
        return out;
      });
    },
  };
}
