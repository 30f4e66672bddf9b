/**
 * Compute's resource store: every record by scope and name, the requestId table, and the reverse
 * indexes that answer "who uses this?" (network → subnetworks/firewalls/routers, subnetwork →
 * instances/routers, resource policy → disks) and "how much capacity does this region use?" in
 * constant time, so deletes and quota checks never scan the fleet.
 */
import type { StoredPolicy } from '../iam-policy.js';
import type { Scope } from './links.js';

/** Hidden while CREATING (GET answers 404, a second insert 409); DELETING until the operation ends. */
export type Lifecycle = 'CREATING' | 'READY' | 'DELETING';

export interface BaseRecord {
  id: string;
  name: string;
  project: string;
  creationTimestamp: string;
  description?: string;
}

export interface NetworkRecord extends BaseRecord {
  state: Lifecycle;
  autoCreateSubnetworks: boolean;
  routingMode: string;
  mtu: number;
}

export interface SubnetworkRecord extends BaseRecord {
  state: Lifecycle;
  region: string;
  /** Relative name of the network. */
  network: string;
  ipCidrRange: string;
  gatewayAddress: string;
  privateIpGoogleAccess: boolean;
  fingerprint: string;
  purpose: string;
  stackType: string;
  /** Made by an auto-mode network (goes with it). */
  auto: boolean;
  /** Next host offset to hand out (offsets 0, 1 and the last two are reserved, as in GCP). */
  nextHost: number;
  freedHosts: number[];
}

export interface FirewallRecord extends BaseRecord {
  state: Lifecycle;
  network: string;
  priority: number;
  direction: string;
  sourceRanges?: string[];
  destinationRanges?: string[];
  sourceTags?: string[];
  targetTags?: string[];
  sourceServiceAccounts?: string[];
  targetServiceAccounts?: string[];
  allowed?: { IPProtocol: string; ports?: string[] }[];
  denied?: { IPProtocol: string; ports?: string[] }[];
  disabled: boolean;
  logConfig: { enable: boolean; metadata?: string };
}

export interface RouterNat {
  name: string;
  natIpAllocateOption?: string;
  sourceSubnetworkIpRangesToNat?: string;
  /** Relative names in `name`, as answered. */
  subnetworks?: { name: string; sourceIpRangesToNat?: string[]; secondaryIpRangeNames?: string[] }[];
  [field: string]: unknown;
}

export interface RouterRecord extends BaseRecord {
  state: Lifecycle;
  region: string;
  network: string;
  nats: RouterNat[];
  bgp?: unknown;
}

export interface ResourcePolicyRecord extends BaseRecord {
  state: Lifecycle;
  region: string;
  /** The policy body as given (snapshotSchedulePolicy, ...), validated. */
  policy: Record<string, unknown>;
}

export interface DiskRecord extends BaseRecord {
  zone: string;
  status: 'CREATING' | 'READY' | 'DELETING';
  sizeGb: number;
  type: string;
  sourceImage?: string;
  /** Relative name and id of the snapshot the disk was made from. */
  sourceSnapshot?: string;
  sourceSnapshotId?: string;
  /** What the guest installed on this disk (carried by snapshots to the disks made from them). */
  guestSoftware?: GuestSoftware;
  labels: Record<string, string>;
  labelFingerprint: string;
  /** Relative names. */
  resourcePolicies: string[];
  /** Relative names of attached instances. */
  users: string[];
  /** Real epoch ms of recent snapshots (the per-disk snapshot rate). */
  snapshotTimes: number[];
  snapshotCount: number;
  architecture: string;
}

export interface SnapshotRecord extends BaseRecord {
  status: 'CREATING' | 'UPLOADING' | 'READY' | 'DELETING';
  sourceDisk: string;
  sourceDiskId: string;
  diskSizeGb: number;
  storageBytes: number;
  labels: Record<string, string>;
  labelFingerprint: string;
  storageLocations: string[];
  /** The guest software on the source disk when the snapshot was taken. */
  guestSoftware?: GuestSoftware;
}

/** Software a guest installed on its boot disk: it survives a snapshot and a disk made from it. */
export interface GuestSoftware {
  readonly nodeInstalled: boolean;
  readonly installed: readonly string[];
  /** The format OpenClaw's state on the disk is in (guest/state-format.ts); absent before its first start. */
  readonly stateFormat?: string;
}

export interface AttachedDiskRecord {
  deviceName: string;
  /** Relative name of the disk. */
  source: string;
  boot: boolean;
  autoDelete: boolean;
  index: number;
  mode: string;
  interface: string;
}

export interface NetworkInterfaceRecord {
  name: string;
  network: string;
  subnetwork: string;
  networkIP: string;
  fingerprint: string;
  accessConfigs?: { name: string; type: string; natIP: string; networkTier: string }[];
}

export type InstanceStatus = 'PROVISIONING' | 'STAGING' | 'RUNNING' | 'STOPPING' | 'TERMINATED' | 'SUSPENDED';

/** What the guest simulator keeps on the instance (so it survives a restart of the emulator). */
export interface GuestRecord {
  phase: 'off' | 'booting' | 'installing' | 'fetching-secrets' | 'starting-gateway' | 'running' | 'failed';
  /** Version installed and running, if any. */
  version?: string;
  health?: 'ok' | 'failing' | 'starting';
  /** Versions already installed on the boot disk (a reboot does not reinstall them). */
  installed: string[];
  nodeInstalled: boolean;
  /** The format of OpenClaw's state on the boot disk (guest/state-format.ts), once a gateway has started. */
  stateFormat?: string;
  heartbeatPaused: boolean;
  /** The guest hangs (no heartbeat) until its next boot: a reset or a stop and start clears it. */
  hung?: boolean;
  /** Secret name → the version number the guest loaded at its last boot (numbers only, never a value). */
  secretVersions?: Record<string, number>;
  /** Messaging channels whose phone link the agent holds (WhatsApp, Signal), as OpenClaw keeps it on disk. */
  linkedChannels?: string[];
}

export interface SerialRecord {
  /** Byte offset of the first retained character. */
  start: number;
  /** Retained output. */
  text: string;
}

export interface InstanceRecord extends BaseRecord {
  zone: string;
  machineType: string;
  status: InstanceStatus;
  labels: Record<string, string>;
  labelFingerprint: string;
  metadata: { key: string; value: string }[];
  metadataFingerprint: string;
  networkInterfaces: NetworkInterfaceRecord[];
  disks: AttachedDiskRecord[];
  serviceAccounts: { email: string; scopes: string[] }[];
  tags: { items: string[]; fingerprint: string };
  fingerprint: string;
  cpuPlatform: string;
  lastStartTimestamp?: string;
  lastStopTimestamp?: string;
  /** Other Instance fields given at insert, answered back as given (scheduling, shieldedInstanceConfig, ...). */
  extra: Record<string, unknown>;
  policy?: StoredPolicy;
  /** `namespace/key` → value. */
  guestAttributes: Record<string, string>;
  serial: SerialRecord;
  guest: GuestRecord;
}

export type OperationStatus = 'PENDING' | 'RUNNING' | 'DONE';

export interface OperationRecord {
  id: string;
  name: string;
  project: string;
  /** Where the operation lives: `projects/p/zones/z`, `.../regions/r` or `.../global`. */
  scope: Scope;
  operationType: string;
  methodId: string;
  targetLink: string;
  targetId: string;
  status: OperationStatus;
  insertTime: string;
  startTime: string;
  endTime?: string;
  /** Real epoch ms at which it completes. */
  doneAt: number;
  requestId?: string;
  /** What completing it does (see operations.ts); absent once DONE. */
  effect?: { kind: string; args: Record<string, unknown> };
  error?: { code: string; message: string; httpStatus: number };
}

/** How much of each serial console the state file keeps. */
export const PERSISTED_SERIAL_BYTES = 64 * 1024;

export function serialTail(serial: SerialRecord, maxChars: number): SerialRecord {
  if (serial.text.length <= maxChars) return serial;
  const drop = serial.text.length - maxChars;
  return { start: serial.start + drop, text: serial.text.slice(drop) };
}

/** Records by scope, then by name. */
export class ScopedMap<T extends { name: string }> {
  private readonly scopes = new Map<Scope, Map<string, T>>();
  private count = 0;

  get(scope: Scope, name: string): T | undefined {
    return this.scopes.get(scope)?.get(name);
  }

  set(scope: Scope, record: T): void {
    let m = this.scopes.get(scope);
    if (!m) this.scopes.set(scope, (m = new Map()));
    if (!m.has(record.name)) this.count++;
    m.set(record.name, record);
  }

  delete(scope: Scope, name: string): boolean {
    const m = this.scopes.get(scope);
    if (!m?.delete(name)) return false;
    this.count--;
    if (m.size === 0) this.scopes.delete(scope);
    return true;
  }

  /** Records of one scope, by name. */
  list(scope: Scope): T[] {
    return [...(this.scopes.get(scope)?.values() ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  *entries(): Generator<[Scope, T]> {
    for (const [scope, m] of this.scopes) for (const r of m.values()) yield [scope, r];
  }

  get size(): number {
    return this.count;
  }

  clear(): void {
    this.scopes.clear();
    this.count = 0;
  }
}

const EMPTY: ReadonlySet<string> = new Set();

/** A many-to-many "used by" index: target relative name → user relative names. */
export class UsageIndex {
  private readonly users = new Map<string, Set<string>>();

  link(target: string, user: string): void {
    let s = this.users.get(target);
    if (!s) this.users.set(target, (s = new Set()));
    s.add(user);
  }

  unlink(target: string, user: string): void {
    const s = this.users.get(target);
    if (!s) return;
    s.delete(user);
    if (s.size === 0) this.users.delete(target);
  }

  usersOf(target: string): ReadonlySet<string> {
    return this.users.get(target) ?? EMPTY;
  }

  /** Any one user, for the "already being used by" message. */
  firstUser(target: string, except?: (user: string) => boolean): string | undefined {
    for (const u of this.users.get(target) ?? []) if (!except?.(u)) return u;
    return undefined;
  }

  clear(): void {
    this.users.clear();
  }
}

export interface RegionUsage {
  cpus: number;
  instances: number;
  ssdGb: number;
  standardGb: number;
}

export interface ComputeSnapshot {
  networks: [Scope, NetworkRecord][];
  subnetworks: [Scope, SubnetworkRecord][];
  firewalls: [Scope, FirewallRecord][];
  routers: [Scope, RouterRecord][];
  resourcePolicies: [Scope, ResourcePolicyRecord][];
  disks: [Scope, DiskRecord][];
  snapshots: [Scope, SnapshotRecord][];
  instances: [Scope, InstanceRecord][];
  operations: [Scope, OperationRecord][];
}

export class ComputeState {
  readonly networks = new ScopedMap<NetworkRecord>();
  readonly subnetworks = new ScopedMap<SubnetworkRecord>();
  readonly firewalls = new ScopedMap<FirewallRecord>();
  readonly routers = new ScopedMap<RouterRecord>();
  readonly resourcePolicies = new ScopedMap<ResourcePolicyRecord>();
  readonly disks = new ScopedMap<DiskRecord>();
  readonly snapshots = new ScopedMap<SnapshotRecord>();
  readonly instances = new ScopedMap<InstanceRecord>();
  readonly operations = new ScopedMap<OperationRecord>();
  /** `${project}/${requestId}` → the operation it started. */
  readonly requestIds = new Map<string, { scope: Scope; name: string }>();
  /** network → subnetworks, firewalls, routers. */
  readonly networkUsers = new UsageIndex();
  /** subnetwork → instances, routers (Cloud NAT). */
  readonly subnetworkUsers = new UsageIndex();
  /** resource policy → disks. */
  readonly resourcePolicyUsers = new UsageIndex();
  /** `${project}/${region}` → capacity in use. */
  readonly usage = new Map<string, RegionUsage>();

  regionUsage(project: string, region: string): RegionUsage {
    const key = `${project}/${region}`;
    let u = this.usage.get(key);
    if (!u) this.usage.set(key, (u = { cpus: 0, instances: 0, ssdGb: 0, standardGb: 0 }));
    return u;
  }

  snapshot(): ComputeSnapshot {
    return structuredClone({
      networks: [...this.networks.entries()],
      subnetworks: [...this.subnetworks.entries()],
      firewalls: [...this.firewalls.entries()],
      routers: [...this.routers.entries()],
      resourcePolicies: [...this.resourcePolicies.entries()],
      disks: [...this.disks.entries()],
      snapshots: [...this.snapshots.entries()],
      // The state file keeps the tail of each console, not all of it.
      instances: [...this.instances.entries()].map(([scope, r]): [Scope, InstanceRecord] => [scope, { ...r, serial: serialTail(r.serial, PERSISTED_SERIAL_BYTES) }]),
      operations: [...this.operations.entries()],
    });
  }

  clear(): void {
    for (const m of [this.networks, this.subnetworks, this.firewalls, this.routers, this.resourcePolicies, this.disks, this.snapshots, this.instances, this.operations]) {
      (m as ScopedMap<{ name: string }>).clear();
    }
    this.requestIds.clear();
    this.networkUsers.clear();
    this.subnetworkUsers.clear();
    this.resourcePolicyUsers.clear();
    this.usage.clear();
  }
}
