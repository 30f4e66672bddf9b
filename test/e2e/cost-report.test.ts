/**
 * Issue 5, cost report, end to end (CLI → Temporal dev server → worker process → emulator): a plane of
 * three agents on different machine types, one VM stopped through compute's own stop call, one snapshot
 * with the agent's labels (like a pre-upgrade snapshot or a backup) and one with the plane's labels only
 * (like the snapshot schedule's). Expected figures are computed here from the price table and from what
 * the official client lists, never typed in; the table, JSON and CSV must agree; the command makes list
 * calls only and changes nothing; bad input exits 2 naming the flag.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson as json } from '../setup/cli.js';
import { E2EStack, plane as planeFixture } from './support/stack.js';
import { COST_REPORT_PRICES as P, MACHINE_TYPES } from '../../src/domain/catalog.js';
import { agentLabels, planeLabels } from '../../src/domain/labels.js';
import type { AgentName, OwnerEmail } from '../../src/domain/names.js';
import { agentResourceNames } from '../../src/domain/resource-names.js';
import type { CostReport } from '../../src/domain/cost-report.js';
import { COST_CSV_COLUMNS } from '../../src/cli/planes/cost-report.js';
import { expectBadInput } from './support/bad-input.js';

const plane = planeFixture('cost');
const AGENTS = [
  { name: 'alice', vmType: 'e2-small' },
  { name: 'bob', vmType: 'e2-standard-2' },
  { name: 'carol', vmType: 'n2-standard-2' },
] as const;
const STOPPED = 'carol';
const owner = (a: string) => `${a}@example.com`;
const names = (a: string) => agentResourceNames(plane.project, plane.name, a as AgentName);
const cents = (n: number) => Math.round(n * 100) / 100;
const GIB = 1024 ** 3;

/** Each test runs the CLI binary several times; on a loaded 2-core machine one run can take 10 s. */
const CLI_TEST_TIMEOUT_MS = 240_000;

let stack: E2EStack;

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms (last: ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function snapshotOf(agent: string, snapshot: string, labels: Record<string, string>, storageLocations?: string[]): Promise<void> {
  const gcp = stack.gcp();
  await gcp.disks.createSnapshot({
    project: plane.project,
    zone: plane.zone,
    disk: names(agent).bootDisk,
    snapshotResource: { name: snapshot, labels, ...(storageLocations ? { storageLocations } : {}) },
  });
  await until(async () => (await gcp.snapshots.get({ project: plane.project, snapshot }))[0].status, (s) => s === 'READY', 90_000);
}

beforeAll(async () => {
  stack = await E2EStack.start('cost', { latencyScale: 0.005 });
  const created = await stack.cli(['planes', 'create', '--name', plane.name, '--project', plane.project, '--region', plane.region, '--json']);
  expect(created.code, created.stderr).toBe(0);
  const added = await Promise.all(
    AGENTS.map((a) => stack.cli(['planes', 'add-agent', '--plane', plane.name, '--name', a.name, '--owner', owner(a.name), '--vm-type', a.vmType, '--json'])),
  );
  for (const r of added) expect(r.code, r.stderr).toBe(0);

  const gcp = stack.gcp();
  const ref = { project: plane.project, zone: plane.zone, instance: names(STOPPED).instance };
  // Paused through the plane, not stopped behind its back: the health watch would start a Ready agent's VM again.
  const paused = await stack.cli(['planes', 'pause', '--plane', plane.name, '--agent', STOPPED, '--json']);
  expect(paused.code, paused.stderr).toBe(0);
  await until(async () => (await gcp.instances.get(ref))[0].status, (s) => s === 'TERMINATED', 90_000);
  // Like a backup or a pre-upgrade snapshot (agent labels, default multi-regional storage), and like
  // the schedule's (plane labels only, regional): the second is attributed through its source disk.
  await snapshotOf('alice', 'ap-cost-alice-backup-1', agentLabels(plane.name, 'alice' as AgentName, owner('alice') as OwnerEmail));
  await snapshotOf('bob', 'ap-cost-bob-sched-1', { ...planeLabels(plane.name) }, [plane.region]);
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

/** The documented formula, applied to what the official client lists right now. */
async function expectedReport(hours: number) {
  const gcp = stack.gcp();
  const [disks] = await gcp.disks.list({ project: plane.project, zone: plane.zone });
  const [snapshots] = await gcp.snapshots.list({ project: plane.project });
  const perMonth = (monthly: number) => (monthly / P.hoursPerMonth) * hours;
  const running = AGENTS.filter((a) => a.name !== STOPPED);
  const natShare = ((running.length * P.natPerVmHour + P.natIpHour) * hours) / running.length;
  return Object.fromEntries(
    AGENTS.map((a) => {
      const disk = disks.find((d) => d.name === names(a.name).bootDisk)!;
      const mine = snapshots.filter((s) => s.sourceDisk?.endsWith(`/disks/${names(a.name).bootDisk}`));
      const snapshotUsd = mine.reduce((sum, s) => {
        const multiRegional = (s.storageLocations ?? []).some((l) => ['us', 'eu', 'asia'].includes(l));
        return sum + perMonth((Number(s.storageBytes) / GIB) * (multiRegional ? P.multiRegionalSnapshotGbMonth : P.regionalSnapshotGbMonth));
      }, 0);
      const isRunning = a.name !== STOPPED;
      const row = {
        vmUsd: cents(isRunning ? perMonth(MACHINE_TYPES[a.vmType]!.monthlyUsd) : 0),
        diskUsd: cents(perMonth(Number(disk.sizeGb) * P.diskGbMonth['pd-balanced']!)),
        snapshotUsd: cents(snapshotUsd),
        natUsd: cents(isRunning ? natShare : 0),
      };
      return [a.name, { ...row, totalUsd: cents(row.vmUsd + row.diskUsd + row.snapshotUsd + row.natUsd) }];
    }),
  );
}

function parseCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split('\n');
  const columns = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [columns[i]!, cell])));
}

describe('planes cost-report', () => {
  it('prices each agent by the documented formula; the stopped VM counts its disk only', async () => {
    const signature = await stack.inventorySignature();
    await fetch(`${stack.emulator.url}/__emulator/calls`, { method: 'DELETE' });
    const r = await stack.cli(['planes', 'cost-report', '--plane', plane.name, '--period', '2026-11', '--json']);
    expect(r.code, r.stderr).toBe(0);
    // Read-only: list calls and nothing else reached GCP, and nothing changed.
    const { calls } = (await (await fetch(`${stack.emulator.url}/__emulator/calls`)).json()) as { calls: Record<string, number> };
    expect(Object.keys(calls).sort()).toEqual(['compute.disks.list', 'compute.instances.list', 'compute.snapshots.list']);
    expect(await stack.inventorySignature()).toBe(signature);

    const report = json<CostReport>(r);
    expect(report.period).toMatchObject({ label: '2026-11', start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z', hours: 720 });
    const expected = await expectedReport(720);
    expect(report.agents.map((a) => a.agent)).toEqual(AGENTS.map((a) => a.name));
    for (const a of AGENTS) {
      const row = report.agents.find((x) => x.agent === a.name)!;
      expect(row, a.name).toMatchObject({ owner: owner(a.name), state: a.name === STOPPED ? 'Paused' : 'Ready', machineType: a.vmType, ...expected[a.name] });
    }
    const carol = report.agents.find((x) => x.agent === STOPPED)!;
    expect(carol).toMatchObject({ instanceStatus: 'TERMINATED', vmBilled: false, vmUsd: 0, natUsd: 0 });
    expect(carol.totalUsd).toBe(carol.diskUsd);
    // Both snapshots were found and attributed (one by its labels, one by its source disk).
    expect(report.agents.find((x) => x.agent === 'alice')!.snapshotUsd).toBeGreaterThan(0);
    expect(report.agents.find((x) => x.agent === 'bob')!.snapshotUsd).toBeGreaterThan(0);
    const total = cents(Object.values(expected).reduce((s, e) => s + e.totalUsd, 0));
    expect(report.totals.totalUsd).toBeCloseTo(total, 6);
    expect(report.shared.natVms).toBe(2);
    expect(report.unpriced).toEqual([]);
    expect(report.assumptions).toMatchObject({ priceDate: P.asOf, priceRegion: 'us-central1', hoursPerMonth: 730 });
  }, CLI_TEST_TIMEOUT_MS);

  it('CSV and the table agree with the JSON', async () => {
    const report = json<CostReport>(await stack.cli(['planes', 'cost-report', '--plane', plane.name, '--period', '30d', '--json']));
    expect(report.period.hours).toBe(720);
    const csv = await stack.cli(['planes', 'cost-report', '--plane', plane.name, '--period', '30d', '--csv']);
    expect(csv.code, csv.stderr).toBe(0);
    const rows = parseCsv(csv.stdout);
    expect(Object.keys(rows[0]!)).toEqual([...COST_CSV_COLUMNS]);
    expect(rows.map((r) => r.agent)).toEqual([...report.agents.map((a) => a.agent), 'TOTAL']);
    for (const a of report.agents) {
      const row = rows.find((r) => r.agent === a.agent)!;
      expect(row).toMatchObject({ owner: a.owner, machine_type: a.machineType, instance_status: a.instanceStatus });
      expect([row.vm_usd, row.disk_usd, row.snapshot_usd, row.nat_usd, row.total_usd].map(Number)).toEqual([a.vmUsd, a.diskUsd, a.snapshotUsd, a.natUsd, a.totalUsd]);
    }
    expect(Number(rows.at(-1)!.total_usd)).toBe(report.totals.totalUsd);

    const human = await stack.cli(['planes', 'cost-report', '--plane', plane.name, '--period', '30d']);
    expect(human.code, human.stderr).toBe(0);
    const lines = human.stdout.split('\n');
    for (const a of report.agents) {
      const line = lines.find((l) => l.startsWith(`${a.agent} `))!;
      expect(line, a.agent).toContain(`$${a.totalUsd.toFixed(2)}`);
      expect(line).toContain(`$${a.vmUsd.toFixed(2)}`);
    }
    expect(lines.find((l) => l.startsWith('TOTAL'))).toContain(`$${report.totals.totalUsd.toFixed(2)}`);
    expect(human.stdout).toContain(`total $${report.totals.totalUsd.toFixed(2)} for 720 h`);
    expect(human.stdout).toMatch(/assumptions:\n {2}prices: us-central1 list prices as of \d{4}-\d{2}-\d{2}/);
    expect(human.stdout).toContain('a month is 730 h');
    expect(human.stdout).toContain('Cloud NAT is shared');
    expect(human.stdout).toContain('monthly prices × 720 / 730');
  }, CLI_TEST_TIMEOUT_MS);

  it('the current month so far is priced for the hours elapsed', async () => {
    const report = json<CostReport>(await stack.cli(['planes', 'cost-report', '--plane', plane.name, '--json']));
    const now = new Date();
    expect(report.period.label).toBe('current');
    expect(report.period.start).toBe(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString());
    const expected = await expectedReport(report.period.hours);
    for (const a of report.agents) expect(a.vmUsd, a.agent).toBeCloseTo(expected[a.agent]!.vmUsd, 2);
  }, CLI_TEST_TIMEOUT_MS);

  it('refuses a bad --period, and --csv with --json (exit 2 naming the flag)', async () => {
    const cases: [string[], string][] = [
      [['--period', '2026-13'], '--period'],
      [['--period', 'last-month'], '--period'],
      [['--period', '0d'], '--period'],
    ];
    const runs = await Promise.all(cases.map(([extra]) => stack.cli(['planes', 'cost-report', '--plane', plane.name, ...extra])));
    for (const [i, [, field]] of cases.entries()) expectBadInput(runs[i]!, `invalid ${field}:`);
    const both = await stack.cli(['planes', 'cost-report', '--plane', plane.name, '--csv', '--json']);
    expect(both.code).toBe(2);
    expect(json<{ error: { field: string } }>(both).error.field).toBe('--csv');
  }, CLI_TEST_TIMEOUT_MS);

  it('refuses a plane that does not exist (exit 2 naming --plane)', async () => {
    expectBadInput(await stack.cli(['planes', 'cost-report', '--plane', 'nosuch']), 'invalid --plane:');
  }, CLI_TEST_TIMEOUT_MS);
});
