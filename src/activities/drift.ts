/**
 * Drift detection: read-only activities that compare what design §4 prescribes for a plane and for one
 * agent with what the cloud has, and return the differences as DriftItems. They read names, settings
 * and IAM policies only (never a secret version), and change nothing, so they are safe to run at any
 * time and to retry.
 */
import type { GcpClients } from '../gcp/clients.js';
import { isNotFound, normalizeGcpError } from '../gcp/errors.js';
import type { Binding, Policy } from '../gcp/iam-policy.js';
import type { DriftItem } from '../domain/drift.js';
import { agentLabels, labelsMatch, ownershipMarker } from '../domain/labels.js';
import { agentResourceNames, iapTunnelInstanceResource, planeResourceNames } from '../domain/resource-names.js';
import { agentSecretKeys, type PlaneSpec } from '../domain/specs.js';
import type { AgentTarget } from '../domain/targets.js';
import { asActivity } from './failure.js';
import { TUNNEL_ACCESSOR, SSH_ONLY } from './iap.js';
import { OS_LOGIN } from './instances.js';
import { AGENT_SUBNET_CIDR, firewallDifferences, planeDescription, planeFirewallRules } from './network.js';
import { SECRET_ACCESSOR, SECRET_VERSION_ADDER, agentSecretBindings } from './secrets.js';
import { SERVICE_ACCOUNT_USER } from './service-accounts.js';

export interface AgentInspection {
  /** Roster state Ready: its VM must be RUNNING. (Paused: it is expected to be stopped.) */
  readonly shouldRun: boolean;
}

/** The resource read, or undefined when it does not exist. */
async function readOptional<T>(what: string, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw normalizeGcpError(error, `read ${what}`);
  }
}

const membersWith = (policy: Policy | undefined, role: string): string[] =>
  (policy?.bindings ?? []).filter((b: Binding) => b.role === role).flatMap((b) => b.members ?? []).sort();

/** `expected` must hold `role` on the resource, and nobody else (design §4: grants per person, only theirs). */
function grantDrift(agent: string, resource: string, policy: Policy | undefined, role: string, expected: string | readonly string[]): DriftItem[] {
  const holders = membersWith(policy, role);
  const wanted: readonly string[] = typeof expected === 'string' ? [expected] : expected;
  const out: DriftItem[] = [];
  for (const member of wanted) {
    if (!holders.includes(member)) out.push({ agent, resource, kind: 'grant', detail: `${role} missing for ${member}`, repairable: true });
  }
  const others = holders.filter((m) => !wanted.includes(m));
  if (others.length > 0) {
    // Reconcile only adds what is missing; removing someone's access is a person's decision.
    out.push({ agent, resource, kind: 'grant', detail: `${role} also held by ${others.join(', ')}`, repairable: false });
  }
  return out;
}

export function driftActivities(clients: GcpClients) {
  async function planeDrift(plane: PlaneSpec): Promise<DriftItem[]> {
    const { project, region } = plane;
    const n = planeResourceNames(plane.name);
    const out: DriftItem[] = [];
    const ours = (what: string, found: { description?: string | null } | undefined): boolean => {
      if (!found) out.push({ resource: what, kind: 'missing', detail: 'not found', repairable: true });
      else if (found.description !== planeDescription(plane)) out.push({ resource: what, kind: 'not-ours', detail: 'description does not name this plane', repairable: false });
      else return true;
      return false;
    };

    ours(`network ${n.network}`, await readOptional('network', async () => (await clients.networks.get({ project, network: n.network }))[0]));

    const subnetWhat = `subnetwork ${n.subnetwork}`;
    const subnet = await readOptional('subnetwork', async () => (await clients.subnetworks.get({ project, region, subnetwork: n.subnetwork }))[0]);
    if (ours(subnetWhat, subnet) && subnet) {
      const differences = [
        ...(subnet.ipCidrRange !== AGENT_SUBNET_CIDR ? [`ipCidrRange: ${AGENT_SUBNET_CIDR} → ${subnet.ipCidrRange ?? '-'}`] : []),
        ...(subnet.privateIpGoogleAccess !== true ? ['privateIpGoogleAccess: true → false'] : []),
      ];
      // A subnet cannot be replaced under running agents: a person decides.
      if (differences.length > 0) out.push({ resource: subnetWhat, kind: 'altered', detail: differences.join('; '), repairable: false });
    }

    for (const rule of planeFirewallRules(plane)) {
      const what = `firewall ${rule.name}`;
      const found = await readOptional('firewall', async () => (await clients.firewalls.get({ project, firewall: rule.name }))[0]);
      if (!ours(what, found) || !found) continue;
      const differences = firewallDifferences(rule, found);
      if (differences.length > 0) out.push({ resource: what, kind: 'altered', detail: differences.join('; '), repairable: true });
    }

    const routerWhat = `router ${n.router}`;
    const router = await readOptional('router', async () => (await clients.routers.get({ project, region, router: n.router }))[0]);
    if (ours(routerWhat, router) && router && !(router.nats ?? []).some((nat) => nat.name === n.nat)) {
      out.push({ resource: routerWhat, kind: 'altered', detail: `Cloud NAT ${n.nat} missing`, repairable: false });
    }

    ours(
      `snapshot schedule ${n.snapshotSchedule}`,
      await readOptional('snapshot schedule', async () => (await clients.resourcePolicies.get({ project, region, resourcePolicy: n.snapshotSchedule }))[0]),
    );
    return out;
  }

  async function agentDrift(t: AgentTarget, inspection: AgentInspection): Promise<DriftItem[]> {
    const { project, zone, name: plane } = t.plane;
    const agent = t.agent.name;
    const n = agentResourceNames(project, plane, agent);
    const owner = `user:${t.agent.owner}`;
    const out: DriftItem[] = [];

    // 1. service account, and the owner's serviceAccountUser on it.
    const saWhat = `service account ${n.serviceAccountEmail}`;
    const saResource = `projects/${project}/serviceAccounts/${n.serviceAccountEmail}`;
    const sa = await readOptional('service account', async () => (await clients.iam.projects.serviceAccounts.get({ name: saResource })).data);
    if (!sa) out.push({ agent, resource: saWhat, kind: 'missing', detail: 'not found', repairable: true });
    else if (sa.description !== ownershipMarker(plane, agent)) out.push({ agent, resource: saWhat, kind: 'not-ours', detail: 'description does not name this agent', repairable: false });
    else {
      const policy = (await clients.iam.projects.serviceAccounts.getIamPolicy({ resource: saResource })).data as Policy;
      out.push(...grantDrift(agent, saWhat, policy, SERVICE_ACCOUNT_USER, owner));
    }

    // 2. secrets, with exactly the bindings ensureAgentSecrets writes (agentSecretBindings).
    const labels = agentLabels(plane, agent, t.agent.owner);
    for (const key of agentSecretKeys(t.agent)) {
      const what = `secret ${n.secretId(key)}`;
      const secret = await readOptional('secret', async () => (await clients.secrets.getSecret({ name: n.secretName(key) }))[0]);
      if (!secret) {
        out.push({ agent, resource: what, kind: 'missing', detail: 'not found', repairable: true });
        continue;
      }
      if (!labelsMatch(secret.labels as Record<string, string>, labels)) {
        out.push({ agent, resource: what, kind: 'not-ours', detail: 'labels do not name this agent', repairable: false });
        continue;
      }
      const [policy] = await clients.secrets.getIamPolicy({ resource: n.secretName(key) });
      // ensureAgentSecrets writes this policy exactly, so extra holders are repaired too.
      const bindings = agentSecretBindings(key, n.serviceAccountEmail, t.agent.owner);
      const roles = [SECRET_ACCESSOR, SECRET_VERSION_ADDER];
      const drift = roles.flatMap((role) => grantDrift(agent, what, policy as Policy, role, bindings.find((b) => b.role === role)?.members ?? []));
      for (const d of drift) out.push({ ...d, repairable: true });
    }

    // 4. the VM: there, ours, running when it should, no external IP; 5. the owner's grants on it.
    const vmWhat = `instance ${n.instance}`;
    const vm = await readOptional('instance', async () => (await clients.instances.get({ project, zone, instance: n.instance }))[0]);
    if (!vm) {
      // A Paused agent's VM is not re-created by reconcile (that would start it).
      out.push({ agent, resource: vmWhat, kind: 'missing', detail: 'not found', repairable: inspection.shouldRun });
      return out;
    }
    if (!labelsMatch(vm.labels as Record<string, string>, labels)) {
      out.push({ agent, resource: vmWhat, kind: 'not-ours', detail: 'labels do not name this agent', repairable: false });
      return out;
    }
    if (inspection.shouldRun && vm.status !== 'RUNNING') {
      out.push({ agent, resource: vmWhat, kind: 'not-running', detail: `status ${vm.status ?? 'unknown'}`, repairable: true });
    }
    const external = (vm.networkInterfaces ?? []).flatMap((nic) => nic.accessConfigs ?? []);
    if (external.length > 0) {
      out.push({
        agent,
        resource: vmWhat,
        kind: 'external-ip',
        detail: `${external.length} access config(s): remove with \`gcloud compute instances delete-access-config\``,
        repairable: false,
      });
    }
    const [vmPolicy] = await clients.instances.getIamPolicy({ project, zone, resource: n.instance });
    out.push(...grantDrift(agent, vmWhat, vmPolicy as Policy, OS_LOGIN, owner));

    const tunnelWhat = `IAP tunnel ${n.instance}`;
    const tunnel = await clients.rest.request<Policy>(
      'POST',
      `${clients.rest.iapBaseUrl}/v1/${iapTunnelInstanceResource(project, zone, n.instance)}:getIamPolicy`,
      { options: { requestedPolicyVersion: 3 } },
    );
    const sshOnly: Policy = { bindings: (tunnel.bindings ?? []).filter((b) => b.condition?.expression === SSH_ONLY.expression) };
    const unconditional = (tunnel.bindings ?? []).filter((b) => b.role === TUNNEL_ACCESSOR && b.condition?.expression !== SSH_ONLY.expression);
    out.push(...grantDrift(agent, tunnelWhat, sshOnly, TUNNEL_ACCESSOR, owner));
    if (unconditional.length > 0) {
      out.push({ agent, resource: tunnelWhat, kind: 'grant', detail: `${TUNNEL_ACCESSOR} granted beyond port 22`, repairable: false });
    }
    return out;
  }

  return {
    /** The plane's network, subnet, firewall rules (exact content), router with NAT and snapshot schedule. */
    inspectPlaneResources: (plane: PlaneSpec): Promise<DriftItem[]> => asActivity(() => planeDrift(plane)),
    /** One agent's service account, secrets, grants and VM. */
    inspectAgentResources: (t: AgentTarget, inspection: AgentInspection): Promise<DriftItem[]> =>
      asActivity(() => agentDrift(t, inspection)),
  };
}
