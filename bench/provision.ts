/**
 * Benchmark (not a test): provision a plane of N agents, upgrade them all (rolling, at most K at a
 * time), and tear the plane down, under the emulator's latency model and per-project rate quotas;
 * compare the makespans with one agent's critical path, the quota-limited time for N agents' API
 * calls, and the sequential baseline.
 *
 *   npm run bench -- [--agents 50] [--latency-scale 0.05] [--json FILE] [--poll-interval-ms 250]
 *                    [--quota group=n ...] [--max-unavailable 10] [--canary 1]
 *
 * Everything is private to the run: a Temporal dev server on free ports with a temporary SQLite file,
 * the emulator in this process (behind a small proxy that counts HTTP statuses, since the emulator's
 * call log counts calls but not answers), and one worker process, driven through the Temporal client
 * as the CLI drives it (start `plane`, one addAgent Update per agent, the status Query). Every process
 * it started is stopped at the end, failure or not.
 */
import { writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { quotaGroupOf, type EmulatorHandle } from '../src/emulator/index.js';
import { QUOTA_WINDOW_MS as GCP_QUOTA_WINDOW_MS } from '../src/domain/gcp-rate-quotas.js';
import type { AgentName, OwnerEmail } from '../src/domain/names.js';
import { parsePlaneSpec, type AgentRequest } from '../src/domain/specs.js';
import { agentDeprovisionWorkflowId, agentProvisionWorkflowId, planeDeprovisionWorkflowId, planeProvisionWorkflowId, planeWorkflowId } from '../src/domain/workflow-ids.js';
import { isRunning, type ProcessRecord } from '../src/runtime/processes.js';
import { OPERATION, PLANE_NAME } from '../src/temporal/search-attributes.js';
import { addAgentsUpdate, destroyPlaneUpdate, MAX_AGENTS_PER_BATCH, planeStatusQuery, type PlaneStatus } from '../src/workflows/plane-messages.js';
import { startUpgradeUpdate, type UpgradeProgress } from '../src/workflows/upgrade-messages.js';
import type { plane as planeWorkflow } from '../src/workflows/plane.js';
import { BENCH_PROJECT as PROJECT, BENCH_REGION as REGION, BenchStack, describeError, latencyScale, processUsage, seconds, sleep, wholeNumber } from './stack.js';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '50' },
    'latency-scale': { type: 'string', default: '0.05' },
    json: { type: 'string' },
    'poll-interval-ms': { type: 'string', default: '250' },
    quota: { type: 'string', multiple: true, default: [] },
    seed: { type: 'string', default: '1' },
    'max-unavailable': { type: 'string', default: '10' },
    'without-limiter': { type: 'boolean', default: false },
    canary: { type: 'string', default: '1' },
  },
});

const AGENTS = wholeNumber('--agents', values.agents, 1);
const LATENCY_SCALE = latencyScale(values['latency-scale']);
const POLL_INTERVAL_MS = wholeNumber('--poll-interval-ms', values['poll-interval-ms'], 10);
const SEED = wholeNumber('--seed', values.seed, 0);
const MAX_UNAVAILABLE = wholeNumber('--max-unavailable', values['max-unavailable'], 1);
const CANARY = wholeNumber('--canary', values.canary, 0);
/** The version the rolling upgrade moves every agent to (any version the emulator's guests accept). */
const UPGRADE_VERSION = '2026.11.1';
const QUOTA_OVERRIDES: Record<string, number> = {};
for (const q of values.quota) {
  const m = /^([a-z]+\.[a-z]+)=(\d+)$/.exec(q);
  if (!m) {
    process.stderr.write(`invalid --quota: must be group=n (e.g. iam.writes=60), got "${q}"\n`);
    process.exit(2);
  }
  QUOTA_OVERRIDES[m[1]!] = Number(m[2]);
}

/** Emulated ms of one rate-quota window (GCP counts per minute). */
const QUOTA_WINDOW_MS = GCP_QUOTA_WINDOW_MS;

interface HistoryFigures {
  readonly workflows: number;
  readonly events: number;
  readonly activities: number;
  /** Activity attempts after the first (Temporal retries). */
  readonly retries: number;
  readonly activityFailures: number;
  /** Summed over the workflows: how long activity tasks and workflow tasks waited for a worker slot. */
  readonly activityQueueMs: number;
  readonly workflowTaskQueueMs: number;
  /** Epoch ms of each workflow's first event (when it started). */
  readonly startedAt: readonly number[];
}

function eventMs(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return ts ? Number(String(ts.seconds ?? 0)) * 1000 + (ts.nanos ?? 0) / 1e6 : NaN;
}

async function historyFigures(client: Client, workflowIds: readonly string[]): Promise<HistoryFigures> {
  let events = 0;
  let activities = 0;
  let retries = 0;
  let activityFailures = 0;
  let workflows = 0;
  let activityQueueMs = 0;
  let workflowTaskQueueMs = 0;
  const startedAt: number[] = [];
  for (const id of workflowIds) {
    // Follows nothing across continue-as-new: agent operations never continue-as-new.
    const history = await client.workflow.getHandle(id).fetchHistory().catch(() => undefined);
    if (!history) continue;
    workflows++;
    const scheduledAt = new Map<string, number>();
    const first = history.events?.[0];
    if (first) startedAt.push(eventMs(first.eventTime));
    for (const e of history.events ?? []) {
      events++;
      const at = eventMs(e.eventTime);
      if (e.activityTaskScheduledEventAttributes || e.workflowTaskScheduledEventAttributes) scheduledAt.set(String(e.eventId), at);
      const waitedFor = e.activityTaskStartedEventAttributes?.scheduledEventId ?? e.workflowTaskStartedEventAttributes?.scheduledEventId;
      if (waitedFor !== undefined && waitedFor !== null) {
        const waited = at - (scheduledAt.get(String(waitedFor)) ?? at);
        if (e.activityTaskStartedEventAttributes) activityQueueMs += waited;
        else workflowTaskQueueMs += waited;
      }
      if (e.activityTaskScheduledEventAttributes) activities++;
      const attempt = e.activityTaskStartedEventAttributes?.attempt ?? 1;
      if (e.activityTaskStartedEventAttributes && attempt > 1) retries += attempt - 1;
      if (e.activityTaskFailedEventAttributes || e.activityTaskTimedOutEventAttributes) activityFailures++;
    }
  }
  return { workflows, events, activities, retries, activityFailures, activityQueueMs: Math.round(activityQueueMs), workflowTaskQueueMs: Math.round(workflowTaskQueueMs), startedAt };
}

/** Calls by quota group between two snapshots of the emulator's call log. */
function callsByGroup(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [method, n] of Object.entries(after)) {
    const delta = n - (before[method] ?? 0);
    if (delta > 0) out[quotaGroupOf(method)] = (out[quotaGroupOf(method)] ?? 0) + delta;
  }
  return out;
}

interface PlaneRun {
  readonly agents: number;
  readonly planeCreateMs: number;
  readonly provisionMakespanMs: number;
  /** From the first addAgents Update sent to the last one answered. */
  readonly updatesAcceptedMs: number;
  /** addAgent Updates the entity rejected as "not Ready" after its status said Ready (retried). */
  readonly notReadyRejections: number;
  /** Epoch ms the addAgent Updates were sent, and the destroy Update. */
  readonly updateSentAt: number;
  readonly teardownSentAt: number;
  /** Each agent's time from its Update to Ready (workflow clock), sorted. */
  readonly agentReadyMs: readonly number[];
  readonly failedAgents: number;
  readonly teardownMakespanMs: number;
  readonly upgrade: UpgradeRun;
  readonly callsByGroup: { readonly provision: Record<string, number>; readonly upgrade: Record<string, number>; readonly teardown: Record<string, number> };
  readonly history: { readonly provision: HistoryFigures; readonly deprovision: HistoryFigures; readonly plane: HistoryFigures; readonly upgrade: HistoryFigures };
  readonly workerCpuMs: { readonly provision: number; readonly upgrade: number; readonly teardown: number };
}

interface UpgradeRun {
  readonly makespanMs: number;
  readonly workflowId: string;
  readonly agents: number;
  /** Canary groups plus waves, each at most maxUnavailable agents. */
  readonly stages: number;
  /** The most agents unavailable at one moment, from the workflow's recorded intervals. */
  readonly peakUnavailable: number;
  /** Each agent's time from its version change to healthy on the new version, sorted. */
  readonly agentUnavailableMs: readonly number[];
  readonly upgraded: number;
}

/** The most intervals open at one moment. */
function peakOverlap(intervals: readonly { from: number; to?: number }[]): number {
  const edges = intervals.flatMap((i) => [[i.from, 1] as const, [i.to ?? Infinity, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peak = 0;
  for (const [, delta] of edges) peak = Math.max(peak, (open += delta));
  return peak;
}

class Bench {
  constructor(
    private readonly client: Client,
    private readonly emulator: EmulatorHandle,
    private readonly worker: ProcessRecord,
    private readonly taskQueue: string,
  ) {}

  /** Creates a plane, adds `n` agents at once, waits for all of them, then destroys the plane. */
  async runPlane(name: string, n: number, log: (line: string) => void): Promise<PlaneRun> {
    const spec = parsePlaneSpec({ name, project: PROJECT, region: REGION });
    const handle: WorkflowHandle<typeof planeWorkflow> = await this.client.workflow.start<typeof planeWorkflow>('plane', {
      workflowId: planeWorkflowId(spec.name),
      taskQueue: this.taskQueue,
      args: [{ spec, settings: { bootTimeoutMs: 20 * 60_000 } }],
      typedSearchAttributes: [
        { key: PLANE_NAME, value: spec.name },
        { key: OPERATION, value: 'plane' },
      ],
    });
    const createStart = performance.now();
    let status = await handle.query(planeStatusQuery);
    while (status.phase === 'Creating') {
      await sleep(100);
      status = await handle.query(planeStatusQuery);
    }
    if (status.phase !== 'Ready') throw new Error(`plane ${name} ended ${status.phase}: ${status.lastError?.message ?? ''}`);
    const planeCreateMs = performance.now() - createStart;
    log(`plane ${name} Ready in ${seconds(planeCreateMs)} s; adding ${n} agent(s)`);

    const agentNames = Array.from({ length: n }, (_, i) => `a-${String(i + 1).padStart(4, '0')}` as AgentName);
    const callsBefore = this.emulator.calls();
    const cpuBefore = (await processUsage(this.worker.pid)).cpuMs;
    const provisionStart = performance.now();
    const updateSentAt = Date.now();
    // The fleet goes in batches of addAgents Updates (as `planes apply` would send it): one workflow task
    // starts every provisioning child of a batch. A rejection of the whole batch as "not Ready" right after
    // the status said Ready is retried (and counted).
    let notReadyRejections = 0;
    const addBatch = async (batch: AgentRequest[]) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await handle.executeUpdate(addAgentsUpdate, { args: [batch] });
        } catch (error) {
          if (attempt >= 5 || !describeError(error).includes('agents can be added once it is Ready')) throw error;
          notReadyRejections++;
          await sleep(200);
        }
      }
    };
    const requests = agentNames.map(
      (agent, i): AgentRequest => ({
        plane: spec.name,
        name: agent,
        owner: `owner-${i + 1}@example.com` as OwnerEmail,
        machineType: 'e2-small' as AgentRequest['machineType'],
        agentVersion: undefined,
      }),
    );
    for (let i = 0; i < requests.length; i += MAX_AGENTS_PER_BATCH) await addBatch(requests.slice(i, i + MAX_AGENTS_PER_BATCH));
    const updatesAcceptedMs = performance.now() - provisionStart;
    let lastReport = 0;
    for (;;) {
      status = await handle.query(planeStatusQuery);
      const done = status.agents.filter((a) => a.state === 'Ready' || a.state === 'Failed').length;
      if (done === n) break;
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        log(`  ${done}/${n} agents done after ${seconds(performance.now() - provisionStart)} s`);
      }
      await sleep(100);
    }
    const provisionMakespanMs = performance.now() - provisionStart;
    const cpuAfterProvision = (await processUsage(this.worker.pid)).cpuMs;
    const callsAfterProvision = this.emulator.calls();
    const readyStatus: PlaneStatus = status;
    const failedAgents = readyStatus.agents.filter((a) => a.state === 'Failed').length;
    const agentReadyMs = readyStatus.agents.filter((a) => a.state === 'Ready').map((a) => a.since - updateSentAt).sort((a, b) => a - b);
    log(`  ${n - failedAgents} Ready, ${failedAgents} Failed in ${seconds(provisionMakespanMs)} s; upgrading them to ${UPGRADE_VERSION}`);

    const upgradeStart = performance.now();
    const started = await handle.executeUpdate(startUpgradeUpdate, {
      args: [{ toVersion: UPGRADE_VERSION, canary: CANARY, maxUnavailable: MAX_UNAVAILABLE, healthTimeoutMs: 20 * 60_000 }],
    });
    const progress = (await this.client.workflow.getHandle(started.workflowId).result()) as UpgradeProgress;
    const upgradeMakespanMs = performance.now() - upgradeStart;
    const cpuAfterUpgrade = (await processUsage(this.worker.pid)).cpuMs;
    const callsAfterUpgrade = this.emulator.calls();
    const intervals = progress.agents.flatMap((a) => a.unavailable);
    const upgrade: UpgradeRun = {
      makespanMs: upgradeMakespanMs,
      workflowId: started.workflowId,
      agents: started.agents,
      stages: (progress.canary ? Math.ceil(progress.canary.agents.length / MAX_UNAVAILABLE) : 0) + progress.waves.length,
      peakUnavailable: peakOverlap(intervals),
      agentUnavailableMs: intervals.map((i) => (i.to ?? NaN) - i.from).sort((a, b) => a - b),
      upgraded: progress.agents.filter((a) => a.state === 'upgraded').length,
    };
    log(`  ${upgrade.upgraded}/${upgrade.agents} upgraded in ${seconds(upgradeMakespanMs)} s (${upgrade.stages} stages, at most ${upgrade.peakUnavailable} unavailable); destroying the plane`);

    const teardownSentAt = Date.now();
    const teardownStart = performance.now();
    await handle.executeUpdate(destroyPlaneUpdate);
    // The entity ends (its last run completes) once every agent and the network are gone.
    await handle.result();
    const teardownMakespanMs = performance.now() - teardownStart;
    const cpuAfterTeardown = (await processUsage(this.worker.pid)).cpuMs;
    log(`  destroyed in ${seconds(teardownMakespanMs)} s`);

    return {
      agents: n,
      planeCreateMs,
      provisionMakespanMs,
      updatesAcceptedMs,
      notReadyRejections,
      updateSentAt,
      teardownSentAt,
      agentReadyMs,
      failedAgents,
      teardownMakespanMs,
      upgrade,
      callsByGroup: {
        provision: callsByGroup(callsBefore, callsAfterProvision),
        upgrade: callsByGroup(callsAfterProvision, callsAfterUpgrade),
        teardown: callsByGroup(callsAfterUpgrade, this.emulator.calls()),
      },
      history: {
        provision: await historyFigures(this.client, agentNames.map((a) => agentProvisionWorkflowId(spec.name, a))),
        deprovision: await historyFigures(this.client, agentNames.map((a) => agentDeprovisionWorkflowId(spec.name, a))),
        plane: await historyFigures(this.client, [planeWorkflowId(spec.name), planeProvisionWorkflowId(spec.name), planeDeprovisionWorkflowId(spec.name)]),
        upgrade: await historyFigures(this.client, [upgrade.workflowId]),
      },
      workerCpuMs: { provision: cpuAfterProvision - cpuBefore, upgrade: cpuAfterUpgrade - cpuAfterProvision, teardown: cpuAfterTeardown - cpuAfterUpgrade },
    };
  }
}

/**
 * The time the quotas alone impose on `n` agents: per group, `n × calls per agent` calls at `limit` per
 * window can finish no sooner than the start of window ⌈calls / limit⌉ (windows are fixed, per project).
 */
function quotaLimitedMs(perAgent: Record<string, number>, n: number, limits: Record<string, number>, windowRealMs: number) {
  const groups: Record<string, { calls: number; limit: number; ms: number }> = {};
  let worst = 0;
  for (const [group, calls] of Object.entries(perAgent)) {
    const limit = limits[group];
    if (limit === undefined) continue;
    const total = calls * n;
    const ms = Math.floor((total - 1) / limit) * windowRealMs;
    groups[group] = { calls: total, limit, ms };
    worst = Math.max(worst, ms);
  }
  return { ms: worst, groups };
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function main(): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let stack: BenchStack | undefined;
  let failed = false;
  try {
    stack = await BenchStack.start({
      name: 'bench',
      latencyScale: LATENCY_SCALE,
      seed: SEED,
      agents: AGENTS,
      quotas: QUOTA_OVERRIDES,
      pollIntervalMs: POLL_INTERVAL_MS,
      withoutLimiter: values['without-limiter'],
      log,
    });
    const { client, emulator, proxy, limits } = stack;
    const worker = stack.worker;
    const workerStartUsage = await processUsage(worker.pid);
    const bench = new Bench(client, emulator, worker, stack.taskQueue);
    const selfCpuStart = process.cpuUsage();
    const temporalCpuStart = (await processUsage(stack.temporalPid)).cpuMs;

    log(`one agent alone (latency scale ${LATENCY_SCALE}, poll interval ${POLL_INTERVAL_MS} ms)`);
    const single = await bench.runPlane('bench-one', 1, log);
    log(`${AGENTS} agents at once`);
    const fleet = await bench.runPlane('bench-fleet', AGENTS, log);

    if (!isRunning(worker)) throw new Error(`the worker exited during the run; see ${worker.logFile}`);
    const workerEnd = await processUsage(worker.pid);
    const selfCpu = process.cpuUsage(selfCpuStart);
    const temporalCpuMs = (await processUsage(stack.temporalPid)).cpuMs - temporalCpuStart;
    // The worker says how its rate limiter paced the calls when it stops.
    const limiterLine = /^gcp rate limiter: (.*)$/m.exec(await stack.stopWorker())?.[1];
    const limiter = limiterLine ? (JSON.parse(limiterLine) as { calls: number; delayed: number; delayedMs: number; rateLimited: number; slowed: Record<string, number> } | null) : null;

    const windowRealMs = QUOTA_WINDOW_MS * LATENCY_SCALE;
    const perAgent = single.callsByGroup.provision;
    const quota = quotaLimitedMs(perAgent, AGENTS, limits, windowRealMs);
    const criticalPathMs = single.provisionMakespanMs;
    const boundMs = Math.max(criticalPathMs, quota.ms);
    const teardownQuota = quotaLimitedMs(single.callsByGroup.teardown, AGENTS, limits, windowRealMs);
    const teardownBoundMs = Math.max(single.teardownMakespanMs, teardownQuota.ms);
    const rateLimited = Object.entries(proxy.counts).filter(([k]) => k.startsWith('429 ') || k.startsWith('403 '));
    const perN = (x: number) => +(x / AGENTS).toFixed(1);
    const startDelays = fleet.history.provision.startedAt.map((t) => t - fleet.updateSentAt).sort((a, b) => a - b);
    const deprovisionDelays = fleet.history.deprovision.startedAt.map((t) => t - fleet.teardownSentAt).sort((a, b) => a - b);
    const withoutStarts = ({ startedAt: _startedAt, ...figures }: HistoryFigures) => figures;

    const result = {
      command:
        `npm run bench -- --agents ${AGENTS} --latency-scale ${LATENCY_SCALE} --poll-interval-ms ${POLL_INTERVAL_MS}` +
        ` --max-unavailable ${MAX_UNAVAILABLE} --canary ${CANARY}${values.quota.map((q) => ` --quota ${q}`).join('')}` +
        (values['without-limiter'] ? ' --without-limiter' : ''),
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      settings: { agents: AGENTS, latencyScale: LATENCY_SCALE, pollIntervalMs: POLL_INTERVAL_MS, seed: SEED, quotaWindowRealMs: windowRealMs, rateQuotas: limits },
      provision: {
        makespanSeconds: seconds(fleet.provisionMakespanMs),
        singleAgentCriticalPathSeconds: seconds(criticalPathMs),
        quotaLimitedSeconds: seconds(quota.ms),
        quotaLimitedByGroup: Object.fromEntries(Object.entries(quota.groups).map(([g, v]) => [g, { calls: v.calls, limit: v.limit, seconds: seconds(v.ms) }])),
        lowerBoundSeconds: seconds(boundMs),
        makespanOverBound: +(fleet.provisionMakespanMs / boundMs).toFixed(2),
        // Computed, not run: N times the single agent's measured critical path (a shell loop of gcloud calls).
        sequentialBaselineSeconds: seconds(AGENTS * criticalPathMs),
        speedupOverSequential: +((AGENTS * criticalPathMs) / fleet.provisionMakespanMs).toFixed(1),
        agentReadySeconds: { p50: seconds(quantile(fleet.agentReadyMs, 0.5)), p95: seconds(quantile(fleet.agentReadyMs, 0.95)), max: seconds(fleet.agentReadyMs.at(-1) ?? NaN) },
        failedAgents: fleet.failedAgents,
        addAgentsUpdatesAnsweredSeconds: seconds(fleet.updatesAcceptedMs),
        addAgentRejectedNotReadyThenRetried: fleet.notReadyRejections,
        provisionWorkflowStartedSeconds: { p50: seconds(quantile(startDelays, 0.5)), max: seconds(startDelays.at(-1) ?? NaN) },
        planeCreateSeconds: seconds(fleet.planeCreateMs),
      },
      upgrade: {
        makespanSeconds: seconds(fleet.upgrade.makespanMs),
        agents: fleet.upgrade.agents,
        upgraded: fleet.upgrade.upgraded,
        canary: CANARY,
        maxUnavailable: MAX_UNAVAILABLE,
        stages: fleet.upgrade.stages,
        peakUnavailable: fleet.upgrade.peakUnavailable,
        singleAgentSeconds: seconds(single.upgrade.makespanMs),
        // Every stage waits for its slowest agent: the ideal is stages × one agent's upgrade.
        lowerBoundSeconds: seconds(fleet.upgrade.stages * single.upgrade.makespanMs),
        makespanOverBound: +(fleet.upgrade.makespanMs / (fleet.upgrade.stages * single.upgrade.makespanMs)).toFixed(2),
        sequentialBaselineSeconds: seconds(AGENTS * single.upgrade.makespanMs),
        agentUnavailableSeconds: {
          p50: seconds(quantile(fleet.upgrade.agentUnavailableMs, 0.5)),
          max: seconds(fleet.upgrade.agentUnavailableMs.at(-1) ?? NaN),
        },
      },
      teardown: {
        makespanSeconds: seconds(fleet.teardownMakespanMs),
        singleAgentSeconds: seconds(single.teardownMakespanMs),
        quotaLimitedSeconds: seconds(teardownQuota.ms),
        lowerBoundSeconds: seconds(teardownBoundMs),
        makespanOverBound: +(fleet.teardownMakespanMs / teardownBoundMs).toFixed(2),
        sequentialBaselineSeconds: seconds(AGENTS * single.teardownMakespanMs),
        deprovisionWorkflowStartedSeconds: { p50: seconds(quantile(deprovisionDelays, 0.5)), max: seconds(deprovisionDelays.at(-1) ?? NaN) },
      },
      api: {
        callsPerAgentByGroup: { provision: perAgent, teardown: single.callsByGroup.teardown },
        fleetCallsByGroup: fleet.callsByGroup,
        rateLimitedAnswers: Object.fromEntries(rateLimited),
        answersByStatus: proxy.byStatus(),
        injectedFaultHits: emulator.faults().reduce((s, r) => s + r.hits, 0),
        rateLimiter: values['without-limiter'] ? ('off' as const) : limiter,
      },
      temporal: {
        provisionPerAgent: { events: perN(fleet.history.provision.events), activities: perN(fleet.history.provision.activities) },
        deprovisionPerAgent: { events: perN(fleet.history.deprovision.events), activities: perN(fleet.history.deprovision.activities) },
        // Time activity / workflow tasks waited for the worker (schedule-to-start), per agent's provisioning.
        provisionQueueMsPerAgent: {
          activityTasks: Math.round(fleet.history.provision.activityQueueMs / AGENTS),
          workflowTasks: Math.round(fleet.history.provision.workflowTaskQueueMs / AGENTS),
          singleAgentActivityTasks: single.history.provision.activityQueueMs,
          singleAgentWorkflowTasks: single.history.provision.workflowTaskQueueMs,
        },
        upgradeWorkflow: withoutStarts(fleet.history.upgrade),
        activityRetries: fleet.history.provision.retries + fleet.history.deprovision.retries + fleet.history.upgrade.retries,
        activityFailures: fleet.history.provision.activityFailures + fleet.history.deprovision.activityFailures + fleet.history.upgrade.activityFailures,
        planeEntityAndNetwork: withoutStarts(fleet.history.plane),
        histories: { provision: withoutStarts(fleet.history.provision), deprovision: withoutStarts(fleet.history.deprovision) },
      },
      resources: {
        workerCpuMs: {
          provision: Math.round(fleet.workerCpuMs.provision),
          upgrade: Math.round(fleet.workerCpuMs.upgrade),
          teardown: Math.round(fleet.workerCpuMs.teardown),
          provisionPerAgent: Math.round(fleet.workerCpuMs.provision / AGENTS),
        },
        workerPeakRssMb: workerEnd.peakRssMb,
        workerRssAfterStartMb: workerStartUsage.rssMb,
        // Both runs (one agent, then N): the emulator, the proxy and the client share this process.
        benchProcessCpuMs: Math.round((selfCpu.user + selfCpu.system) / 1000),
        temporalServerCpuMs: Math.round(temporalCpuMs),
      },
      singleAgentRun: {
        provisionSeconds: seconds(single.provisionMakespanMs),
        teardownSeconds: seconds(single.teardownMakespanMs),
        history: { provision: withoutStarts(single.history.provision), deprovision: withoutStarts(single.history.deprovision) },
      },
    };

    printTable(result);
    if (values.json) {
      await writeFile(values.json, `${JSON.stringify(result, null, 2)}\n`);
      log(`wrote ${values.json}`);
    }
  } catch (error) {
    failed = true;
    process.stderr.write(`bench failed: ${describeError(error)}\n(logs in ${stack?.dir ?? 'the temporary folder'})\n`);
  } finally {
    // Logs are kept when the run failed: they are what explains it.
    await stack?.close(failed);
  }
  process.exitCode = failed ? 1 : 0;
}

function printTable(r: {
  settings: { agents: number; latencyScale: number; pollIntervalMs: number };
  provision: Record<string, unknown> & { agentReadySeconds: Record<string, number>; provisionWorkflowStartedSeconds: Record<string, number> };
  upgrade: Record<string, unknown> & { agentUnavailableSeconds: Record<string, number> };
  teardown: Record<string, unknown> & { deprovisionWorkflowStartedSeconds: Record<string, number> };
  api: { rateLimitedAnswers: Record<string, number>; injectedFaultHits: number; rateLimiter: 'off' | { calls: number; delayed: number; delayedMs: number; rateLimited: number } | null };
  temporal: {
    provisionPerAgent: { events: number; activities: number };
    deprovisionPerAgent: { events: number; activities: number };
    provisionQueueMsPerAgent: { activityTasks: number; workflowTasks: number; singleAgentActivityTasks: number; singleAgentWorkflowTasks: number };
    activityRetries: number;
  };
  resources: { workerCpuMs: { provision: number; upgrade: number; teardown: number; provisionPerAgent: number }; workerPeakRssMb: number; benchProcessCpuMs: number; temporalServerCpuMs: number };
}): void {
  const p = r.provision;
  const u = r.upgrade;
  const t = r.teardown;
  const l = r.api.rateLimiter;
  const rows: [string, string][] = [
    ['agents / latency scale / poll interval', `${r.settings.agents} / ${r.settings.latencyScale} / ${r.settings.pollIntervalMs} ms`],
    ['provision makespan', `${p.makespanSeconds} s`],
    ['  one agent alone (critical path)', `${p.singleAgentCriticalPathSeconds} s`],
    ['  quota-limited time for N agents', `${p.quotaLimitedSeconds} s`],
    ['  lower bound / makespan ÷ bound', `${p.lowerBoundSeconds} s / ${p.makespanOverBound}`],
    ['  sequential baseline (N × critical path)', `${p.sequentialBaselineSeconds} s (${p.speedupOverSequential}× the makespan)`],
    ['  agent Ready p50 / p95 / max', `${p.agentReadySeconds.p50} / ${p.agentReadySeconds.p95} / ${p.agentReadySeconds.max} s`],
    ['  failed agents', String(p.failedAgents)],
    ['  addAgents Updates answered after', `${p.addAgentsUpdatesAnsweredSeconds} s`],
    ['  Updates rejected "not Ready" (retried)', String(p.addAgentRejectedNotReadyThenRetried)],
    ['  provision workflows started p50 / max', `${p.provisionWorkflowStartedSeconds.p50} / ${p.provisionWorkflowStartedSeconds.max} s`],
    ['upgrade makespan (canary, then waves)', `${u.makespanSeconds} s for ${u.upgraded}/${u.agents} agents`],
    ['  canary / max unavailable / stages', `${u.canary} / ${u.maxUnavailable} / ${u.stages}`],
    ['  most unavailable at once (recorded)', String(u.peakUnavailable)],
    ['  one agent alone / bound (stages × one) / ratio', `${u.singleAgentSeconds} s / ${u.lowerBoundSeconds} s / ${u.makespanOverBound}`],
    ['  sequential baseline', `${u.sequentialBaselineSeconds} s`],
    ['  agent unavailable p50 / max', `${u.agentUnavailableSeconds.p50} / ${u.agentUnavailableSeconds.max} s`],
    ['teardown makespan', `${t.makespanSeconds} s`],
    ['  one agent alone / bound / ratio', `${t.singleAgentSeconds} s / ${t.lowerBoundSeconds} s / ${t.makespanOverBound}`],
    ['  sequential baseline', `${t.sequentialBaselineSeconds} s`],
    ['  deprovision workflows started p50 / max', `${t.deprovisionWorkflowStartedSeconds.p50} / ${t.deprovisionWorkflowStartedSeconds.max} s`],
    ['rate-limited answers (429/403)', Object.entries(r.api.rateLimitedAnswers).map(([k, n]) => `${k}: ${n}`).join(', ') || '0'],
    ['injected fault hits', String(r.api.injectedFaultHits)],
    [
      'rate limiter: calls / delayed / wait / refused',
      l === 'off' ? 'off' : l ? `${l.calls} / ${l.delayed} / ${(l.delayedMs / 1000).toFixed(1)} s / ${l.rateLimited}` : 'no report',
    ],
    ['activity retries', String(r.temporal.activityRetries)],
    ['history events / activities per agent (provision)', `${r.temporal.provisionPerAgent.events} / ${r.temporal.provisionPerAgent.activities}`],
    ['history events / activities per agent (deprovision)', `${r.temporal.deprovisionPerAgent.events} / ${r.temporal.deprovisionPerAgent.activities}`],
    ['task queue wait per agent: activities / workflow tasks', `${r.temporal.provisionQueueMsPerAgent.activityTasks} / ${r.temporal.provisionQueueMsPerAgent.workflowTasks} ms (alone: ${r.temporal.provisionQueueMsPerAgent.singleAgentActivityTasks} / ${r.temporal.provisionQueueMsPerAgent.singleAgentWorkflowTasks} ms)`],
    [
      'worker CPU provision / upgrade / teardown / per agent provisioned',
      `${r.resources.workerCpuMs.provision} / ${r.resources.workerCpuMs.upgrade} / ${r.resources.workerCpuMs.teardown} / ${r.resources.workerCpuMs.provisionPerAgent} ms`,
    ],
    ['worker peak RSS', `${r.resources.workerPeakRssMb} MB`],
    ['bench process (emulator) CPU / Temporal server CPU', `${r.resources.benchProcessCpuMs} / ${r.resources.temporalServerCpuMs} ms`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
}

await main();
