/**
 * After a teardown, proof that nothing of the agent or plane is left: every deterministic name is read
 * back and must be gone. A leftover fails the activity as retryable (deletes are eventually consistent),
 * and names the resources when retries run out.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { GcpClients } from '../gcp/clients.js';
import { isNotFound, normalizeGcpError } from '../gcp/errors.js';
import { agentResourceNames, planeResourceNames } from '../domain/resource-names.js';
import { ALL_AGENT_SECRET_KEYS, type PlaneSpec } from '../domain/specs.js';
import type { AgentTarget } from '../domain/targets.js';
import { asActivity } from './failure.js';

async function exists(what: string, read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw normalizeGcpError(error, `read ${what}`);
  }
}

function failIfAny(scope: string, left: string[]): void {
  if (left.length > 0) {
    throw ApplicationFailure.retryable(`${scope} still has ${left.length} resource(s): ${left.join(', ')}`, 'LEFTOVERS');
  }
}

export function leftoverActivities(clients: GcpClients) {
  return {
    async verifyAgentRemoved(t: AgentTarget): Promise<void> {
      return asActivity(async () => {
        const { project, zone, name: plane } = t.plane;
        const n = agentResourceNames(project, plane, t.agent.name);
        const checks: [string, () => Promise<unknown>][] = [
          [`instance ${n.instance}`, () => clients.instances.get({ project, zone, instance: n.instance })],
          [`disk ${n.bootDisk}`, () => clients.disks.get({ project, zone, disk: n.bootDisk })],
          [`service account ${n.serviceAccountEmail}`, () => clients.iam.projects.serviceAccounts.get({ name: `projects/${project}/serviceAccounts/${n.serviceAccountEmail}` })],
          ...ALL_AGENT_SECRET_KEYS.map((k): [string, () => Promise<unknown>] => [`secret ${n.secretId(k)}`, () => clients.secrets.getSecret({ name: n.secretName(k) })]),
        ];
        const left: string[] = [];
        for (const [what, read] of checks) if (await exists(what, read)) left.push(what);
        failIfAny(`agent ${t.agent.name}`, left);
      });
    },

    async verifyPlaneRemoved(plane: PlaneSpec): Promise<void> {
      return asActivity(async () => {
        const { project, region } = plane;
        const n = planeResourceNames(plane.name);
        const checks: [string, () => Promise<unknown>][] = [
          [`network ${n.network}`, () => clients.networks.get({ project, network: n.network })],
          [`subnetwork ${n.subnetwork}`, () => clients.subnetworks.get({ project, region, subnetwork: n.subnetwork })],
          ...[n.firewallDenyIngress, n.firewallDenyEgress, n.firewallAllowIapSsh].map(
            (f): [string, () => Promise<unknown>] => [`firewall ${f}`, () => clients.firewalls.get({ project, firewall: f })],
          ),
          [`router ${n.router}`, () => clients.routers.get({ project, region, router: n.router })],
          [`snapshot schedule ${n.snapshotSchedule}`, () => clients.resourcePolicies.get({ project, region, resourcePolicy: n.snapshotSchedule })],
        ];
        const left: string[] = [];
        for (const [what, read] of checks) if (await exists(what, read)) left.push(what);
        failIfAny(`plane ${plane.name}`, left);
      });
    },
  };
}
