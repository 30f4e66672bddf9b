/**
 * A plane's network: a custom-mode VPC (no default allow-internal rule), one subnet with Private Google
 * Access, firewall rules that deny traffic between agents and allow SSH only from IAP's range, and a
 * Cloud Router with Cloud NAT for egress. These resources take no labels, so ownership is written in
 * their description and checked before adopting or deleting.
 */
import type { protos } from '@google-cloud/compute';
import type { GcpClients } from '../gcp/clients.js';
import { isNotFound, normalizeGcpError, OperationError } from '../gcp/errors.js';
import { waitForOperation } from '../gcp/operations.js';
import { networkUrl, planeResourceNames, subnetworkUrl } from '../domain/resource-names.js';
import type { PlaneSpec } from '../domain/specs.js';
import { asActivity, ownershipConflict } from './failure.js';
import { requestIdFor, retireRequestIds } from './request-id.js';

/** The agents' subnet. Every plane has its own VPC, so planes may reuse the range. */
export const AGENT_SUBNET_CIDR = '10.128.0.0/20';
/** Google's documented source range for IAP TCP forwarding. */
export const IAP_SOURCE_RANGE = '35.235.240.0/20';

export function planeDescription(plane: PlaneSpec): string {
  return `managed-by=agents-plane plane=${plane.name}`;
}

/** One of the plane's firewall rules: its name and the exact content design §4 prescribes. */
export interface PlaneFirewallRule {
  readonly name: string;
  readonly direction: 'INGRESS' | 'EGRESS';
  readonly priority: number;
  readonly sourceRanges?: string[];
  readonly destinationRanges?: string[];
  readonly allowed?: { IPProtocol: string; ports?: string[] }[];
  readonly denied?: { IPProtocol: string; ports?: string[] }[];
}

export function planeFirewallRules(plane: PlaneSpec): PlaneFirewallRule[] {
  const names = planeResourceNames(plane.name);
  return [
    // Agents never talk to each other, in either direction.
    { name: names.firewallDenyIngress, direction: 'INGRESS', priority: 900, sourceRanges: [AGENT_SUBNET_CIDR], denied: [{ IPProtocol: 'all' }] },
    { name: names.firewallDenyEgress, direction: 'EGRESS', priority: 900, destinationRanges: [AGENT_SUBNET_CIDR], denied: [{ IPProtocol: 'all' }] },
    // SSH only through IAP (OS Login decides who).
    { name: names.firewallAllowIapSsh, direction: 'INGRESS', priority: 1000, sourceRanges: [IAP_SOURCE_RANGE], allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] },
  ];
}

type FirewallRules = readonly { IPProtocol?: string | null; ports?: readonly string[] | null }[] | null | undefined;

const rulesText = (rules: FirewallRules) =>
  (rules ?? []).map((r) => `${r.IPProtocol ?? ''}${r.ports?.length ? `:${[...r.ports].join(',')}` : ''}`).sort().join(' ') || '-';
const rangesText = (ranges: readonly string[] | null | undefined) => [...(ranges ?? [])].sort().join(',') || '-';

/**
 * What differs between a firewall rule as read and as prescribed, field by field ("denied: all →
 * tcp:22"); empty when it matches. Fields the provider fills in (ingress without a destination applies
 * to everything) are compared only when the rule sets them; a disabled rule is a difference.
 */
export function firewallDifferences(
  wanted: PlaneFirewallRule,
  actual: {
    direction?: string | null;
    priority?: number | null;
    sourceRanges?: readonly string[] | null;
    destinationRanges?: readonly string[] | null;
    allowed?: FirewallRules;
    denied?: FirewallRules;
    disabled?: boolean | null;
  },
): string[] {
  const out: string[] = [];
  const compare = (field: string, want: string, got: string) => {
    if (want !== got) out.push(`${field}: ${want} → ${got}`);
  };
  compare('direction', wanted.direction, actual.direction ?? 'INGRESS');
  compare('priority', String(wanted.priority), String(actual.priority ?? 1000));
  if (wanted.sourceRanges) compare('sourceRanges', rangesText(wanted.sourceRanges), rangesText(actual.sourceRanges));
  if (wanted.destinationRanges) compare('destinationRanges', rangesText(wanted.destinationRanges), rangesText(actual.destinationRanges));
  compare('allowed', rulesText(wanted.allowed), rulesText(actual.allowed));
  compare('denied', rulesText(wanted.denied), rulesText(actual.denied));
  if (actual.disabled) out.push('disabled: false → true');
  return out;
}

type Op = { latestResponse?: unknown };

/**
 * The shared shape of every plane resource: read; if present, adopt when ours; else insert with a
 * stable requestId and wait. Delete: read; gone is done; refuse when not ours; delete and wait.
 */
interface PlaneResource {
  readonly what: string;
  get(): Promise<{ description?: string | null } | undefined>;
  /**
   * Where the content matters (firewall rules), what differs between `existing` and the wanted resource;
   * empty when it matches. A resource of ours with other content is replaced (deleted and re-created).
   */
  differences?(existing: unknown): string[];
  insert(requestId: string): Promise<[Op, ...unknown[]]>;
  remove(requestId: string): Promise<[Op, ...unknown[]]>;
}

async function readOrUndefined<T>(what: string, read: () => Promise<[T, ...unknown[]]>): Promise<T | undefined> {
  try {
    return (await read())[0];
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw normalizeGcpError(error, `read ${what}`);
  }
}

export function networkActivities(clients: GcpClients) {

  async function ensure(plane: PlaneSpec, r: PlaneResource): Promise<void> {
    const existing = await r.get();
    if (existing) {
      if (existing.description !== planeDescription(plane)) throw ownershipConflict(r.what);
      if ((r.differences?.(existing) ?? []).length === 0) return;
      // Altered behind the plane's back: a rule of ours with other content no longer gives the isolation
      // we promised, so it is replaced (delete, then insert under its own requestId). compute's
      // firewalls.update would do it in place; the emulator does not model it yet.
      await remove(plane, r, 'replace');
    }
    try {
      const [op] = await r.insert(requestIdFor(existing ? 'recreate' : 'create', r.what));
      await waitForOperation(clients, plane.project, op, `create ${r.what}`, {});
    } catch (error) {
      if (error instanceof OperationError) retireRequestIds();
      const e = normalizeGcpError(error, `create ${r.what}`);
      if (e.kind !== 'ALREADY_EXISTS') throw e;
      const found = await r.get();
      if (found?.description !== planeDescription(plane)) throw ownershipConflict(r.what);
    }
  }

  async function remove(plane: PlaneSpec, r: PlaneResource, purpose = 'delete'): Promise<void> {
    const existing = await r.get();
    if (!existing) return;
    if (existing.description !== planeDescription(plane)) throw ownershipConflict(r.what);
    try {
      const [op] = await r.remove(requestIdFor(purpose, r.what));
      await waitForOperation(clients, plane.project, op, `delete ${r.what}`, {});
    } catch (error) {
      if (!isNotFound(error)) throw normalizeGcpError(error, `delete ${r.what}`);
    }
  }

  const network = (plane: PlaneSpec): PlaneResource => {
    const name = planeResourceNames(plane.name).network;
    const project = plane.project;
    return {
      what: `network ${name}`,
      get: () => readOrUndefined('network', () => clients.networks.get({ project, network: name })),
      insert: (requestId) =>
        clients.networks.insert({
          project,
          requestId,
          networkResource: { name, description: planeDescription(plane), autoCreateSubnetworks: false, routingConfig: { routingMode: 'REGIONAL' } },
        }),
      remove: (requestId) => clients.networks.delete({ project, network: name, requestId }),
    };
  };

  const subnetwork = (plane: PlaneSpec): PlaneResource => {
    const names = planeResourceNames(plane.name);
    const { project, region } = plane;
    return {
      what: `subnetwork ${names.subnetwork}`,
      get: () => readOrUndefined('subnetwork', () => clients.subnetworks.get({ project, region, subnetwork: names.subnetwork })),
      insert: (requestId) =>
        clients.subnetworks.insert({
          project,
          region,
          requestId,
          subnetworkResource: {
            name: names.subnetwork,
            description: planeDescription(plane),
            network: networkUrl(project, names.network),
            ipCidrRange: AGENT_SUBNET_CIDR,
            // Agents reach Google APIs (Secret Manager) without external IPs.
            privateIpGoogleAccess: true,
          },
        }),
      remove: (requestId) => clients.subnetworks.delete({ project, region, subnetwork: names.subnetwork, requestId }),
    };
  };

  const firewall = (plane: PlaneSpec, rule: PlaneFirewallRule): PlaneResource => {
    const project = plane.project;
    const { name, ...body } = rule;
    return {
      what: `firewall ${name}`,
      get: () => readOrUndefined('firewall', () => clients.firewalls.get({ project, firewall: name })),
      differences: (existing) => firewallDifferences(rule, existing as protos.google.cloud.compute.v1.IFirewall),
      insert: (requestId) =>
        clients.firewalls.insert({
          project,
          requestId,
          firewallResource: { ...body, name, description: planeDescription(plane), network: networkUrl(project, planeResourceNames(plane.name).network) },
        }),
      remove: (requestId) => clients.firewalls.delete({ project, firewall: name, requestId }),
    };
  };

  const firewalls = (plane: PlaneSpec): PlaneResource[] => planeFirewallRules(plane).map((rule) => firewall(plane, rule));

  const router = (plane: PlaneSpec): PlaneResource => {
    const names = planeResourceNames(plane.name);
    const { project, region } = plane;
    return {
      what: `router ${names.router}`,
      get: () => readOrUndefined('router', () => clients.routers.get({ project, region, router: names.router })),
      insert: (requestId) =>
        clients.routers.insert({
          project,
          region,
          requestId,
          routerResource: {
            name: names.router,
            description: planeDescription(plane),
            network: networkUrl(project, names.network),
            nats: [
              {
                name: names.nat,
                natIpAllocateOption: 'AUTO_ONLY',
                sourceSubnetworkIpRangesToNat: 'LIST_OF_SUBNETWORKS',
                subnetworks: [{ name: subnetworkUrl(project, region, names.subnetwork), sourceIpRangesToNat: ['ALL_IP_RANGES'] }],
                logConfig: { enable: true, filter: 'ERRORS_ONLY' },
              },
            ],
          },
        }),
      remove: (requestId) => clients.routers.delete({ project, region, router: names.router, requestId }),
    };
  };

  const snapshotSchedule = (plane: PlaneSpec): PlaneResource => {
    const names = planeResourceNames(plane.name);
    const { project, region } = plane;
    return {
      what: `snapshot schedule ${names.snapshotSchedule}`,
      get: () => readOrUndefined('resource policy', () => clients.resourcePolicies.get({ project, region, resourcePolicy: names.snapshotSchedule })),
      insert: (requestId) =>
        clients.resourcePolicies.insert({
          project,
          region,
          requestId,
          resourcePolicyResource: {
            name: names.snapshotSchedule,
            description: planeDescription(plane),
            snapshotSchedulePolicy: {
              schedule: { dailySchedule: { daysInCycle: 1, startTime: '04:00' } },
              retentionPolicy: { maxRetentionDays: 14, onSourceDiskDelete: 'APPLY_RETENTION_POLICY' },
              snapshotProperties: { labels: { 'managed-by': 'agents-plane', 'agents-plane-plane': plane.name }, storageLocations: [region] },
            },
          },
        }),
      remove: (requestId) => clients.resourcePolicies.delete({ project, region, resourcePolicy: names.snapshotSchedule, requestId }),
    };
  };


  return {
    ensurePlaneNetwork: (plane: PlaneSpec) => asActivity(() => ensure(plane, network(plane))),
    deletePlaneNetwork: (plane: PlaneSpec) => asActivity(() => remove(plane, network(plane))),
    ensurePlaneSubnetwork: (plane: PlaneSpec) => asActivity(() => ensure(plane, subnetwork(plane))),
    deletePlaneSubnetwork: (plane: PlaneSpec) => asActivity(() => remove(plane, subnetwork(plane))),
    ensurePlaneFirewalls: (plane: PlaneSpec) =>
      asActivity(async () => {
        for (const r of firewalls(plane)) await ensure(plane, r);
      }),
    deletePlaneFirewalls: (plane: PlaneSpec) =>
      asActivity(async () => {
        for (const r of firewalls(plane).reverse()) await remove(plane, r);
      }),
    ensurePlaneRouter: (plane: PlaneSpec) => asActivity(() => ensure(plane, router(plane))),
    deletePlaneRouter: (plane: PlaneSpec) => asActivity(() => remove(plane, router(plane))),
    ensurePlaneSnapshotSchedule: (plane: PlaneSpec) => asActivity(() => ensure(plane, snapshotSchedule(plane))),
    deletePlaneSnapshotSchedule: (plane: PlaneSpec) => asActivity(() => remove(plane, snapshotSchedule(plane))),
  };
}
