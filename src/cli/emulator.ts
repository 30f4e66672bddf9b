/**
 * `agents-plane emulator start`: the local GCP emulator (src/emulator) as a long-running process. It
 * prints `{ url, port }` (with --json) once listening, then serves until SIGTERM/SIGINT, when it writes
 * its state file (if any) and exits. Every flag also has an environment variable, so a stack runner can
 * configure it without building command lines.
 */
import type { Command } from 'commander';
import { InvalidInputError } from '../domain/invalid-input.js';
import { runCommand } from './command.js';

interface EmulatorFlags {
  port?: string;
  host?: string;
  stateFile?: string;
  latencyScale?: string;
  seed?: string;
  faults?: string;
  computeQuotas?: string;
  rateQuotas?: string;
  serviceAccountQuota?: string;
  failingVersions?: string;
}

const ENV = {
  port: 'AGENTS_PLANE_EMULATOR_PORT',
  stateFile: 'AGENTS_PLANE_EMULATOR_STATE_FILE',
  latencyScale: 'AGENTS_PLANE_EMULATOR_LATENCY_SCALE',
  seed: 'AGENTS_PLANE_EMULATOR_SEED',
  faults: 'AGENTS_PLANE_EMULATOR_FAULTS',
  computeQuotas: 'AGENTS_PLANE_EMULATOR_COMPUTE_QUOTAS',
  rateQuotas: 'AGENTS_PLANE_EMULATOR_RATE_QUOTAS',
  serviceAccountQuota: 'AGENTS_PLANE_EMULATOR_SERVICE_ACCOUNT_QUOTA',
  failingVersions: 'AGENTS_PLANE_EMULATOR_FAILING_VERSIONS',
} as const;

export const DEFAULT_EMULATOR_PORT = 8235;

function pick(flag: string | undefined, env: string): string | undefined {
  const fromEnv = process.env[env]?.trim();
  return flag ?? (fromEnv ? fromEnv : undefined);
}

function wholeNumber(field: string, text: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(text) || Number(text) > max) throw new InvalidInputError(field, `must be a whole number 0-${max}, got "${text}"`);
  return Number(text);
}

function json(field: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidInputError(field, 'must be valid JSON');
  }
}

function numberMap(field: string, text: string): Record<string, number> {
  const value = json(field, text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidInputError(field, 'must be a JSON object of names to whole numbers');
  for (const [k, v] of Object.entries(value)) {
    if (!Number.isInteger(v) || (v as number) < 0) throw new InvalidInputError(field, `${k} must be a whole number >= 0`);
  }
  return value as Record<string, number>;
}

export function registerEmulatorCommands(program: Command): void {
  const emulator = program.command('emulator').description('the local GCP emulator the official Google clients talk to');
  emulator
    .command('start')
    .description('serve the GCP emulator on 127.0.0.1 until SIGTERM/SIGINT')
    .option('--port <port>', `TCP port, 0 picks a free one (env ${ENV.port}, default ${DEFAULT_EMULATOR_PORT})`)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--state-file <path>', `keep resources across restarts in this JSON file (env ${ENV.stateFile})`)
    .option('--latency-scale <factor>', `multiply GCP's modelled latencies, 0 = instant (env ${ENV.latencyScale}, default 1)`)
    .option('--seed <n>', `seed latency jitter and fault rates (env ${ENV.seed})`)
    .option('--faults <json>', `fault rules, [{"method":"compute.*","kind":"unavailable","rate":0.1}] (env ${ENV.faults})`)
    .option('--compute-quotas <json>', `regional capacity quotas, e.g. {"CPUS":2000,"INSTANCES":1000,"SSD_TOTAL_GB":20000} (env ${ENV.computeQuotas})`)
    .option('--rate-quotas <json>', `per-project limits per 60 s by group, e.g. {"iam.writes":600} (env ${ENV.rateQuotas})`)
    .option('--service-account-quota <n>', `service accounts per project, default 100 (env ${ENV.serviceAccountQuota})`)
    .option('--failing-versions <list>', `comma-separated OpenClaw versions whose health check fails (env ${ENV.failingVersions})`)
    .action(
      runCommand<EmulatorFlags, { url: string; port: number }>(async (flags) => {
        const portText = pick(flags.port, ENV.port) ?? String(DEFAULT_EMULATOR_PORT);
        const port = wholeNumber('--port', portText, 65535);
        const scaleText = pick(flags.latencyScale, ENV.latencyScale);
        const latencyScale = scaleText === undefined ? 1 : Number(scaleText);
        if (scaleText !== undefined && !(scaleText.trim() !== '' && Number.isFinite(latencyScale) && latencyScale >= 0)) {
          throw new InvalidInputError('--latency-scale', `must be a number >= 0, got "${scaleText}"`);
        }
        const seedText = pick(flags.seed, ENV.seed);
        const faultsText = pick(flags.faults, ENV.faults);
        const computeText = pick(flags.computeQuotas, ENV.computeQuotas);
        const rateText = pick(flags.rateQuotas, ENV.rateQuotas);
        const saText = pick(flags.serviceAccountQuota, ENV.serviceAccountQuota);
        const failingText = pick(flags.failingVersions, ENV.failingVersions);
        const stateFile = pick(flags.stateFile, ENV.stateFile);
        // Loaded on use: the emulator pulls in the Google clients' schemas, which other commands should not pay for.
        const { parseFaultRules, startEmulator } = await import('../emulator/index.js');
        let faults;
        if (faultsText !== undefined) {
          try {
            faults = parseFaultRules(json('--faults', faultsText));
          } catch (error) {
            if (error instanceof InvalidInputError) throw error;
            throw new InvalidInputError('--faults', (error as Error).message.replace(/^faults: /, ''));
          }
        }
        const handle = await startEmulator({
          port,
          host: flags.host ?? '127.0.0.1',
          latencyScale,
          ...(stateFile ? { stateFile } : {}),
          ...(seedText !== undefined ? { seed: wholeNumber('--seed', seedText) } : {}),
          ...(faults ? { faults } : {}),
          ...(computeText !== undefined ? { computeQuotas: numberMap('--compute-quotas', computeText) } : {}),
          ...(rateText !== undefined ? { rateQuotas: numberMap('--rate-quotas', rateText) } : {}),
          ...(saText !== undefined ? { serviceAccountQuota: wholeNumber('--service-account-quota', saText) } : {}),
          ...(failingText ? { guest: { failingVersions: failingText.split(',').map((v) => v.trim()).filter(Boolean) } } : {}),
        });
        const stop = () => {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          // Closing writes the state file; then nothing keeps the process alive.
          void handle.close().then(() => process.stderr.write('emulator stopped\n'));
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
        // The server keeps the process running after this returns and the result is printed.
        return { data: { url: handle.url, port: handle.port }, human: (d) => `GCP emulator listening on ${d.url} (Ctrl-C to stop)` };
      }),
    );
}
