/**
 * The latency model: how long GCP takes to answer a call (`request`) and, for compute's long-running
 * operations, how long until the operation is DONE (`operation`). Defaults are the p50 of
 * /work/shared/gcp-latency-quota.md (kind M/D where measured, E where estimated); with jitter on, a
 * delay is drawn from a log-normal through p50 and p95 and capped at p95. One scale factor multiplies
 * everything (0 = instant).
 */
import type { Random } from './random.js';

export interface Percentiles {
  /** Milliseconds of emulated time. */
  readonly p50: number;
  readonly p95: number;
}

export interface MethodLatency {
  /** Until the HTTP answer. */
  readonly request?: Percentiles;
  /** Until a long-running operation is DONE (compute mutations). */
  readonly operation?: Percentiles;
}

const ms = (p50: number, p95: number): Percentiles => ({ p50, p95 });

/** Answers that do no work server-side: reads, lists, operation polls. */
const READ = ms(80, 300);
/** Writes that are not long-running (IAM, Secret Manager, Resource Manager). */
const WRITE = ms(300, 1000);
/** The HTTP answer of a compute mutation (the operation runs on). */
const OPERATION_ACCEPTED = ms(300, 1200);

/** Per method id. Methods not listed fall back by verb: reads → READ, others → WRITE. */
export const DEFAULT_LATENCIES: Readonly<Record<string, MethodLatency>> = {
  'compute.networks.insert': { request: OPERATION_ACCEPTED, operation: ms(12_000, 25_000) },
  'compute.networks.delete': { request: OPERATION_ACCEPTED, operation: ms(10_000, 22_000) },
  'compute.subnetworks.insert': { request: OPERATION_ACCEPTED, operation: ms(11_000, 23_000) },
  'compute.subnetworks.delete': { request: OPERATION_ACCEPTED, operation: ms(10_000, 22_000) },
  'compute.firewalls.insert': { request: OPERATION_ACCEPTED, operation: ms(9_000, 22_000) },
  'compute.firewalls.delete': { request: OPERATION_ACCEPTED, operation: ms(8_000, 20_000) },
  'compute.routers.insert': { request: OPERATION_ACCEPTED, operation: ms(12_000, 22_000) },
  // Adding Cloud NAT to an existing router.
  'compute.routers.patch': { request: OPERATION_ACCEPTED, operation: ms(12_000, 23_000) },
  'compute.routers.delete': { request: OPERATION_ACCEPTED, operation: ms(10_000, 22_000) },
  'compute.resourcePolicies.insert': { request: OPERATION_ACCEPTED, operation: ms(5_000, 15_000) },
  'compute.resourcePolicies.delete': { request: OPERATION_ACCEPTED, operation: ms(5_000, 15_000) },
  'compute.instances.insert': { request: OPERATION_ACCEPTED, operation: ms(14_000, 28_000) },
  'compute.instances.delete': { request: OPERATION_ACCEPTED, operation: ms(50_000, 115_000) },
  'compute.instances.stop': { request: OPERATION_ACCEPTED, operation: ms(25_000, 90_000) },
  'compute.instances.start': { request: OPERATION_ACCEPTED, operation: ms(12_000, 30_000) },
  'compute.instances.reset': { request: OPERATION_ACCEPTED, operation: ms(3_500, 10_000) },
  'compute.instances.setMetadata': { request: OPERATION_ACCEPTED, operation: ms(3_000, 10_000) },
  'compute.instances.setLabels': { request: OPERATION_ACCEPTED, operation: ms(3_000, 10_000) },
  // A stopped VM's machine type: a record change, as quick as a label change.
  'compute.instances.setMachineType': { request: OPERATION_ACCEPTED, operation: ms(3_000, 10_000) },
  'compute.instances.setIamPolicy': { request: ms(550, 1_750) },
  'compute.instances.getIamPolicy': { request: ms(250, 1_000) },
  'compute.disks.delete': { request: OPERATION_ACCEPTED, operation: ms(5_000, 15_000) },
  'compute.disks.addResourcePolicies': { request: OPERATION_ACCEPTED, operation: ms(3_000, 10_000) },
  // A disk's first snapshot copies everything; the next ones are incremental (see snapshot durations).
  'compute.disks.createSnapshot': { request: OPERATION_ACCEPTED, operation: ms(60_000, 180_000) },
  'compute.disks.createSnapshot#incremental': { request: OPERATION_ACCEPTED, operation: ms(15_000, 60_000) },
  'compute.snapshots.delete': { request: OPERATION_ACCEPTED, operation: ms(10_000, 30_000) },
  'compute.snapshots.setLabels': { request: OPERATION_ACCEPTED, operation: ms(3_000, 10_000) },
  'iam.serviceAccounts.create': { request: ms(750, 3_000) },
  'iam.serviceAccounts.delete': { request: ms(500, 1_500) },
  'iam.serviceAccounts.setIamPolicy': { request: ms(550, 1_750) },
  'iam.serviceAccounts.getIamPolicy': { request: ms(250, 1_000) },
  'secretmanager.secrets.create': { request: ms(300, 1_000) },
  'secretmanager.secrets.delete': { request: ms(300, 1_000) },
  'secretmanager.versions.add': { request: ms(300, 1_000) },
  'secretmanager.secrets.setIamPolicy': { request: ms(300, 1_000) },
  'secretmanager.versions.access': { request: ms(100, 500) },
  'resourcemanager.projects.getIamPolicy': { request: ms(300, 1_000) },
  'resourcemanager.projects.setIamPolicy': { request: ms(750, 2_500) },
  'iap.tunnelInstances.setIamPolicy': { request: ms(550, 1_750) },
  'iap.tunnelInstances.getIamPolicy': { request: ms(300, 1_000) },
};

/** Verbs that only read; everything else is a write. */
const READ_VERBS = new Set(['get', 'list', 'aggregatedList', 'getIamPolicy', 'getGuestAttributes', 'getSerialPortOutput', 'testIamPermissions', 'access', 'wait']);

export function isReadMethod(methodId: string): boolean {
  return READ_VERBS.has(methodId.slice(methodId.lastIndexOf('.') + 1));
}

export interface LatencyOptions {
  readonly scale: number;
  /** Draw between p50 and p95 (true) or always answer p50 (false). */
  readonly jitter: boolean;
  readonly random: Random;
  /** Overrides per method id, merged over the defaults. */
  readonly overrides?: Readonly<Record<string, MethodLatency>>;
}

/** z of the 95th percentile of the standard normal. */
const Z95 = 1.6448536269514722;

export class LatencyModel {
  constructor(private readonly options: LatencyOptions) {}

  get scale(): number {
    return this.options.scale;
  }

  private latencyOf(methodId: string): MethodLatency {
    return this.options.overrides?.[methodId] ?? DEFAULT_LATENCIES[methodId] ?? {};
  }

  /** Emulated ms before the HTTP answer. */
  requestMs(methodId: string): number {
    return this.draw(this.latencyOf(methodId).request ?? (isReadMethod(methodId) ? READ : WRITE));
  }

  /** Emulated ms until a long-running operation of this method is DONE. */
  operationMs(methodId: string): number {
    return this.draw(this.latencyOf(methodId).operation ?? ms(2_000, 6_000));
  }

  private draw(p: Percentiles): number {
    if (!this.options.jitter || p.p95 <= p.p50) return p.p50;
    // Log-normal through (p50, p95): half the draws below p50, capped at p95.
    const sigma = (Math.log(p.p95) - Math.log(p.p50)) / Z95;
    const u1 = Math.max(this.options.random(), Number.MIN_VALUE);
    const u2 = this.options.random();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    return Math.min(p.p95, p.p50 * Math.exp(sigma * z));
  }
}
