/**
 * A whole product stack for the dashboard's browser tests, isolated from every other test file: a
 * private Temporal dev server (the dashboard lists every plane of its namespace, so sharing the run's
 * server would show other files' planes), an emulator of its own, a real worker process on the product
 * workflows, the real CLI binary, and the dashboard itself (the same startDashboard the CLI command runs).
 * Built from the harness primitives the e2e stack uses (test/e2e/support/stack.ts), which always talks to
 * the shared server.
 */
import type { Client } from '@temporalio/client';
import { startDashboard, type RunningDashboard } from '../../../src/dashboard/index.js';
import type { AccessSettings } from '../../../src/dashboard/access.js';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/index.js';
import { createGcpClients, type GcpClients } from '../../../src/gcp/clients.js';
import { runCli, type CliRun as CliResult } from '../../setup/cli.js';
import {
  connectTestClient,
  projectEnv,
  spawnWorkerProcess,
  startPrivateDevServer,
  testEnv,
  uniqueName,
  type TestDevServer,
  type WorkerProcess,
} from '../../setup/harness.js';

export class DashboardStack {
  private dashboardServer: RunningDashboard | undefined;
  private clients: GcpClients | undefined;

  private constructor(
    readonly server: TestDevServer,
    readonly emulator: EmulatorHandle,
    readonly client: Client,
    readonly worker: WorkerProcess,
    readonly taskQueue: string,
  ) {}

  static async start(options: { latencyScale?: number } = {}): Promise<DashboardStack> {
    const server = await startPrivateDevServer();
    const emulator = await startEmulator({ port: 0, latencyScale: options.latencyScale ?? 0.005, seed: 11 });
    const taskQueue = uniqueName('dashboard');
    const client = await connectTestClient({ TEMPORAL_ADDRESS: server.address });
    const worker = await spawnWorkerProcess({
      taskQueue,
      workflowBundlePath: testEnv().workflowBundlePath,
      address: server.address,
      env: { AGENTS_PLANE_GCP_ENDPOINT: emulator.url, AGENTS_PLANE_POLL_INTERVAL_MS: '100' },
    });
    await worker.waitUntilPolling();
    return new DashboardStack(server, emulator, client, worker, taskQueue);
  }

  env(): NodeJS.ProcessEnv {
    return projectEnv({
      TEMPORAL_ADDRESS: this.server.address,
      AGENTS_PLANE_TASK_QUEUE: this.taskQueue,
      AGENTS_PLANE_GCP_ENDPOINT: this.emulator.url,
      AGENTS_PLANE_POLL_INTERVAL_MS: '100',
    });
  }

  cli(args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
    return runCli(args, this.env(), options.timeoutMs, options.input);
  }

  /** Full Google clients for the test's own checks (the dashboard has only describe-only ones). */
  gcp(): GcpClients {
    this.clients ??= createGcpClients({ emulatorUrl: this.emulator.url });
    return this.clients;
  }

  async startDashboard(options: { access?: AccessSettings; intervalMs?: number } = {}): Promise<RunningDashboard> {
    // The dashboard shows the planes of its deployment's task queue, read from the environment as the
    // CLI reads it; this test file's process is its own (vitest forks), so setting it here is local.
    process.env.AGENTS_PLANE_TASK_QUEUE = this.taskQueue;
    this.dashboardServer = await startDashboard({
      access: options.access ?? { host: '127.0.0.1', token: null },
      port: 0,
      temporal: this.client,
      namespace: testEnv().namespace,
      gcpEndpoint: this.emulator.url,
      webUiUrl: this.server.webUiUrl,
      intervalMs: options.intervalMs ?? 1_000,
    });
    return this.dashboardServer;
  }

  async stop(): Promise<void> {
    await this.dashboardServer?.close();
    await this.worker.stop();
    await this.clients?.close();
    await this.client.connection.close();
    await this.emulator.close();
    await this.server.stop();
  }
}
