/**
 * `planes cost-report --plane [--period 2026-11 | 30d | current] [--json | --csv]`: what the plane's agents
 * cost over a period, per agent and in total, from the resources compute lists with the plane's labels
 * and the price table (src/domain/cost-report.ts has the formula). It runs here, in the CLI, through the
 * dashboard's describe-only Google clients: list calls only, no mutation, no Secret Manager, nothing that
 * could carry a secret, and no workflow history for a read.
 */
import type { Command } from 'commander';
import { parseBillingPeriod } from '../../domain/billing-period.js';
import { computeCostReport, type AgentCostRow, type CostReport } from '../../domain/cost-report.js';
import { InvalidInputError } from '../../domain/invalid-input.js';
import { parsePlaneName, type PlaneName } from '../../domain/names.js';
import { agentResourceNames } from '../../domain/resource-names.js';
import { resolveStack } from '../../temporal/connection.js';
import { runCommand, table } from '../command.js';
import { runningPlane } from './plane-handle.js';
import { withSession } from './session.js';
import { readAgentSpend, renderSpend, type AgentSpendRow } from './runtime-status.js';

interface CostReportOptions {
  plane?: string;
  period?: string;
  csv?: boolean;
}

const usd = (n: number) => `$${n.toFixed(2)}`;

/** The CSV columns, in order (README: "Cost report and upgrade windows"). */
export const COST_CSV_COLUMNS = [
  'agent', 'owner', 'state', 'machine_type', 'instance_status', 'disk_gb', 'snapshot_gb',
  'vm_usd', 'disk_usd', 'snapshot_usd', 'nat_usd', 'total_usd',
] as const;

function csvCell(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function renderCostCsv(r: CostReport): string {
  const row = (a: AgentCostRow) => [a.agent, a.owner, a.state, a.machineType, a.instanceStatus, a.diskGb, a.snapshotGb, a.vmUsd, a.diskUsd, a.snapshotUsd, a.natUsd, a.totalUsd];
  const total = ['TOTAL', '', '', '', '', '', '', r.totals.vmUsd, r.totals.diskUsd, r.totals.snapshotUsd, r.totals.natUsd, r.totals.totalUsd];
  return [COST_CSV_COLUMNS, ...r.agents.map(row), total].map((cells) => cells.map(csvCell).join(',')).join('\n');
}

/** The cost report, plus the model spend agents with a runtime profile report (absent when none has one). */
export type CostReportView = CostReport & { readonly modelSpend?: readonly AgentSpendRow[] };

export function renderCostTable(r: CostReportView): string {
  const p = r.period;
  const head = `plane ${r.plane}  period ${p.label} (${p.start.slice(0, 16)}Z to ${p.end.slice(0, 16)}Z, ${p.hours} h)  ${r.currency}`;
  const rows = r.agents.map((a) => [
    a.agent,
    a.owner,
    a.state,
    a.machineType ?? '-',
    a.instanceStatus ?? '-',
    `${a.diskGb}`,
    `${a.snapshotGb}`,
    usd(a.vmUsd),
    usd(a.diskUsd),
    usd(a.snapshotUsd),
    usd(a.natUsd),
    usd(a.totalUsd),
  ]);
  const t = r.totals;
  rows.push(['TOTAL', '', '', '', '', '', '', usd(t.vmUsd), usd(t.diskUsd), usd(t.snapshotUsd), usd(t.natUsd), usd(t.totalUsd)]);
  const a = r.assumptions;
  return [
    head,
    table(['AGENT', 'OWNER', 'STATE', 'VM TYPE', 'VM STATUS', 'DISK GB', 'SNAP GB', 'VM', 'DISK', 'SNAPSHOTS', 'NAT', 'TOTAL'], rows),
    '',
    `total ${usd(t.totalUsd)} for ${p.hours} h; Cloud NAT gateway ${usd(r.shared.natGatewayUsd)} shared by ${r.shared.natVms} running VM(s)`,
    ...(r.unpriced.length ? [`not in the price table (counted as $0): ${r.unpriced.join(', ')}`] : []),
    'assumptions:',
    `  prices: ${a.priceRegion} list prices as of ${a.priceDate} (${a.priceSource.join(', ')})`,
    `  proration: ${p.proration}`,
    ...a.notes.map((n) => `  ${n}`),
    ...(r.modelSpend ? ['', renderSpend(r.modelSpend)] : []),
  ].join('\n');
}

export async function planeCostReport(plane: PlaneName, period: ReturnType<typeof parseBillingPeriod>): Promise<CostReportView> {
  return withSession(async (session) => {
    const { status } = await runningPlane(await session.temporal(), plane);
    // Loaded on demand, as Session.google() does: the Google clients take about a second to import.
    const [{ describeOnlyGcpClients }, { readPlaneResources }] = await Promise.all([
      import('../../dashboard/describe-only-gcp.js'),
      import('../../gcp/plane-resources.js'),
    ]);
    const gcp = describeOnlyGcpClients({ emulatorUrl: (await resolveStack()).gcpEndpoint });
    try {
      const { project, zone, name } = status.spec;
      const resources = await readPlaneResources(gcp, { project, zone, plane: name });
      const roster = status.agents.map((e) => ({
        name: e.spec.name,
        owner: e.spec.owner,
        state: e.state,
        bootDisk: agentResourceNames(project, name, e.spec.name).bootDisk,
      }));
      const report = computeCostReport({ plane: name, roster, ...resources, period });
      // Model spend is what the agents report for their current month (guest attributes), not a cloud bill.
      const modelSpend = await readAgentSpend(gcp, status);
      return modelSpend.length > 0 ? { ...report, modelSpend } : report;
    } finally {
      await gcp.close();
    }
  });
}

export function registerCostReport(planes: Command): void {
  planes
    .command('cost-report')
    .description("estimated cost of a plane's agents over a period, per agent and in total, from their labelled resources")
    .requiredOption('--plane <plane>', 'plane name')
    .option('--period <period>', 'a month (2026-11), the last N days (30d) or current (this month so far)', 'current')
    .option('--csv', 'CSV on stdout (one row per agent, then TOTAL)')
    .action(
      runCommand<CostReportOptions, CostReportView>(async (o, out) => {
        const plane = parsePlaneName(o.plane);
        const period = parseBillingPeriod(o.period, new Date());
        if (o.csv && out.json) throw new InvalidInputError('--csv', 'cannot be combined with --json');
        const report = await planeCostReport(plane, period);
        return { data: report, human: o.csv ? renderCostCsv : renderCostTable };
      }),
    );
}
