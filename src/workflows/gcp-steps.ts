/**
 * The GCP provider's runbook (design §4): the ordered steps that build a plane and an agent, each with
 * its undo. Workflows run these through the generic saga runner; another provider would contribute its
 * own list with no change to the workflows.
 */
import type { PlaneSpec } from '../domain/specs.js';
import type { AgentTarget } from '../domain/targets.js';
import { api, boot, compute } from './activity-policies.js';
import type { SagaStep } from './saga.js';

export function planeSteps(plane: PlaneSpec): SagaStep[] {
  return [
    { name: 'network', run: () => compute.ensurePlaneNetwork(plane), undo: () => compute.deletePlaneNetwork(plane) },
    { name: 'subnetwork', run: () => compute.ensurePlaneSubnetwork(plane), undo: () => compute.deletePlaneSubnetwork(plane) },
    { name: 'firewall-rules', run: () => compute.ensurePlaneFirewalls(plane), undo: () => compute.deletePlaneFirewalls(plane) },
    { name: 'router-nat', run: () => compute.ensurePlaneRouter(plane), undo: () => compute.deletePlaneRouter(plane) },
    {
      name: 'snapshot-schedule',
      run: () => compute.ensurePlaneSnapshotSchedule(plane),
      undo: () => compute.deletePlaneSnapshotSchedule(plane),
    },
  ];
}

export interface AgentStepOptions {
  /** Epoch ms by which the agent must report healthy (fixed once by the workflow). */
  readonly bootDeadline: number;
}

export function agentSteps(t: AgentTarget, options: AgentStepOptions): SagaStep[] {
  return [
    {
      name: 'service-account',
      run: async () => {
        await api.ensureServiceAccount(t);
        await api.waitForServiceAccountVisible(t);
      },
      undo: () => api.deleteServiceAccount(t),
    },
    { name: 'secrets', run: () => api.ensureAgentSecrets(t), undo: () => api.deleteAgentSecrets(t) },
    {
      name: 'owner-service-account-user',
      run: () => api.grantOwnerServiceAccountUser(t),
      undo: () => api.revokeOwnerServiceAccountUser(t),
    },
    { name: 'instance', run: () => compute.ensureAgentInstance(t), undo: () => compute.deleteAgentInstance(t) },
    { name: 'owner-os-login', run: () => api.grantOwnerInstanceLogin(t), undo: () => api.revokeOwnerInstanceLogin(t) },
    { name: 'owner-iap-tunnel', run: () => api.grantOwnerTunnelAccess(t), undo: () => api.revokeOwnerTunnelAccess(t) },
    { name: 'first-heartbeat', run: () => boot.waitForFirstHeartbeat(t, options.bootDeadline) },
  ];
}

export const AGENT_STEP_NAMES = agentSteps({} as AgentTarget, { bootDeadline: 0 }).map((s) => s.name);
