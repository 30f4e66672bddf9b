/**
 * What design §4 says must exist for a plane and its agents, read back through the official clients.
 * Used by the e2e suites to check the inventory and the isolation invariants.
 */
import type { GcpClients } from '../../../src/gcp/clients.js';
import { membersOf, type Policy } from '../../../src/gcp/iam-policy.js';
import { agentResourceNames, agentResourcePaths, iapTunnelInstanceResource, planeResourcePaths } from '../../../src/domain/resource-names.js';
import { AGENT_SECRET_KEYS, GENERATED_SECRET_KEYS } from '../../../src/domain/specs.js';
import type { AgentName, OwnerEmail, PlaneName, ProjectId, Zone } from '../../../src/domain/names.js';

export interface AgentFixture {
  readonly name: AgentName;
  readonly owner: OwnerEmail;
}

export interface PlaneFixture {
  readonly name: PlaneName;
  readonly project: ProjectId;
  readonly region: string;
  readonly zone: Zone;
}

/** Full names (as the emulator's inventory lists them) of everything one agent owns. */
export function agentResourceKeys(plane: PlaneFixture, agent: AgentName): string[] {
  return agentResourcePaths(plane, agent);
}

export function planeResourceKeys(plane: PlaneFixture): string[] {
  return planeResourcePaths(plane);
}

function bindingsSummary(policy: Policy): string[] {
  return (policy.bindings ?? [])
    .flatMap((b) => (b.members ?? []).map((m) => `${b.role} ${m}${b.condition ? ` if ${b.condition.expression}` : ''}`))
    .sort();
}

/**
 * Every grant on every resource of `agent`, as "role member" lines. Isolation means this list holds the
 * agent's own service account and owner, and nobody else.
 */
export async function agentGrants(gcp: GcpClients, plane: PlaneFixture, agent: AgentFixture): Promise<Record<string, string[]>> {
  const n = agentResourceNames(plane.project, plane.name, agent.name);
  const grants: Record<string, string[]> = {};
  for (const key of AGENT_SECRET_KEYS) {
    const [p] = await gcp.secrets.getIamPolicy({ resource: n.secretName(key) });
    grants[`secret ${key}`] = bindingsSummary(p as Policy);
  }
  const [ip] = await gcp.instances.getIamPolicy({ project: plane.project, zone: plane.zone, resource: n.instance });
  grants.instance = bindingsSummary(ip as Policy);
  const sa = await gcp.iam.projects.serviceAccounts.getIamPolicy({ resource: `projects/${plane.project}/serviceAccounts/${n.serviceAccountEmail}` });
  grants.serviceAccount = bindingsSummary(sa.data as Policy);
  const iap = await gcp.rest.request<Policy>(
    'POST',
    `${gcp.rest.iapBaseUrl}/v1/${iapTunnelInstanceResource(plane.project, plane.zone, n.instance)}:getIamPolicy`,
    { options: { requestedPolicyVersion: 3 } },
  );
  grants.iapTunnel = bindingsSummary(iap);
  return grants;
}

/** The grants design §4 prescribes for one agent, in the same shape as agentGrants. */
export function expectedAgentGrants(plane: PlaneFixture, agent: AgentFixture): Record<string, string[]> {
  const n = agentResourceNames(plane.project, plane.name, agent.name);
  const grants: Record<string, string[]> = {};
  for (const key of AGENT_SECRET_KEYS) {
    // The owner reads the generated gateway token (to reach their own gateway) and writes the keys they provide.
    grants[`secret ${key}`] = [
      `roles/secretmanager.secretAccessor serviceAccount:${n.serviceAccountEmail}`,
      GENERATED_SECRET_KEYS.includes(key) ? `roles/secretmanager.secretAccessor user:${agent.owner}` : `roles/secretmanager.secretVersionAdder user:${agent.owner}`,
    ].sort();
  }
  grants.instance = [`roles/compute.osLogin user:${agent.owner}`];
  grants.serviceAccount = [`roles/iam.serviceAccountUser user:${agent.owner}`];
  grants.iapTunnel = [`roles/iap.tunnelResourceAccessor user:${agent.owner} if destination.port == 22`];
  return grants;
}

export { membersOf };
