/** The cost report's arithmetic and its --period parsing: each figure is the documented formula. */
import { describe, expect, it } from 'vitest';
import { parseBillingPeriod } from '../../src/domain/billing-period.js';
import { COST_REPORT_PRICES as P, MACHINE_TYPES } from '../../src/domain/catalog.js';
import { computeCostReport, natGatewayHourly, PLANE_SHARED_ROW, type ObservedDisk, type ObservedInstance, type ObservedSnapshot } from '../../src/domain/cost-report.js';
import { InvalidInputError } from '../../src/domain/invalid-input.js';

const NOW = new Date('2026-11-30T10:00:00Z');
const november = parseBillingPeriod('2026-11', NOW);
const labels = (agent?: string) => ({ 'managed-by': 'agents-plane', 'agents-plane-plane': 'eng', ...(agent ? { 'agents-plane-agent': agent, 'agents-plane-owner': `${agent}_example_com` } : {}) });
const vm = (agent: string, machineType: string, status: string): ObservedInstance => ({ name: `ap-eng-${agent}`, labels: labels(agent), machineType, status });
const disk = (agent: string, sizeGb = 20, type = 'pd-balanced'): ObservedDisk => ({ name: `ap-eng-${agent}`, labels: labels(agent), sizeGb, type });
const GIB = 1024 ** 3;

describe('parseBillingPeriod', () => {
  it('a calendar month is its days × 24 h, in UTC', () => {
    expect(november).toEqual({ label: '2026-11', start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z', hours: 720 });
    expect(parseBillingPeriod('2026-12', NOW).hours).toBe(744);
    expect(parseBillingPeriod('2028-02', NOW).hours).toBe(29 * 24);
  });

  it('Nd ends now; current is this month so far', () => {
    expect(parseBillingPeriod('7d', NOW)).toMatchObject({ start: '2026-11-23T10:00:00.000Z', end: NOW.toISOString(), hours: 168 });
    expect(parseBillingPeriod('current', NOW)).toMatchObject({ start: '2026-11-01T00:00:00.000Z', hours: 29 * 24 + 10 });
    expect(parseBillingPeriod(undefined, NOW).label).toBe('current');
  });

  it.each(['2026-13', '2026-00', '1999-12', '26-11', '0d', '367d', '7', 'last-month', '2026-11-01', ''])('%j is refused naming --period', (raw) => {
    expect(() => parseBillingPeriod(raw, NOW)).toThrow(InvalidInputError);
    try {
      parseBillingPeriod(raw, NOW);
    } catch (error) {
      expect((error as InvalidInputError).field).toBe('--period');
    }
  });
});

describe('computeCostReport', () => {
  const roster = ['alice', 'bob', 'carol'].map((name) => ({ name, owner: `${name}@example.com`, state: 'Ready', bootDisk: `ap-eng-${name}` }));

  it('prices running VMs, disks, snapshots and the shared NAT; a stopped VM counts only its disk', () => {
    const snapshots: ObservedSnapshot[] = [
      // A pre-upgrade snapshot (agent labels, default multi-regional storage) and a scheduled one (plane labels only, regional).
      { name: 'pre', labels: labels('alice'), storageBytes: 2 * GIB, storageLocations: ['us'], sourceDisk: 'ap-eng-alice' },
      { name: 'sched', labels: labels(), storageBytes: GIB / 2, storageLocations: ['us-central1'], sourceDisk: 'ap-eng-bob' },
      { name: 'orphan', labels: labels(), storageBytes: GIB, storageLocations: ['us-central1'], sourceDisk: 'gone' },
    ];
    const r = computeCostReport({
      plane: 'eng',
      roster,
      instances: [vm('alice', 'e2-small', 'RUNNING'), vm('bob', 'e2-standard-2', 'RUNNING'), vm('carol', 'n2-standard-2', 'TERMINATED')],
      disks: [disk('alice'), disk('bob'), disk('carol', 30)],
      snapshots,
      period: november,
    });
    const h = 720 / 730;
    const nat = ((2 * 0.0014 + 0.005) * 720) / 2; // two running VMs share the gateway and its IP
    const byName = Object.fromEntries(r.agents.map((a) => [a.agent, a]));
    expect(byName.alice).toMatchObject({ vmUsd: 12.06, diskUsd: 1.97, snapshotUsd: 0.13, natUsd: 2.81, totalUsd: 16.97 });
    expect(byName.alice!.vmUsd).toBeCloseTo(12.23 * h, 2);
    expect(byName.alice!.snapshotUsd).toBeCloseTo(2 * 0.065 * h, 2);
    expect(byName.alice!.natUsd).toBeCloseTo(nat, 2);
    expect(byName.bob).toMatchObject({ vmUsd: 48.25, diskUsd: 1.97, snapshotUsd: 0.02, natUsd: 2.81 });
    expect(byName.carol).toMatchObject({ instanceStatus: 'TERMINATED', vmBilled: false, vmUsd: 0, natUsd: 0, diskUsd: 2.96, snapshotUsd: 0, totalUsd: 2.96 });
    expect(byName.carol!.diskUsd).toBeCloseTo(30 * 0.1 * h, 2);
    expect(byName[PLANE_SHARED_ROW]).toMatchObject({ state: 'not in roster', snapshotUsd: 0.05, totalUsd: 0.05 });
    expect(r.shared).toEqual({ natVms: 2, natGatewayUsd: 5.62 });
    // The totals add up as printed.
    expect(r.totals.totalUsd).toBeCloseTo(r.agents.reduce((s, a) => s + a.totalUsd, 0), 6);
    expect(r.totals.totalUsd).toBeCloseTo(r.totals.vmUsd + r.totals.diskUsd + r.totals.snapshotUsd + r.totals.natUsd, 6);
    expect(r.unpriced).toEqual([]);
    expect(r.period.proration).toContain('720');
  });

  it('caps the NAT gateway at 32 VMs and charges nothing with no VM running', () => {
    expect(natGatewayHourly(0)).toBe(0);
    expect(natGatewayHourly(1)).toBeCloseTo(P.natPerVmHour + P.natIpHour, 10);
    expect(natGatewayHourly(32)).toBeCloseTo(32 * P.natPerVmHour + P.natIpHour, 10);
    expect(natGatewayHourly(100)).toBeCloseTo(P.natGatewayCappedHour + P.natIpHour, 10);
  });

  it('lists what it cannot price instead of guessing', () => {
    const r = computeCostReport({
      plane: 'eng',
      roster: [roster[0]!],
      instances: [vm('alice', 'a3-megagpu-8g', 'RUNNING')],
      disks: [disk('alice', 20, 'hyperdisk-extreme')],
      snapshots: [],
      period: november,
    });
    expect(r.unpriced).toEqual(['disk type hyperdisk-extreme', 'machine type a3-megagpu-8g']);
    expect(r.agents[0]).toMatchObject({ vmUsd: 0, diskUsd: 0 });
  });

  it('agrees with the monthly estimate of planes status for a month of 730 h', () => {
    const month = { label: 'x', start: '', end: '', hours: 730 };
    const r = computeCostReport({ plane: 'eng', roster: [roster[0]!], instances: [vm('alice', 'e2-medium', 'RUNNING')], disks: [disk('alice')], snapshots: [], period: month });
    expect(r.agents[0]!.vmUsd).toBe(MACHINE_TYPES['e2-medium']!.monthlyUsd);
    expect(r.agents[0]!.diskUsd).toBe(2);
  });
});

describe("the cost report's Google clients", () => {
  it('list disks, and cannot change or snapshot them', async () => {
    const { describeOnlyGcpClients, DescribeOnlyViolation } = await import('../../src/dashboard/describe-only-gcp.js');
    const gcp = describeOnlyGcpClients({ emulatorUrl: 'http://127.0.0.1:9' });
    try {
      expect(typeof gcp.disks.list).toBe('function');
      for (const mutation of ['insert', 'delete', 'createSnapshot', 'resize', 'setLabels', 'addResourcePolicies', 'get'] as const) {
        expect(() => (gcp.disks as unknown as Record<string, unknown>)[mutation], mutation).toThrow(DescribeOnlyViolation);
      }
    } finally {
      await gcp.close();
    }
  });
});
