/**
 * Chaos run (not a test): provision a plane of N agents, set owner secrets through the real CLI,
 * upgrade every agent, and destroy the plane, while the worker is SIGKILLed K times at seeded random
 * moments and the Temporal dev server is stopped and restarted once on its SQLite file. Then it checks,
 * and prints:
 *   - every operation completed, or failed with its undos run (nothing of it left);
 *   - after provisioning, the inventory holds exactly the resources of the roster's agents;
 *   - orphaned resources (in the inventory, in no roster) and duplicates (two of one thing): 0;
 *   - after teardown, the project is empty;
 *   - secret values (the owner secrets and every generated gateway token) in workflow histories
 *     (raw and decrypted), worker logs, the Temporal server's log and the inventory: 0.
 *
 *   npm run chaos -- [--agents 20] [--kills 10] [--seed 1] [--latency-scale 0.05] [--json FILE]
 *
 * Exit 0 when every check holds, 1 otherwise (or when the run itself broke), 2 on a bad flag.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { createRandom, type Random } from '../src/emulator/core/random.js';
import type { InventoryResource } from '../src/emulator/index.js';
import { agentResourceNames, agentResourcePaths, iapTunnelInstanceResource, planeResourcePaths, type PlaneLocation } from '../src/domain/resource-names.js';
import { agentLabels, LABEL_KEYS } from '../src/domain/labels.js';
import type { AgentName, OwnerEmail } from '../src/domain/names.js';
import { GENERATED_SECRET_KEYS, OWNER_SECRET_KEYS, parsePlaneSpec, type AgentRequest, type PlaneSpec } from '../src/domain/specs.js';
import { planeWorkflowId } from '../src/domain/workflow-ids.js';
import { createGcpClients } from '../src/gcp/clients.js';
import { projectRoot } from '../src/runtime/project-root.js';
import { parseCodecKeys, CODEC_KEYS_ENV } from '../src/temporal/codec-keys.js';
import { EncryptionCodec } from '../src/temporal/codec.js';
import { collectPayloads } from '../src/temporal/history-payloads.js';
import { OPERATION, PLANE_NAME } from '../src/temporal/search-attributes.js';
import { addAgentUpdate, destroyPlaneUpdate, planeStatusQuery, type PlaneStatus } from '../src/workflows/plane-messages.js';
import type { plane as planeWorkflow } from '../src/workflows/plane.js';
import { startUpgradeUpdate } from '../src/workflows/upgrade-messages.js';
import { BENCH_PROJECT, BENCH_REGION, BenchStack, describeError, latencyScale, seconds, sleep, wholeNumber } from './stack.js';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '20' },
    kills: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    'latency-scale': { type: 'string', default: '0.05' },
    'poll-interval-ms': { type: 'string', default: '250' },
    json: { type: 'string' },
  },
});
const AGENTS = wholeNumber('--agents', values.agents, 1);
const KILLS = wholeNumber('--kills', values.kills, 0);
const SEED = wholeNumber('--seed', values.seed, 0);
const LATENCY_SCALE = latencyScale(values['latency-scale']);
const POLL_INTERVAL_MS = wholeNumber('--poll-interval-ms', values['poll-interval-ms'], 10);
const UPGRADE_VERSION = '2026.11.1';
const OWNER_SECRET = OWNER_SECRET_KEYS[0]!;
const GATEWAY_TOKEN = GENERATED_SECRET_KEYS[0]!;
/** Owner secrets set through the CLI (each a CLI process): enough to prove the point, not one per agent. */
const OWNER_SECRETS_SET = Math.min(AGENTS, 5);

type Phase = 'provision' | 'upgrade' | 'teardown';
interface ChaosEvent {
  readonly atSeconds: number;
  readonly phase: Phase;
  readonly what: 'worker SIGKILL' | 'worker restarted' | 'Temporal stopped' | 'Temporal restarted';
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Retries a Temporal call through a server restart (connection refused, unavailable) for up to 2 minutes. */
async function throughRestarts<T>(what: string, call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      const text = describeError(error);
      const transient = /UNAVAILABLE|ECONNREFUSED|DEADLINE_EXCEEDED|RESOURCE_EXHAUSTED|Connection dropped|No connection established|socket|failed to connect/i.test(text);
      if (!transient || Date.now() > deadline) throw new Error(`${what}: ${text}`);
      await sleep(500);
    }
  }
}

/**
 * The chaos: K worker kills at seeded random moments over the whole run (each followed by a restart
 * after a seeded pause), and one Temporal restart during provisioning, once a seeded share of the
 * agents is Ready.
 */
class ChaosMonkey {
  readonly events: ChaosEvent[] = [];
  phase: Phase = 'provision';
  private stopped = false;
  private killsDone = 0;
  private readonly started = performance.now();
  private busy: Promise<void> = Promise.resolve();

  constructor(
    private readonly stack: BenchStack,
    private readonly random: Random,
    private readonly kills: number,
    /** Mean seconds between two kills: the run's expected length spread over the kills. */
    private readonly meanGapMs: number,
  ) {}

  private note(what: ChaosEvent['what']): void {
    this.events.push({ atSeconds: seconds(performance.now() - this.started), phase: this.phase, what });
    log(`  chaos: ${what} (${this.phase})`);
  }

  /** Kills at seeded moments until K are done or the run ends. */
  async killLoop(): Promise<void> {
    while (!this.stopped && this.killsDone < this.kills) {
      // Uniform in [0.3, 1.7] × the mean gap.
      await sleep(this.meanGapMs * (0.3 + 1.4 * this.random()));
      if (this.stopped) break;
      await this.exclusive(async () => {
        this.stack.killWorker();
        this.killsDone++;
        this.note('worker SIGKILL');
        await sleep(300 + 1_700 * this.random());
        await this.stack.startWorker();
        this.note('worker restarted');
      });
    }
  }

  async restartTemporal(): Promise<void> {
    await this.exclusive(async () => {
      await this.stack.stopTemporal();
      this.note('Temporal stopped');
      await sleep(1_000 + 2_000 * this.random());
      await this.stack.startTemporal();
      this.note('Temporal restarted');
    });
  }

  /** One disruption at a time: a worker restart waits for Temporal to be back, and the reverse. */
  private exclusive(body: () => Promise<void>): Promise<void> {
    const run = this.busy.then(body);
    this.busy = run.catch(() => undefined);
    return run;
  }

  get killCount(): number {
    return this.killsDone;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.busy;
  }
}

/** The real CLI, as an owner would run it: the value on stdin, the stack's Temporal and emulator in env. */
function cliSecretsSet(stack: BenchStack, agent: string, value: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TEMPORAL_') && !k.startsWith('AGENTS_PLANE_')) env[k] = v;
    Object.assign(env, {
      TEMPORAL_ADDRESS: stack.temporalAddress,
      TEMPORAL_NAMESPACE: stack.namespace,
      AGENTS_PLANE_TASK_QUEUE: stack.taskQueue,
      AGENTS_PLANE_GCP_ENDPOINT: stack.emulator.url,
      [CODEC_KEYS_ENV]: stack.codecKeysText,
    });
    const child = spawn(process.execPath, [join(projectRoot(), 'bin', 'agents-plane.js'), 'planes', 'secrets', 'set', '--plane', 'chaos', '--agent', agent, '--key', OWNER_SECRET], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
    child.stdin.end(`${value}\n`);
  });
}


async function inventory(stack: BenchStack): Promise<InventoryResource[]> {
  const body = (await (await fetch(`${stack.emulator.url}/__emulator/inventory`)).json()) as { resources: InventoryResource[] };
  // The project itself is the plane's surroundings, not one of its resources.
  return body.resources.filter((r) => r.kind !== 'resourcemanager.projects');
}

interface InventoryAudit {
  readonly expected: number;
  readonly missing: readonly string[];
  readonly orphaned: readonly string[];
  readonly duplicates: readonly string[];
}

/**
 * The inventory against the roster: exactly the plane's resources and each Ready agent's (plus its IAP
 * tunnel policy and, after an upgrade, one pre-upgrade snapshot); nothing else; no secret with more
 * versions than were written; no binding listing a member twice.
 */
function audit(resources: readonly InventoryResource[], plane: PlaneLocation, ready: readonly AgentName[], expect: { snapshotsPerAgent: number; ownerVersions: ReadonlyMap<string, number> }): InventoryAudit {
  const expected = new Set<string>(planeResourcePaths(plane));
  const gatewayTokens = new Set<string>();
  for (const agent of ready) {
    for (const path of agentResourcePaths(plane, agent)) expected.add(path);
    const n = agentResourceNames(plane.project, plane.name, agent);
    expected.add(iapTunnelInstanceResource(plane.project, plane.zone, n.instance));
    gatewayTokens.add(n.secretName(GATEWAY_TOKEN));
  }
  const names = new Set(resources.map((r) => r.name));
  const missing = [...expected].filter((e) => !names.has(e));
  const orphaned = resources.filter((r) => !expected.has(r.name) && r.kind !== 'compute.snapshots').map((r) => `${r.kind} ${r.name}`);
  const duplicates: string[] = [];
  // Snapshots carry their agent's labels: one per Ready agent after an upgrade, none of anyone else.
  const snapshots = resources.filter((r) => r.kind === 'compute.snapshots');
  const readyLabels = new Map(ready.map((a) => [agentLabels(plane.name, a, ownerOf(a))[LABEL_KEYS.agent], a]));
  for (const agent of ready) {
    const own = snapshots.filter((sn) => sn.labels[LABEL_KEYS.plane] === plane.name && sn.labels[LABEL_KEYS.agent] === agentLabels(plane.name, agent, ownerOf(agent))[LABEL_KEYS.agent]);
    if (own.length > expect.snapshotsPerAgent) duplicates.push(`${own.length} snapshots of ${agent}'s disk (expected ${expect.snapshotsPerAgent})`);
    if (own.length < expect.snapshotsPerAgent) missing.push(`pre-upgrade snapshot of ${agent}`);
  }
  for (const sn of snapshots) if (sn.labels[LABEL_KEYS.plane] !== plane.name || !readyLabels.has(sn.labels[LABEL_KEYS.agent] ?? '')) orphaned.push(`compute.snapshots ${sn.name}`);
  for (const r of resources) {
    if (r.kind === 'secretmanager.secrets') {
      const versions = Number((r.attributes as { versionCount?: number } | undefined)?.versionCount ?? 0);
      const allowed = gatewayTokens.has(r.name) ? 1 : (expect.ownerVersions.get(r.name) ?? 0);
      if (versions > allowed) duplicates.push(`${versions} versions of ${r.name} (expected ${allowed})`);
    }
    for (const b of r.iamPolicy?.bindings ?? []) {
      const members = b.members ?? [];
      if (new Set(members).size !== members.length) duplicates.push(`a member listed twice in ${b.role} on ${r.name}`);
    }
  }
  return { expected: expected.size + ready.length * expect.snapshotsPerAgent, missing, orphaned, duplicates };
}

/** The owner the run gives each agent. */
function ownerOf(agent: AgentName): OwnerEmail {
  return `${agent}@example.com` as OwnerEmail;
}

async function main(): Promise<void> {
  let stack: BenchStack | undefined;
  let failed = false;
  try {
    stack = await BenchStack.start({ name: 'chaos', latencyScale: LATENCY_SCALE, seed: SEED, agents: AGENTS, quotas: {}, pollIntervalMs: POLL_INTERVAL_MS, log });
    const s = stack;
    const client: Client = s.client;
    const random = createRandom(SEED);
    // A run of N agents takes roughly (provision + upgrade + teardown) ≈ 5 min × scale per agent-wave,
    // plus the heartbeat timeout (15 s) each kill costs; the kills are spread over about that long.
    const expectedRunMs = (300_000 * LATENCY_SCALE * 3 + 15_000 * KILLS) * 1.0;
    const monkey = new ChaosMonkey(s, random, KILLS, KILLS > 0 ? expectedRunMs / (KILLS + 1) : Infinity);
    const restartAfterReadyShare = 0.2 + 0.4 * random();
    const runStart = performance.now();

    const spec: PlaneSpec = parsePlaneSpec({ name: 'chaos', project: BENCH_PROJECT, region: BENCH_REGION });
    const location: PlaneLocation = spec;
    log(`chaos: ${AGENTS} agents, ${KILLS} worker kills, one Temporal restart (after ${Math.round(restartAfterReadyShare * 100)}% Ready), seed ${SEED}`);
    const handle: WorkflowHandle<typeof planeWorkflow> = await client.workflow.start<typeof planeWorkflow>('plane', {
      workflowId: planeWorkflowId(spec.name),
      taskQueue: s.taskQueue,
      args: [{ spec, settings: { bootTimeoutMs: 30 * 60_000 } }],
      typedSearchAttributes: [
        { key: PLANE_NAME, value: spec.name },
        { key: OPERATION, value: 'plane' },
      ],
    });
    const status = () => throughRestarts('plane status', () => handle.query(planeStatusQuery));
    const kills = monkey.killLoop();

    // Provision.
    let st: PlaneStatus = await status();
    while (st.phase === 'Creating') {
      await sleep(250);
      st = await status();
    }
    if (st.phase !== 'Ready') throw new Error(`plane ended ${st.phase}: ${st.lastError?.message ?? ''}`);
    const agents = Array.from({ length: AGENTS }, (_, i) => `c-${String(i + 1).padStart(3, '0')}` as AgentName);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(8, AGENTS) }, async () => {
        while (next < agents.length) {
          const name = agents[next++]!;
          const request: AgentRequest = { plane: spec.name, name, owner: ownerOf(name), machineType: 'e2-small' as AgentRequest['machineType'], agentVersion: undefined };
          await throughRestarts(`add ${name}`, () => handle.executeUpdate(addAgentUpdate, { args: [request] }));
        }
      }),
    );
    let restarted = false;
    for (;;) {
      st = await status();
      const settled = st.agents.filter((a) => a.state === 'Ready' || a.state === 'Failed').length;
      if (!restarted && st.agents.filter((a) => a.state === 'Ready').length >= restartAfterReadyShare * AGENTS) {
        restarted = true;
        await monkey.restartTemporal();
      }
      if (settled === AGENTS) break;
      await sleep(250);
    }
    if (!restarted) await monkey.restartTemporal();
    const ready = st.agents.filter((a) => a.state === 'Ready').map((a) => a.spec.name);
    const provisionFailed = st.agents.filter((a) => a.state === 'Failed').map((a) => `${a.spec.name}: ${a.lastError?.message ?? ''}`);
    log(`provisioned: ${ready.length} Ready, ${provisionFailed.length} Failed after ${seconds(performance.now() - runStart)} s`);

    // Owner secrets through the real CLI, and the generated tokens read back (as an auditor with access).
    const secretValues: string[] = [];
    const ownerVersions = new Map<string, number>();
    for (const agent of ready.slice(0, OWNER_SECRETS_SET)) {
      const value = `sk-chaos-${randomBytes(12).toString('hex')}`;
      const r = await cliSecretsSet(s, agent, value);
      if (r.code !== 0) throw new Error(`planes secrets set for ${agent} exited ${r.code}: ${r.output.trim()}`);
      secretValues.push(value);
      ownerVersions.set(agentResourceNames(spec.project, spec.name, agent).secretName(OWNER_SECRET), 1);
    }
    const gcp = createGcpClients({ emulatorUrl: s.emulator.url });
    try {
      for (const agent of ready) {
        const [version] = await gcp.secrets.accessSecretVersion({ name: `${agentResourceNames(spec.project, spec.name, agent).secretName(GATEWAY_TOKEN)}/versions/latest` });
        secretValues.push(Buffer.from(version.payload?.data as Uint8Array).toString());
      }
    } finally {
      await gcp.close();
    }
    const afterProvision = audit(await inventory(s), location, ready, { snapshotsPerAgent: 0, ownerVersions });

    // Upgrade.
    monkey.phase = 'upgrade';
    const upgradeStart = performance.now();
    const started = await throughRestarts('start upgrade', () =>
      handle.executeUpdate(startUpgradeUpdate, { args: [{ toVersion: UPGRADE_VERSION, canary: 1, maxUnavailable: Math.max(1, Math.ceil(AGENTS / 4)), healthTimeoutMs: 20 * 60_000 }] }),
    );
    let upgradeOutcome = 'completed';
    try {
      await throughRestarts('upgrade result', () => client.workflow.getHandle(started.workflowId).result());
    } catch (error) {
      upgradeOutcome = error instanceof WorkflowFailedError ? `failed: ${describeError(error)}` : `broken: ${describeError(error)}`;
    }
    st = await status();
    const onNewVersion = st.agents.filter((a) => a.spec.agentVersion === UPGRADE_VERSION).length;
    log(`upgrade ${upgradeOutcome} after ${seconds(performance.now() - upgradeStart)} s: ${onNewVersion}/${ready.length} on ${UPGRADE_VERSION}`);
    const afterUpgrade = audit(await inventory(s), location, ready, { snapshotsPerAgent: upgradeOutcome === 'completed' ? 1 : 0, ownerVersions });

    // Teardown.
    monkey.phase = 'teardown';
    const teardownStart = performance.now();
    await throughRestarts('destroy', () => handle.executeUpdate(destroyPlaneUpdate));
    const planeEnd = await throughRestarts('plane result', () => handle.result());
    log(`plane ${planeEnd} after ${seconds(performance.now() - teardownStart)} s`);
    await monkey.stop();
    await kills;
    const leftAfterTeardown = await inventory(s);

    // Every workflow of the run, by type and how it closed.
    const workflows: Record<string, Record<string, number>> = {};
    const incomplete: string[] = [];
    const codec = new EncryptionCodec(parseCodecKeys(s.codecKeysText, CODEC_KEYS_ENV));
    const leaks: string[] = [];
    let histories = 0;
    for await (const w of client.workflow.list({ query: `TaskQueue = '${s.taskQueue}'` })) {
      const byStatus = (workflows[w.type] ??= {});
      byStatus[w.status.name] = (byStatus[w.status.name] ?? 0) + 1;
      // Completed, failed (undos run) or continued as new; running, terminated, timed out or cancelled is not an end.
      if (!['COMPLETED', 'FAILED', 'CONTINUED_AS_NEW'].includes(w.status.name)) incomplete.push(`${w.workflowId} ${w.status.name}`);
      const history = await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
      histories++;
      const payloads: Payload[] = [];
      collectPayloads(history, payloads);
      const decoded = await codec.decode(payloads.filter((p) => p.metadata?.encoding && Buffer.from(p.metadata.encoding).toString() === 'binary/encrypted'));
      const texts = [JSON.stringify(history), ...[...payloads, ...decoded].map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('latin1'))];
      for (const v of secretValues) if (texts.some((t) => t.includes(v))) leaks.push(`history of ${w.workflowId}`);
    }
    const logs = [...(await s.workerLogTexts()), await readFile(join(s.dir, 'temporal.log'), 'utf8').catch(() => '')];
    for (const v of secretValues) {
      if (logs.some((l) => l.includes(v))) leaks.push('a worker or Temporal log');
      if (JSON.stringify(leftAfterTeardown).includes(v)) leaks.push('the inventory');
    }
    // Failed provisionings must have left nothing: their agents are not Ready, so any resource of theirs is an orphan above.
    const orphans = [...afterProvision.orphaned, ...afterUpgrade.orphaned, ...leftAfterTeardown.map((r) => `${r.kind} ${r.name} (after teardown)`)];
    const duplicates = [...afterProvision.duplicates, ...afterUpgrade.duplicates];
    const missing = [...afterProvision.missing, ...afterUpgrade.missing];

    const result = {
      command: `npm run chaos -- --agents ${AGENTS} --kills ${KILLS} --seed ${SEED} --latency-scale ${LATENCY_SCALE}`,
      runSeconds: seconds(performance.now() - runStart),
      chaos: { workerKills: monkey.killCount, temporalRestarts: monkey.events.filter((e) => e.what === 'Temporal restarted').length, events: monkey.events },
      provision: { ready: ready.length, failed: provisionFailed },
      upgrade: { outcome: upgradeOutcome, onNewVersion, of: ready.length },
      teardown: { planeEnded: planeEnd },
      workflows,
      checks: {
        incompleteOperations: incomplete,
        inventoryMatchesRoster: afterProvision.missing.length === 0 && afterProvision.orphaned.length === 0,
        missingResources: missing,
        orphanedResources: orphans.length,
        orphans,
        duplicateResources: duplicates.length,
        duplicates,
        secretValuesChecked: secretValues.length,
        historiesScanned: histories,
        secretValuesInHistoriesOrLogs: leaks.length,
        leaks,
      },
    };
    const pass =
      incomplete.length === 0 && missing.length === 0 && orphans.length === 0 && duplicates.length === 0 && leaks.length === 0 &&
      provisionFailed.length === 0 && planeEnd === 'Destroyed' && histories > 0 && secretValues.length > 0;
    printTable(result, pass);
    if (values.json) {
      await writeFile(values.json, `${JSON.stringify({ ...result, pass }, null, 2)}\n`);
      log(`wrote ${values.json}`);
    }
    failed = !pass;
  } catch (error) {
    failed = true;
    process.stderr.write(`chaos run broke: ${describeError(error)}\n(logs in ${stack?.dir ?? 'the temporary folder'})\n`);
  } finally {
    await stack?.close(failed);
  }
  process.exitCode = failed ? 1 : 0;
}

function printTable(
  r: {
    runSeconds: number;
    chaos: { workerKills: number; temporalRestarts: number };
    provision: { ready: number; failed: readonly string[] };
    upgrade: { outcome: string; onNewVersion: number; of: number };
    teardown: { planeEnded: string };
    workflows: Record<string, Record<string, number>>;
    checks: {
      incompleteOperations: readonly string[];
      inventoryMatchesRoster: boolean;
      missingResources: readonly string[];
      orphanedResources: number;
      orphans: readonly string[];
      duplicateResources: number;
      duplicates: readonly string[];
      secretValuesChecked: number;
      historiesScanned: number;
      secretValuesInHistoriesOrLogs: number;
    };
  },
  pass: boolean,
): void {
  const c = r.checks;
  const rows: [string, string][] = [
    ['agents / worker kills / Temporal restarts', `${AGENTS} / ${r.chaos.workerKills} / ${r.chaos.temporalRestarts}`],
    ['run time', `${r.runSeconds} s`],
    ['provisioned Ready / failed', `${r.provision.ready} / ${r.provision.failed.length}`],
    ['upgrade', `${r.upgrade.outcome}; ${r.upgrade.onNewVersion}/${r.upgrade.of} on ${UPGRADE_VERSION}`],
    ['plane after destroy', r.teardown.planeEnded],
    ['workflows by type and end', Object.entries(r.workflows).map(([t, s]) => `${t} ${Object.entries(s).map(([k, n]) => `${k.toLowerCase()} ${n}`).join(', ')}`).join('; ')],
    ['operations not completed or compensated', String(c.incompleteOperations.length)],
    ['inventory matches roster after provisioning', c.inventoryMatchesRoster ? 'yes' : 'NO'],
    ['missing resources', String(c.missingResources.length)],
    ['orphaned resources', String(c.orphanedResources)],
    ['duplicate resources', String(c.duplicateResources)],
    ['secret values in histories / logs', `${c.secretValuesInHistoriesOrLogs} (${c.secretValuesChecked} values, ${c.historiesScanned} histories scanned)`],
    ['result', pass ? 'PASS' : 'FAIL'],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
  for (const line of [...c.incompleteOperations, ...c.missingResources.map((m) => `missing ${m}`), ...c.orphans.map((o) => `orphan ${o}`), ...c.duplicates.map((d) => `duplicate ${d}`)]) {
    process.stdout.write(`  ${line}\n`);
  }
}

await main();
