/**
 * The arithmetic of `planes cost-report`: a plane's resources as compute lists them (instances, disks,
 * snapshots, attributed by their labels), priced with COST_REPORT_PRICES over a billing period.
 *
 *   hourly(x)      = monthly list price of x / 730
 *   VM             = hourly(machine type) × hours, only while the VM is billed (a stopped VM: 0)
 *   disk           = Σ size GiB × price(disk type) / 730 × hours
 *   snapshots      = Σ storageBytes / 2^30 × price(regional | multi-regional) / 730 × hours
 *   NAT (shared)   = (gateway per hour + one NAT IP per hour) × hours, split equally among the plane's
 *                    billed VMs; gateway per hour = 0.0014 × VMs (up to 32), else 0.044; 0 with no VM
 *
 * Every figure is rounded to the cent; an agent's total is the sum of its rounded figures and the plane's
 * totals the sum of the agents', so the table adds up as printed. Resources are taken as they are now,
 * for the whole period: a prorated estimate, not a bill.
 */
import type { BillingPeriod } from './billing-period.js';
import { COST_REPORT_PRICES, MACHINE_TYPES } from './catalog.js';
import { LABEL_KEYS } from './labels.js';

type Prices = typeof COST_REPORT_PRICES;

export interface ObservedInstance {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly machineType: string;
  readonly status: string;
}

export interface ObservedDisk {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly sizeGb: number;
  readonly type: string;
}

export interface ObservedSnapshot {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly storageBytes: number;
  readonly storageLocations: readonly string[];
  /** Name of the disk it was taken from. */
  readonly sourceDisk: string | null;
}

/** What the plane's roster says about an agent (its boot disk attributes the schedule's unlabelled-agent snapshots). */
export interface RosterAgent {
  readonly name: string;
  readonly owner: string;
  readonly state: string;
  readonly bootDisk: string;
}

export interface CostReportInput {
  readonly plane: string;
  readonly roster: readonly RosterAgent[];
  readonly instances: readonly ObservedInstance[];
  readonly disks: readonly ObservedDisk[];
  readonly snapshots: readonly ObservedSnapshot[];
  readonly period: BillingPeriod;
}

export interface AgentCostRow {
  /** The agent's name; `(plane)` for the plane's snapshots no agent can be found for. */
  readonly agent: string;
  readonly owner: string;
  /** The roster state, or `not in roster` (resources left by a removed agent, e.g. its final snapshot). */
  readonly state: string;
  readonly machineType: string | null;
  readonly instanceStatus: string | null;
  readonly vmBilled: boolean;
  readonly diskGb: number;
  readonly snapshotGb: number;
  readonly vmUsd: number;
  readonly diskUsd: number;
  readonly snapshotUsd: number;
  readonly natUsd: number;
  readonly totalUsd: number;
}

export interface CostTotals {
  readonly vmUsd: number;
  readonly diskUsd: number;
  readonly snapshotUsd: number;
  readonly natUsd: number;
  readonly totalUsd: number;
}

export interface CostReport {
  readonly plane: string;
  readonly period: BillingPeriod & { readonly proration: string };
  readonly currency: string;
  readonly agents: readonly AgentCostRow[];
  readonly totals: CostTotals;
  readonly shared: {
    /** VMs using the NAT gateway (billed VMs) and what the gateway and its IP cost over the period. */
    readonly natVms: number;
    readonly natGatewayUsd: number;
  };
  /** Things the table cannot price (an unknown machine or disk type): counted as 0 and listed here. */
  readonly unpriced: readonly string[];
  readonly assumptions: {
    readonly priceSource: readonly string[];
    readonly priceDate: string;
    readonly priceRegion: string;
    readonly hoursPerMonth: number;
    readonly notes: readonly string[];
  };
}

/** Instance statuses GCP bills vCPU and memory for; TERMINATED (stopped) and SUSPENDED are not. */
const BILLED_STATUSES = new Set(['PROVISIONING', 'STAGING', 'RUNNING', 'STOPPING', 'REPAIRING', 'SUSPENDING']);
/** Snapshot storage locations that are multi-regions rather than regions. */
const MULTI_REGIONS = new Set(['us', 'eu', 'asia']);
const GIB = 1024 ** 3;
export const PLANE_SHARED_ROW = '(plane)';

export const cents = (n: number): number => Math.round(n * 100) / 100;

export function isVmBilled(status: string | null | undefined): boolean {
  return status !== null && status !== undefined && BILLED_STATUSES.has(status);
}

export function snapshotGbMonthPrice(storageLocations: readonly string[], prices: Prices = COST_REPORT_PRICES): number {
  return storageLocations.some((l) => MULTI_REGIONS.has(l)) ? prices.multiRegionalSnapshotGbMonth : prices.regionalSnapshotGbMonth;
}

/** What the NAT gateway and its IP cost per hour for `vms` VMs using it. */
export function natGatewayHourly(vms: number, prices: Prices = COST_REPORT_PRICES): number {
  if (vms <= 0) return 0;
  const gateway = vms <= prices.natVmCap ? prices.natPerVmHour * vms : prices.natGatewayCappedHour;
  return gateway + prices.natIpHour;
}

interface Bucket {
  instance?: ObservedInstance;
  disks: ObservedDisk[];
  snapshots: ObservedSnapshot[];
  owner?: string;
}

export function computeCostReport(input: CostReportInput, prices: Prices = COST_REPORT_PRICES): CostReport {
  const hours = input.period.hours;
  const perMonth = (monthly: number) => (monthly / prices.hoursPerMonth) * hours;
  const buckets = new Map<string, Bucket>();
  const bucket = (agent: string) => {
    let b = buckets.get(agent);
    if (!b) buckets.set(agent, (b = { disks: [], snapshots: [] }));
    return b;
  };
  const agentOf = (labels: Readonly<Record<string, string>>) => labels[LABEL_KEYS.agent];
  for (const r of input.roster) bucket(r.name);

  const diskOwner = new Map<string, string>(input.roster.map((r) => [r.bootDisk, r.name]));
  for (const i of input.instances) {
    const agent = agentOf(i.labels) ?? PLANE_SHARED_ROW;
    bucket(agent).instance = i;
    bucket(agent).owner ??= i.labels[LABEL_KEYS.owner];
  }
  for (const d of input.disks) {
    const agent = agentOf(d.labels) ?? diskOwner.get(d.name) ?? PLANE_SHARED_ROW;
    bucket(agent).disks.push(d);
    bucket(agent).owner ??= d.labels[LABEL_KEYS.owner];
    diskOwner.set(d.name, agent);
  }
  for (const s of input.snapshots) {
    // Scheduled snapshots carry the plane's labels only: their source disk names the agent.
    const agent = agentOf(s.labels) ?? (s.sourceDisk ? diskOwner.get(s.sourceDisk) : undefined) ?? PLANE_SHARED_ROW;
    bucket(agent).snapshots.push(s);
    bucket(agent).owner ??= s.labels[LABEL_KEYS.owner];
  }

  const unpriced = new Set<string>();
  const natVms = [...buckets.values()].filter((b) => isVmBilled(b.instance?.status)).length;
  const natGatewayTotal = natGatewayHourly(natVms, prices) * hours;
  const roster = new Map(input.roster.map((r) => [r.name, r]));

  const agents: AgentCostRow[] = [...buckets.entries()]
    .map(([agent, b]): AgentCostRow => {
      const status = b.instance?.status ?? null;
      const vmBilled = isVmBilled(status);
      const machineType = b.instance?.machineType ?? null;
      const machine = machineType ? MACHINE_TYPES[machineType] : undefined;
      if (vmBilled && machineType && !machine) unpriced.add(`machine type ${machineType}`);
      const vmUsd = cents(vmBilled && machine ? perMonth(machine.monthlyUsd) : 0);
      const diskUsd = cents(
        b.disks.reduce((sum, d) => {
          const price = prices.diskGbMonth[d.type];
          if (price === undefined) unpriced.add(`disk type ${d.type}`);
          return sum + perMonth(d.sizeGb * (price ?? 0));
        }, 0),
      );
      const snapshotUsd = cents(b.snapshots.reduce((sum, s) => sum + perMonth((s.storageBytes / GIB) * snapshotGbMonthPrice(s.storageLocations, prices)), 0));
      const natUsd = cents(vmBilled ? natGatewayTotal / natVms : 0);
      const known = roster.get(agent);
      return {
        agent,
        owner: known?.owner ?? b.owner ?? '',
        state: known?.state ?? 'not in roster',
        machineType,
        instanceStatus: status,
        vmBilled,
        diskGb: b.disks.reduce((sum, d) => sum + d.sizeGb, 0),
        snapshotGb: cents(b.snapshots.reduce((sum, s) => sum + s.storageBytes / GIB, 0)),
        vmUsd,
        diskUsd,
        snapshotUsd,
        natUsd,
        totalUsd: cents(vmUsd + diskUsd + snapshotUsd + natUsd),
      };
    })
    .sort((a, b) => (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0));

  const sum = (pick: (r: AgentCostRow) => number) => cents(agents.reduce((s, r) => s + pick(r), 0));
  return {
    plane: input.plane,
    period: { ...input.period, proration: prorationNote(input.period, prices) },
    currency: prices.currency,
    agents,
    totals: { vmUsd: sum((r) => r.vmUsd), diskUsd: sum((r) => r.diskUsd), snapshotUsd: sum((r) => r.snapshotUsd), natUsd: sum((r) => r.natUsd), totalUsd: sum((r) => r.totalUsd) },
    shared: { natVms, natGatewayUsd: cents(natGatewayTotal) },
    unpriced: [...unpriced].sort(),
    assumptions: {
      priceSource: prices.source,
      priceDate: prices.asOf,
      priceRegion: prices.region,
      hoursPerMonth: prices.hoursPerMonth,
      notes: assumptionNotes(prices),
    },
  };
}

function prorationNote(period: BillingPeriod, prices: Prices): string {
  return (
    `resources as they are now, priced for ${period.hours} h (${period.start} to ${period.end}): ` +
    `monthly prices × ${period.hours} / ${prices.hoursPerMonth}; resources created, stopped or deleted during the period are not replayed`
  );
}

function assumptionNotes(p: Prices): string[] {
  return [
    `on-demand list prices of ${p.region} in ${p.currency} whatever the plane's region (other regions' prices differ); no sustained- or committed-use discounts`,
    `a month is ${p.hoursPerMonth} h; machine types at their monthly list price (catalog.ts), billed only while the VM is not stopped (TERMINATED or SUSPENDED: disk only)`,
    `disks per GiB-month by type (${Object.entries(p.diskGbMonth).map(([t, v]) => `${t} $${v}`).join(', ')}), whether the VM runs or not`,
    `snapshots per GiB-month of storageBytes: $${p.regionalSnapshotGbMonth} regional, $${p.multiRegionalSnapshotGbMonth} multi-regional; scheduled snapshots are attributed to the agent whose boot disk they copy`,
    `Cloud NAT is shared: $${p.natPerVmHour}/h per VM using it (up to ${p.natVmCap}, then $${p.natGatewayCappedHour}/h) plus one NAT IP at $${p.natIpHour}/h, split equally among the plane's running VMs`,
    'not counted: NAT data processing ($0.045/GiB) and egress (traffic-dependent), Secret Manager versions and accesses (cents per agent), logging; VPC, firewall rules, Cloud Router and IAP are free',
  ];
}
