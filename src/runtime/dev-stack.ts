/**
 * The embedded stack behind `agents-plane dev up|down|status` and `npm run demo`: the Temporal dev
 * server (unless TEMPORAL_ADDRESS names another Temporal), the codec endpoint for its Web UI, the GCP
 * emulator, and a worker — each a detached process with a pid record and a log in the state folder,
 * each waited for until it really serves.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { codecKeysFromFile, CODEC_KEYS_ENV, CODEC_KEYS_FILE_ENV, generateCodecKeysText } from '../temporal/codec-keys.js';
import { clientConnectionOptions, codecKeysFor, resolveStack, temporalConfiguredByEnv } from '../temporal/connection.js';
import { taskQueueFromEnv } from '../temporal/task-queue.js';
import { devStateDir, readStackFile, removeStackFile, writeStackFile, type ComponentName, type StackFile } from './dev-state.js';
import { withDirLock } from './dir-lock.js';
import { choosePort } from './ports.js';
import { isRunning, spawnDetached, stopProcess, type ProcessRecord } from './processes.js';
import { projectRoot } from './project-root.js';
import { ensurePypiTool } from './pypi-tools.js';
import { startDevServer, waitForHttp } from './temporal-dev-server.js';
import { waitForWorkerPolling } from './worker-readiness.js';

/** Start order; `dev down` stops in reverse, so nothing loses its server while still running. */
export const COMPONENT_ORDER: readonly ComponentName[] = ['temporal', 'codec', 'emulator', 'worker', 'dashboard'];

const DEFAULT_PORTS = { temporal: 7233, ui: 8233, codec: 8234, emulator: 8235, dashboard: 8236 } as const;

/**
 * The embedded emulator runs GCP's latencies at a tenth (an agent is Ready in about 20 s instead of
 * 3 min), so the demo shows real progress without the wait. AGENTS_PLANE_EMULATOR_LATENCY_SCALE=1 gives
 * real timings.
 */
const EMBEDDED_LATENCY_SCALE = 0.1;
/** The embedded worker polls guest attributes and IAM more often than against real GCP. */
const EMBEDDED_POLL_INTERVAL_MS = 1000;
const LOCAL_IP = '127.0.0.1';
const NAMESPACE = 'default';

export interface DevUpOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly temporalPort?: number;
  readonly uiPort?: number;
  readonly codecPort?: number;
  readonly emulatorPort?: number;
  readonly dashboardPort?: number;
  /** Per component readiness wait. */
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface ComponentStatus {
  readonly name: ComponentName;
  readonly pid: number;
  readonly running: boolean;
  readonly logFile: string;
}

export interface StackSummary {
  readonly running: boolean;
  readonly stateDir: string;
  readonly temporalAddress?: string;
  readonly namespace?: string;
  /** null when Temporal is external (TEMPORAL_ADDRESS) and its Web UI is not ours to know. */
  readonly webUiUrl?: string | null;
  readonly codecEndpoint?: string;
  readonly emulatorUrl?: string;
  readonly dashboardUrl?: string;
  readonly taskQueue?: string;
  readonly temporalSource?: 'embedded' | 'environment';
  readonly components: readonly ComponentStatus[];
}

export interface DevUpResult extends StackSummary {
  readonly alreadyRunning: boolean;
  readonly startupMs: number;
}

export async function devUp(options: DevUpOptions = {}): Promise<DevUpResult> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const stateDir = devStateDir(env);
  await mkdir(join(stateDir, 'logs'), { recursive: true });
  const started = Date.now();
  return withDirLock(join(stateDir, 'up.lock'), { staleMs: 10 * 60_000, onWait: () => log('another `dev up`/`dev down` is running; waiting') }, async () => {
    const existing = readStackFile(stateDir);
    if (existing) {
      const summary = summarize(existing);
      if (existing.phase === 'running' && summary.running) return { ...summary, alreadyRunning: true, startupMs: 0 };
      log('a previous stack is only partly running; stopping what is left of it first');
      await stopComponents(existing, log);
    }
    const stack = await startStack(stateDir, env, options, log);
    return { ...summarize(stack), alreadyRunning: false, startupMs: Date.now() - started };
  });
}

async function startStack(stateDir: string, env: NodeJS.ProcessEnv, options: DevUpOptions, log: (line: string) => void): Promise<StackFile> {
  const timeoutMs = options.timeoutMs ?? 90_000;
  const external = temporalConfiguredByEnv(env);
  const codecKeysFile = join(stateDir, 'codec-keys');
  if (external) {
    // Against someone else's Temporal the keys are theirs too; fail now rather than in the worker.
    codecKeysFor((await resolveStack(env)).temporal, env);
  } else {
    await ensureDevCodecKey(codecKeysFile, log);
  }

  const taken = new Set<number>();
  const pick = async (what: string, explicit: number | undefined, preferred: number) => {
    const port = await choosePort(what, explicit, preferred, taken);
    taken.add(port);
    return port;
  };
  const temporalPort = external ? undefined : await pick('Temporal', options.temporalPort, DEFAULT_PORTS.temporal);
  const uiPort = external ? undefined : await pick('Web UI', options.uiPort, DEFAULT_PORTS.ui);
  const codecPort = await pick('codec endpoint', options.codecPort, DEFAULT_PORTS.codec);
  const emulatorPort = await pick('GCP emulator', options.emulatorPort, DEFAULT_PORTS.emulator);
  const dashboardPort = await pick('dashboard', options.dashboardPort, DEFAULT_PORTS.dashboard);

  const components: Partial<Record<ComponentName, ProcessRecord>> = {};
  const resolvedExternal = external ? (await resolveStack(env)).temporal : undefined;
  const webUiUrl = uiPort !== undefined ? `http://${LOCAL_IP}:${uiPort}` : undefined;
  const codecEndpoint = `http://${LOCAL_IP}:${codecPort}`;
  let stack: StackFile = {
    version: 1,
    phase: 'starting',
    stateDir,
    temporalAddress: resolvedExternal?.address ?? `${LOCAL_IP}:${temporalPort}`,
    namespace: resolvedExternal?.namespace ?? NAMESPACE,
    webUiUrl: webUiUrl ?? '',
    codecEndpoint,
    codecKeysFile: external ? '' : codecKeysFile,
    emulatorUrl: `http://${LOCAL_IP}:${emulatorPort}`,
    dashboardUrl: `http://${LOCAL_IP}:${dashboardPort}`,
    taskQueue: taskQueueFromEnv(env),
    components,
    startedAt: new Date().toISOString(),
  };
  // Recorded after every spawn, so `dev down` finds each process even if this one dies half-way.
  const record = async (name: ComponentName, process: ProcessRecord) => {
    components[name] = process;
    stack = { ...stack, components: { ...components } };
    await writeStackFile(stack);
  };
  const node = process.execPath;
  const cli = join(projectRoot(), 'bin', 'agents-plane.js');
  const logFile = (name: ComponentName) => join(stateDir, 'logs', `${name}.log`);
  const childEnv = componentEnv(env, external, codecKeysFile);

  try {
    if (!external) {
      const temporalBin = await ensurePypiTool('temporal', log);
      log(`starting the Temporal dev server on ${stack.temporalAddress} (state: ${join(stateDir, 'temporal.sqlite')})`);
      const server = await startDevServer(
        {
          temporalBin,
          dbFile: join(stateDir, 'temporal.sqlite'),
          ip: LOCAL_IP,
          port: temporalPort!,
          uiPort: uiPort!,
          namespace: NAMESPACE,
          codecEndpoint,
          logFile: logFile('temporal'),
          cwd: stateDir,
        },
        { timeoutMs, onSpawn: (p) => record('temporal', p) },
      );
      await record('temporal', server.record);
    }

    log(`starting the codec endpoint on ${codecEndpoint}`);
    const origins = uiPort !== undefined ? [`http://${LOCAL_IP}:${uiPort}`, `http://localhost:${uiPort}`] : [];
    const codec = await spawnDetached({
      name: 'codec',
      command: node,
      args: [cli, 'codec-server', '--port', String(codecPort), ...origins.flatMap((o) => ['--allowed-origin', o])],
      env: childEnv,
      cwd: stateDir,
      logFile: logFile('codec'),
    });
    await record('codec', codec);
    await waitForHttp(`${codecEndpoint}/healthz`, { timeoutMs, process: codec, what: 'codec endpoint' });

    {
      const latencyScale = env.AGENTS_PLANE_EMULATOR_LATENCY_SCALE?.trim() || String(EMBEDDED_LATENCY_SCALE);
      log(`starting the GCP emulator on ${stack.emulatorUrl} (latency scale ${latencyScale})`);
      const emulator = await spawnDetached({
        name: 'emulator',
        command: node,
        args: [cli, 'emulator', 'start', '--port', String(emulatorPort), '--state-file', join(stateDir, 'emulator-state.json'), '--latency-scale', latencyScale],
        env: childEnv,
        cwd: stateDir,
        logFile: logFile('emulator'),
      });
      await record('emulator', emulator);
      await waitForHttp(`${stack.emulatorUrl}/__emulator/inventory`, { timeoutMs, process: emulator, what: 'GCP emulator' });
    }

    log(`starting a worker on task queue "${stack.taskQueue}"`);
    const workerEnv = { AGENTS_PLANE_POLL_INTERVAL_MS: String(EMBEDDED_POLL_INTERVAL_MS), ...childEnv };
    const worker = await spawnDetached({ name: 'worker', command: node, args: [cli, 'worker'], env: workerEnv, cwd: stateDir, logFile: logFile('worker') });
    await record('worker', worker);
    const target = external ? (await resolveStack(env)).temporal : undefined;
    await waitForWorkerPolling({
      connectionOptions: target ? clientConnectionOptions(target, 10_000) : { address: stack.temporalAddress },
      namespace: stack.namespace,
      taskQueue: stack.taskQueue,
      worker,
      timeoutMs,
    });

    log(`starting the dashboard on ${stack.dashboardUrl}`);
    const dashboard = await spawnDetached({
      name: 'dashboard',
      command: node,
      args: [cli, 'dashboard', '--port', String(dashboardPort)],
      env: childEnv,
      cwd: stateDir,
      logFile: logFile('dashboard'),
    });
    await record('dashboard', dashboard);
    await waitForHttp(`${stack.dashboardUrl}/healthz`, { timeoutMs, process: dashboard, what: 'dashboard' });

    stack = { ...stack, phase: 'running' };
    await writeStackFile(stack);
    return stack;
  } catch (error) {
    log('start-up failed; stopping what was started');
    await stopComponents(stack, log).catch(() => {});
    throw error;
  }
}

/**
 * The children's environment. Against the embedded Temporal they must find it through the stack file,
 * so any TEMPORAL_* of the caller's shell (say, a TEMPORAL_API_KEY for Cloud) is left out; the codec
 * key is the stack's own.
 */
function componentEnv(env: NodeJS.ProcessEnv, external: boolean, codecKeysFile: string): NodeJS.ProcessEnv {
  if (external) return { ...env };
  const child: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('TEMPORAL_') || name === CODEC_KEYS_ENV || name === CODEC_KEYS_FILE_ENV) continue;
    child[name] = value;
  }
  child[CODEC_KEYS_FILE_ENV] = codecKeysFile;
  return child;
}

/** The dev key is made once and kept, so histories in the SQLite file stay readable across restarts. */
async function ensureDevCodecKey(path: string, log: (line: string) => void): Promise<void> {
  try {
    codecKeysFromFile(path, path);
    return;
  } catch (error) {
    if ((error as { field?: string }).field !== path || !(await fileMissing(path))) throw error;
  }
  log(`generating a development codec key in ${path}`);
  await writeFile(path, `${generateCodecKeysText('dev')}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
}

async function fileMissing(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

export interface DevDownResult {
  readonly stateDir: string;
  readonly wasRunning: boolean;
  readonly stopped: readonly { name: ComponentName; pid: number; outcome: string }[];
}

export async function devDown(options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {}): Promise<DevDownResult> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const stateDir = devStateDir(env);
  await mkdir(stateDir, { recursive: true });
  return withDirLock(join(stateDir, 'up.lock'), { staleMs: 10 * 60_000, onWait: () => log('another `dev up`/`dev down` is running; waiting') }, async () => {
    const stack = readStackFile(stateDir);
    if (!stack) return { stateDir, wasRunning: false, stopped: [] };
    const stopped = await stopComponents(stack, log);
    return { stateDir, wasRunning: true, stopped };
  });
}

async function stopComponents(stack: StackFile, log: (line: string) => void): Promise<DevDownResult['stopped']> {
  const stopped: { name: ComponentName; pid: number; outcome: string }[] = [];
  for (const name of [...COMPONENT_ORDER].reverse()) {
    const process = stack.components[name];
    if (!process) continue;
    // The worker gets its own grace time to finish activities; the rest stop at once on SIGTERM.
    const outcome = await stopProcess(process, name === 'worker' ? 15_000 : 10_000);
    if (outcome !== 'not-running') log(`${name} (pid ${process.pid}) ${outcome}`);
    stopped.push({ name, pid: process.pid, outcome });
  }
  const left = COMPONENT_ORDER.flatMap((name) => {
    const process = stack.components[name];
    return process && isRunning(process) ? [`${name} (pid ${process.pid})`] : [];
  });
  if (left.length > 0) throw new Error(`still running after dev down: ${left.join(', ')}`);
  await removeStackFile(stack.stateDir);
  return stopped;
}

export function devStatus(options: { env?: NodeJS.ProcessEnv } = {}): StackSummary {
  const stateDir = devStateDir(options.env ?? process.env);
  const stack = readStackFile(stateDir);
  return stack ? summarize(stack) : { running: false, stateDir, components: [] };
}

function summarize(stack: StackFile): StackSummary {
  const components = COMPONENT_ORDER.flatMap((name) => {
    const process = stack.components[name];
    return process ? [{ name, pid: process.pid, running: isRunning(process), logFile: process.logFile }] : [];
  });
  return {
    running: stack.phase === 'running' && components.length > 0 && components.every((c) => c.running),
    stateDir: stack.stateDir,
    temporalAddress: stack.temporalAddress,
    namespace: stack.namespace,
    webUiUrl: stack.webUiUrl || null,
    codecEndpoint: stack.codecEndpoint,
    ...(stack.emulatorUrl ? { emulatorUrl: stack.emulatorUrl } : {}),
    ...(stack.dashboardUrl ? { dashboardUrl: stack.dashboardUrl } : {}),
    taskQueue: stack.taskQueue,
    temporalSource: stack.components.temporal ? 'embedded' : 'environment',
    components,
  };
}
