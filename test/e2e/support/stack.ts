/**
 * One test file's full product stack: the run's real Temporal dev server (shared, from the global
 * setup), a GCP emulator of its own (in this process, so its inventory and faults are the file's alone),
 * a real worker process on the file's own task queue (SIGKILL-able), and the real CLI binary.
 */
import { readFile } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { startEmulator, type EmulatorHandle, type FaultRule, type InventoryResource } from '../../../src/emulator/index.js';
import { createGcpClients, type GcpClients } from '../../../src/gcp/clients.js';
import { EncryptionCodec } from '../../../src/temporal/codec.js';
import { collectPayloads } from '../../../src/temporal/history-payloads.js';
import type { AgentName, OwnerEmail, PlaneName, ProjectId, Zone } from '../../../src/domain/names.js';
import { planeWorkflowId } from '../../../src/domain/workflow-ids.js';
import { planeStatusQuery } from '../../../src/workflows/plane-messages.js';
import { codecKeySet, connectTestClient, projectEnv, spawnWorkerProcess, testEnv, uniqueName, type WorkerProcess } from '../../setup/harness.js';
import { runCli, type CliRun } from '../../setup/cli.js';
import type { AgentFixture, PlaneFixture } from './expectations.js';

export function plane(name: string): PlaneFixture {
  return { name: name as PlaneName, project: 'acme-agents' as ProjectId, region: 'us-central1', zone: 'us-central1-a' as Zone };
}

export function agent(name: string, owner: string): AgentFixture {
  return { name: name as AgentName, owner: owner as OwnerEmail };
}

export interface StackOptions {
  /** Emulator latency scale: small, so a full agent takes seconds, not minutes. */
  readonly latencyScale?: number;
}

export class E2EStack {
  private worker: WorkerProcess | undefined;
  private readonly workerLogs: string[] = [];
  private readonly cliOutputs: string[] = [];
  private clients: GcpClients | undefined;

  private constructor(
    readonly emulator: EmulatorHandle,
    readonly taskQueue: string,
    readonly client: Client,
  ) {}

  static async start(name: string, options: StackOptions = {}): Promise<E2EStack> {
    const emulator = await startEmulator({ port: 0, latencyScale: options.latencyScale ?? 0.005, seed: 7 });
    const client = await connectTestClient();
    const stack = new E2EStack(emulator, uniqueName(`e2e-${name}`), client);
    await stack.startWorker();
    return stack;
  }

  /** What the CLI and the worker see: the run's Temporal, this file's task queue and emulator. */
  env(): NodeJS.ProcessEnv {
    return projectEnv({
      AGENTS_PLANE_TASK_QUEUE: this.taskQueue,
      AGENTS_PLANE_GCP_ENDPOINT: this.emulator.url,
      AGENTS_PLANE_POLL_INTERVAL_MS: '100',
    });
  }

  async startWorker(): Promise<void> {
    this.worker = await spawnWorkerProcess({
      taskQueue: this.taskQueue,
      workflowBundlePath: testEnv().workflowBundlePath,
      env: { AGENTS_PLANE_GCP_ENDPOINT: this.emulator.url, AGENTS_PLANE_POLL_INTERVAL_MS: '100' },
    });
    this.workerLogs.push(this.worker.record.logFile);
    await this.worker.waitUntilPolling();
  }

  async killWorker(): Promise<void> {
    await this.worker?.kill();
    this.worker = undefined;
  }

  async cli(args: readonly string[], options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
    const r = await runCli(args, { ...this.env(), ...options.env }, options.timeoutMs, options.input);
    this.cliOutputs.push(r.stdout, r.stderr);
    return r;
  }

  gcp(): GcpClients {
    this.clients ??= createGcpClients({ emulatorUrl: this.emulator.url });
    return this.clients;
  }

  async inventory(): Promise<InventoryResource[]> {
    return this.emulator.inventory();
  }

  /** Everything a plane could have created (the emulator's project-level rows aside). */
  async ourResources(): Promise<string[]> {
    return (await this.inventory()).filter((r) => r.name.includes('/ap-') || r.name.includes('ap-')).map((r) => r.name);
  }

  /** A fingerprint of the whole inventory: equal before and after means nothing was created or changed. */
  async inventorySignature(): Promise<string> {
    const rows = (await this.inventory()).map((r) => JSON.stringify([r.kind, r.name, r.labels, r.iamPolicy ?? null]));
    return rows.sort().join('\n');
  }

  /** Workflows ever started on this file's task queue. */
  /**
   * Workflows on this stack's task queue, once visibility has settled: the dev server writes
   * visibility asynchronously, so a count read just after a start can miss it. Equal readings
   * 400 ms apart count as settled.
   */
  async workflowCount(): Promise<number> {
    const read = async () => (await this.client.workflow.count(`TaskQueue = '${this.taskQueue}'`)).count;
    let last = await read();
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 400));
      const now = await read();
      if (now === last) return now;
      last = now;
    }
    return last;
  }

  async setFaults(rules: FaultRule[]): Promise<void> {
    this.emulator.setFaults(rules);
  }

  async faultHits(): Promise<number> {
    return this.emulator.faults().reduce((sum, r) => sum + r.hits, 0);
  }

  /** Creates the plane and adds its agents (one `planes add-agent` each, at once); answers their final states. */
  async planeWithAgents(p: PlaneFixture, agents: readonly AgentName[], timeoutMs = 120_000): Promise<Record<string, string>> {
    const created = await this.cli(['planes', 'create', '--name', p.name, '--project', p.project, '--region', p.region, '--json']);
    if (created.code !== 0) throw new Error(`planes create: ${created.stderr}`);
    const added = await Promise.all(
      agents.map((a) => this.cli(['planes', 'add-agent', '--plane', p.name, '--name', a, '--owner', `${a}@example.com`, '--no-wait', '--json'])),
    );
    for (const r of added) if (r.code !== 0) throw new Error(`planes add-agent: ${r.stderr}`);
    return this.waitForAgents(p.name, agents, ['Ready', 'Failed'], timeoutMs);
  }

  async waitForAgents(planeName: PlaneName, agents: readonly AgentName[], done: readonly string[], timeoutMs: number): Promise<Record<string, string>> {
    const deadline = Date.now() + timeoutMs;
    const handle = this.client.workflow.getHandle(planeWorkflowId(planeName));
    for (;;) {
      const status = await handle.query(planeStatusQuery);
      const states = Object.fromEntries(agents.map((a) => [a, status.agents.find((e) => e.spec.name === a)?.state ?? 'Absent']));
      if (Object.values(states).every((s) => done.includes(s)) || Date.now() > deadline) return states;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /**
   * Scans every workflow history of this file (payloads decrypted with the run's key, so plaintext
   * would show), the worker logs, every CLI output and the emulator inventory for `secret`.
   */
  async expectNoSecretAnywhere(secret: string): Promise<void> {
    const codec = new EncryptionCodec(codecKeySet());
    const needle = Buffer.from(secret);
    const places: string[] = [];
    let histories = 0;
    for await (const w of this.client.workflow.list({ query: `TaskQueue = '${this.taskQueue}'` })) {
      const history = await this.client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
      histories++;
      const payloads: Payload[] = [];
      collectPayloads(history, payloads);
      const decoded = await codec.decode(payloads.filter((p) => p.metadata?.encoding && Buffer.from(p.metadata.encoding).toString() === 'binary/encrypted'));
      for (const p of [...payloads, ...decoded]) if (p.data && Buffer.from(p.data).includes(needle)) places.push(`history of ${w.workflowId}`);
      if (JSON.stringify(history).includes(secret)) places.push(`history of ${w.workflowId} (raw)`);
    }
    if (histories === 0) throw new Error('no workflow history to scan: the check would prove nothing');
    for (const file of this.workerLogs) {
      if ((await readFile(file, 'utf8').catch(() => '')).includes(secret)) places.push(`worker log ${file}`);
    }
    if (this.cliOutputs.some((o) => o.includes(secret))) places.push('CLI output');
    if (JSON.stringify(await this.inventory()).includes(secret)) places.push('emulator inventory');
    if (places.length > 0) throw new Error(`secret value found in: ${places.join(', ')}`);
  }

  async stop(): Promise<void> {
    await this.worker?.stop();
    await this.clients?.close();
    await this.client.connection.close();
    await this.emulator.close();
  }
}
