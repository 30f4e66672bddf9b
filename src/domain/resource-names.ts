/**
 * Deterministic names of every cloud resource of a plane and its agents. Names are the idempotency keys
 * of the activities: a retried create finds what the first attempt made, and teardown finds everything
 * without a lookup table.
 */
import { shortHash } from './hash.js';
import { AGENT_SECRET_KEYS } from './specs.js';
import type { AgentName, PlaneName, ProjectId, Region, SecretKey, Zone } from './names.js';

const PREFIX = 'ap';

/** Fits `base` into `max` characters; when too long, a hash of the full name keeps it unique. */
function fit(base: string, max: number): string {
  if (base.length <= max) return base;
  const hash = shortHash(base).slice(0, 6);
  const head = base.slice(0, max - hash.length - 1).replace(/-+$/, '');
  return `${head}-${hash}`;
}

export interface PlaneResourceNames {
  readonly network: string;
  readonly subnetwork: string;
  readonly firewallDenyIngress: string;
  readonly firewallDenyEgress: string;
  readonly firewallAllowIapSsh: string;
  readonly router: string;
  readonly nat: string;
  readonly snapshotSchedule: string;
}

export function planeResourceNames(plane: PlaneName): PlaneResourceNames {
  const base = `${PREFIX}-${plane}`;
  return {
    network: `${base}-vpc`,
    subnetwork: `${base}-agents`,
    firewallDenyIngress: `${base}-deny-agent-ingress`,
    firewallDenyEgress: `${base}-deny-agent-egress`,
    firewallAllowIapSsh: `${base}-allow-iap-ssh`,
    router: `${base}-router`,
    nat: `${base}-nat`,
    snapshotSchedule: `${base}-snapshots`,
  };
}

export interface AgentResourceNames {
  /** Service account id (6–30 characters). */
  readonly serviceAccountId: string;
  readonly serviceAccountEmail: string;
  readonly instance: string;
  /** The boot disk carries the instance's name. */
  readonly bootDisk: string;
  secretId(key: SecretKey): string;
  secretName(key: SecretKey): string;
}

export function agentResourceNames(project: ProjectId, plane: PlaneName, agent: AgentName): AgentResourceNames {
  const base = `${PREFIX}-${plane}-${agent}`;
  const serviceAccountId = fit(base, 30);
  const instance = fit(base, 63);
  const secretId = (key: SecretKey) => `${base}-${key.toLowerCase().replace(/_/g, '-')}`;
  return {
    serviceAccountId,
    serviceAccountEmail: `${serviceAccountId}@${project}.iam.gserviceaccount.com`,
    instance,
    bootDisk: instance,
    secretId,
    secretName: (key) => `projects/${project}/secrets/${secretId(key)}`,
  };
}

/** Regional and zonal URLs as compute expects them in resource bodies. */
export function subnetworkUrl(project: ProjectId, region: Region, subnetwork: string): string {
  return `projects/${project}/regions/${region}/subnetworks/${subnetwork}`;
}

export function networkUrl(project: ProjectId, network: string): string {
  return `projects/${project}/global/networks/${network}`;
}

export function machineTypeUrl(zone: Zone, machineType: string): string {
  return `zones/${zone}/machineTypes/${machineType}`;
}

export function resourcePolicyUrl(project: ProjectId, region: Region, policy: string): string {
  return `projects/${project}/regions/${region}/resourcePolicies/${policy}`;
}

/** IAP's resource for SSH tunnels to one instance. */
export function iapTunnelInstanceResource(project: ProjectId, zone: Zone, instance: string): string {
  return `projects/${project}/iap_tunnel/zones/${zone}/instances/${instance}`;
}

/** Where a plane lives, as far as its resources' full names go. */
export interface PlaneLocation {
  readonly name: PlaneName;
  readonly project: ProjectId;
  readonly region: Region | string;
  readonly zone: Zone;
}

/**
 * The full names (as GCP's APIs and the emulator's inventory give them) of everything one agent owns:
 * its service account, secrets, instance and boot disk. Audits compare these with what exists.
 */
export function agentResourcePaths(plane: PlaneLocation, agent: AgentName): string[] {
  const n = agentResourceNames(plane.project, plane.name, agent);
  return [
    `projects/${plane.project}/serviceAccounts/${n.serviceAccountEmail}`,
    ...AGENT_SECRET_KEYS.map((k) => n.secretName(k)),
    `projects/${plane.project}/zones/${plane.zone}/instances/${n.instance}`,
    `projects/${plane.project}/zones/${plane.zone}/disks/${n.bootDisk}`,
  ];
}

/** The full names of a plane's own resources (design §4, per plane). */
export function planeResourcePaths(plane: PlaneLocation): string[] {
  const n = planeResourceNames(plane.name);
  return [
    `projects/${plane.project}/global/networks/${n.network}`,
    `projects/${plane.project}/regions/${plane.region}/subnetworks/${n.subnetwork}`,
    `projects/${plane.project}/global/firewalls/${n.firewallDenyIngress}`,
    `projects/${plane.project}/global/firewalls/${n.firewallDenyEgress}`,
    `projects/${plane.project}/global/firewalls/${n.firewallAllowIapSsh}`,
    `projects/${plane.project}/regions/${plane.region}/routers/${n.router}`,
    `projects/${plane.project}/regions/${plane.region}/resourcePolicies/${n.snapshotSchedule}`,
  ];
}

/** A global snapshot as compute expects it in a disk's `sourceSnapshot`. */
export function snapshotUrl(project: ProjectId, snapshot: string): string {
  return `projects/${project}/global/snapshots/${snapshot}`;
}
