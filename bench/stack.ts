/**
 * The private stack a benchmark runs on: a Temporal dev server on free ports with a SQLite file in a
 * temporary folder (restartable on the same file), the GCP emulator in this process behind a proxy that
 * counts answers by HTTP status, and a worker process (killable and restartable). Nothing is shared
 * with a developer's embedded stack; `close()` stops every process it started.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { GCP_RATE_QUOTAS, QUOTA_WINDOW_MS } from '../src/domain/gcp-rate-quotas.js';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.js';
import { freePort } from '../src/runtime/ports.js';
import { isRunning, spawnDetached, stopProcess, type ProcessRecord } from '../src/runtime/processes.js';
import { projectRoot } from '../src/runtime/project-root.js';
import { ensurePypiTool } from '../src/runtime/pypi-tools.js';
import { startDevServer } from '../src/runtime/temporal-dev-server.js';
import { waitForWorkerPolling } from '../src/runtime/worker-readiness.js';
import { CODEC_KEYS_ENV, generateCodecKeysText, parseCodecKeys } from '../src/temporal/codec-keys.js';
import { encryptingDataConverter } from '../src/temporal/codec.js';

export { setTimeout as sleep } from 'node:timers/promises';
export const seconds = (ms: number) => +(ms / 1000).toFixed(2);

/** A whole-number flag, or one line naming it and exit 2. */
export function wholeNumber(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) {
    process.stderr.write(`invalid ${flag}: must be a whole number ≥ ${min}, got "${text}"\n`);
    process.exit(2);
  }
  return n;
}

/** A latency scale flag: > 0, since at 0 the emulator turns rate quotas off and nothing is measured. */
export function latencyScale(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`invalid --latency-scale: must be a number > 0, got "${text}"\n`);
    process.exit(2);
  }
  return n;
}

/** An error with its chain of causes, on one line (Temporal wraps the workflow's failure). */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let e = error; e; e = (e as { cause?: unknown }).cause) parts.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  return parts.join(' <- ');
}

/** A reverse proxy in front of the emulator that counts answers by HTTP status and API. */
export class StatusCountingProxy {
  readonly counts: Record<string, number> = {};
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });
  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(target: EmulatorHandle): Promise<StatusCountingProxy> {
    let proxy: StatusCountingProxy | undefined;
    const server = createServer((req, res) => {
      const upstream = request(
        { host: '127.0.0.1', port: target.port, method: req.method, path: req.url, headers: req.headers, agent: proxy!.agent },
        (answer) => {
          const api = (req.url ?? '').split('/')[1] ?? '';
          const key = `${answer.statusCode} ${api}`;
          proxy!.counts[key] = (proxy!.counts[key] ?? 0) + 1;
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    proxy = new StatusCountingProxy(server, `http://127.0.0.1:${port}`);
    return proxy;
  }

  byStatus(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, n] of Object.entries(this.counts)) {
      const status = key.slice(0, key.indexOf(' '));
      out[status] = (out[status] ?? 0) + n;
    }
    return out;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    this.agent.destroy();
  }
}

export interface ProcessUsage {
  readonly cpuMs: number;
  readonly rssMb: number;
  readonly peakRssMb: number;
}

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time and memory of a child process from /proc (Linux). */
export async function processUsage(pid: number): Promise<ProcessUsage> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at state: utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND, rssMb: Math.round(kb('VmRSS') / 1024), peakRssMb: Math.round(kb('VmHWM') / 1024) };
}

export interface BenchStackOptions {
  /** Short name for the temporary folder (`agents-plane-<name>-…`). */
  readonly name: string;
  readonly latencyScale: number;
  readonly seed: number;
  /** Capacity for this many agents (service accounts, vCPUs, instances, disk). */
  readonly agents: number;
  /** Emulator rate quota overrides per window, `group → n`; the worker's limiter is told the same. */
  readonly quotas: Readonly<Record<string, number>>;
  readonly pollIntervalMs: number;
  /** Ceilings so high that the worker's rate limiter never makes a call wait (a before/after figure). */
  readonly withoutLimiter?: boolean;
  readonly log: (line: string) => void;
}

export const BENCH_PROJECT = 'bench-agents';
export const BENCH_REGION = 'us-central1';
const NAMESPACE = 'default';
const TASK_QUEUE = 'agents-plane-bench';

export class BenchStack {
  readonly cleanups: (() => Promise<unknown>)[] = [];
  private temporalRecord: ProcessRecord | undefined;
  private workerRecord: ProcessRecord | undefined;
  private workerLogs = 0;
  temporalAddress = '';
  temporalPort = 0;
  private uiPort = 0;
  private temporalBin = '';
  emulator!: EmulatorHandle;
  proxy!: StatusCountingProxy;
  client!: Client;
  private connection!: Connection;
  codecKeysText = '';
  /** Per-window limits the emulator applies to the bench project. */
  limits: Record<string, number> = {};
  readonly taskQueue = TASK_QUEUE;
  readonly namespace = NAMESPACE;

  private constructor(
    readonly dir: string,
    private readonly options: BenchStackOptions,
  ) {}

  /** Starts everything; on failure stops what it started and rethrows. */
  static async start(options: BenchStackOptions): Promise<BenchStack> {
    const stack = new BenchStack(await mkdtemp(join(tmpdir(), `agents-plane-${options.name}-`)), options);
    try {
      await stack.boot();
      return stack;
    } catch (error) {
      await stack.close(true);
      throw error;
    }
  }

  private async boot(): Promise<void> {
    const { log } = this.options;
    this.temporalBin = await ensurePypiTool('temporal', log);
    this.temporalPort = await freePort();
    this.uiPort = await freePort();
    while (this.uiPort === this.temporalPort) this.uiPort = await freePort();
    this.cleanups.push(async () => this.temporalRecord && stopProcess(this.temporalRecord, 10_000));
    log(`starting a private Temporal dev server on 127.0.0.1:${this.temporalPort} (${this.dir})`);
    await this.startTemporal();

    const n = this.options.agents;
    this.emulator = await startEmulator({
      port: 0,
      latencyScale: this.options.latencyScale,
      seed: this.options.seed,
      rateQuotas: this.options.quotas,
      serviceAccountQuota: n + 10,
      // A new project's 24 vCPUs / 24 instances hold 12 e2-small agents; raised so N fit (2 vCPUs, 20 GB pd-balanced each).
      computeQuotas: { CPUS: n * 2 + 8, INSTANCES: n + 4, SSD_TOTAL_GB: n * 20 + 100, DISKS_TOTAL_GB: n * 20 + 4096 },
    });
    this.cleanups.push(() => this.emulator.close());
    this.proxy = await StatusCountingProxy.start(this.emulator);
    this.cleanups.push(() => this.proxy.close());
    this.limits = ((await (await fetch(`${this.emulator.url}/__emulator/quotas?project=${BENCH_PROJECT}`)).json()) as { limits: Record<string, number> }).limits;

    this.codecKeysText = generateCodecKeysText('bench');
    this.cleanups.push(async () => this.workerRecord && stopProcess(this.workerRecord, 15_000));
    await this.startWorker();

    this.connection = await Connection.connect({ address: this.temporalAddress });
    this.cleanups.push(() => this.connection.close());
    this.client = new Client({
      connection: this.connection,
      namespace: NAMESPACE,
      dataConverter: encryptingDataConverter(parseCodecKeys(this.codecKeysText, CODEC_KEYS_ENV)),
    });
  }

  /** The dev server, on the same port and SQLite file every time. */
  async startTemporal(): Promise<void> {
    const temporal = await startDevServer(
      {
        temporalBin: this.temporalBin,
        dbFile: join(this.dir, 'temporal.sqlite'),
        ip: '127.0.0.1',
        port: this.temporalPort,
        uiPort: this.uiPort,
        namespace: NAMESPACE,
        logFile: join(this.dir, 'temporal.log'),
        cwd: this.dir,
      },
      { timeoutMs: 120_000, onSpawn: (r) => void (this.temporalRecord = r) },
    );
    this.temporalAddress = temporal.address;
  }

  /** Stops the dev server (SIGTERM, as an operator's restart would). */
  async stopTemporal(): Promise<void> {
    if (this.temporalRecord) await stopProcess(this.temporalRecord, 10_000);
  }

  get temporalPid(): number {
    return this.temporalRecord!.pid;
  }

  get worker(): ProcessRecord {
    return this.workerRecord!;
  }

  /** A worker process on the bench's task queue, waited for until it polls. Each start logs to its own file. */
  async startWorker(): Promise<ProcessRecord> {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TEMPORAL_') && !k.startsWith('AGENTS_PLANE_')) env[k] = v;
    Object.assign(env, {
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_NAMESPACE: NAMESPACE,
      AGENTS_PLANE_TASK_QUEUE: TASK_QUEUE,
      AGENTS_PLANE_GCP_ENDPOINT: this.proxy.url,
      [CODEC_KEYS_ENV]: this.codecKeysText,
      AGENTS_PLANE_POLL_INTERVAL_MS: String(this.options.pollIntervalMs),
      // The worker's rate limiter paces against the emulator's quotas, on its scaled clock.
      AGENTS_PLANE_GCP_QUOTA_WINDOW_MS: String(QUOTA_WINDOW_MS * this.options.latencyScale),
      AGENTS_PLANE_GCP_RATE_QUOTAS: Object.entries(
        this.options.withoutLimiter ? Object.fromEntries(Object.keys(GCP_RATE_QUOTAS).map((g) => [g, 1_000_000_000])) : this.options.quotas,
      )
        .map(([g, n]) => `${g}=${n}`)
        .join(','),
    });
    this.workerLogs++;
    this.workerRecord = await spawnDetached({
      name: 'worker',
      command: process.execPath,
      args: [join(projectRoot(), 'dist', 'src', 'worker.js')],
      env,
      cwd: this.dir,
      logFile: join(this.dir, `worker-${this.workerLogs}.log`),
    });
    await waitForWorkerPolling({
      connectionOptions: { address: this.temporalAddress },
      namespace: NAMESPACE,
      taskQueue: TASK_QUEUE,
      worker: this.workerRecord,
      timeoutMs: 120_000,
    });
    return this.workerRecord;
  }

  /** SIGKILL: no graceful shutdown, in-flight activities are lost mid-call. */
  killWorker(): void {
    if (this.workerRecord && isRunning(this.workerRecord)) process.kill(this.workerRecord.pid, 'SIGKILL');
  }

  /** Stops the worker gracefully and returns its log (the rate limiter's report is its last lines). */
  async stopWorker(): Promise<string> {
    await stopProcess(this.worker, 15_000);
    return readFile(this.worker.logFile, 'utf8');
  }

  /** Every worker log of the run, in order. */
  async workerLogTexts(): Promise<string[]> {
    const texts: string[] = [];
    for (let i = 1; i <= this.workerLogs; i++) texts.push(await readFile(join(this.dir, `worker-${i}.log`), 'utf8').catch(() => ''));
    return texts;
  }

  /** Stops everything it started, newest first; keeps the folder (its logs) when the run failed. */
  async close(failed: boolean): Promise<void> {
    for (const cleanup of this.cleanups.reverse()) await cleanup().catch((error) => process.stderr.write(`cleanup: ${String(error)}\n`));
    this.cleanups.length = 0;
    if (!failed) await rm(this.dir, { recursive: true, force: true });
  }
}
