/** `agents-plane dev up|down|status`: the embedded stack (Temporal dev server, codec endpoint, emulator, worker). */
import type { Command } from 'commander';
import { InvalidInputError } from '../domain/invalid-input.js';
import { devDown, devStatus, devUp, type StackSummary } from '../runtime/dev-stack.js';
import { OperationFailedError, runCommand, table } from './command.js';

interface DevUpFlags {
  temporalPort?: string;
  uiPort?: string;
  codecPort?: string;
  emulatorPort?: string;
}

export function registerDevCommands(program: Command): void {
  const dev = program
    .command('dev')
    .description('run the embedded stack locally: Temporal dev server + Web UI, codec endpoint, GCP emulator, worker');

  dev
    .command('up')
    .description('start the embedded stack in the background (a no-op reporting it when it already runs)')
    .option('--temporal-port <port>', 'Temporal frontend port (default 7233, or a free one when taken)')
    .option('--ui-port <port>', 'Web UI port (default 8233, or a free one when taken)')
    .option('--codec-port <port>', 'codec endpoint port (default 8234, or a free one when taken)')
    .option('--emulator-port <port>', 'GCP emulator port (default 8235, or a free one when taken)')
    .action(
      runCommand<DevUpFlags, Awaited<ReturnType<typeof devUp>>>(async (flags, out) => {
        const result = await devUp({
          temporalPort: port('--temporal-port', flags.temporalPort),
          uiPort: port('--ui-port', flags.uiPort),
          codecPort: port('--codec-port', flags.codecPort),
          emulatorPort: port('--emulator-port', flags.emulatorPort),
          log: (line) => out.progress(line),
        }).catch((error: unknown) => {
          if (error instanceof InvalidInputError || error instanceof OperationFailedError) throw error;
          throw new OperationFailedError(`dev up failed: ${error instanceof Error ? error.message : String(error)}`, 'DEV_UP_FAILED');
        });
        out.info(result.alreadyRunning ? 'the stack is already running' : `the stack is up (${(result.startupMs / 1000).toFixed(1)} s)`);
        out.info('stop it with: npx agents-plane dev down');
        return { data: result, human: describeStack };
      }),
    );

  dev
    .command('down')
    .description('stop every process `dev up` started (SIGTERM, then SIGKILL) and check that none is left')
    .action(
      runCommand<object, Awaited<ReturnType<typeof devDown>>>(async (_flags, out) => {
        const result = await devDown({ log: (line) => out.progress(line) }).catch((error: unknown) => {
          throw new OperationFailedError(`dev down failed: ${error instanceof Error ? error.message : String(error)}`, 'DEV_DOWN_FAILED');
        });
        return {
          data: result,
          human: (r) => (r.wasRunning ? `stopped: ${r.stopped.map((s) => `${s.name} (${s.outcome})`).join(', ')}` : `no stack was running (${r.stateDir})`),
        };
      }),
    );

  dev
    .command('status')
    .description('report each component of the embedded stack')
    .action(runCommand<object, StackSummary>(async () => ({ data: devStatus(), human: describeStack })));
}

function port(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65535) throw new InvalidInputError(flag, `must be a TCP port 0-65535 (0 = any free port), got "${text}"`);
  return value;
}

function describeStack(stack: StackSummary): string {
  if (stack.components.length === 0) return `not running (state folder ${stack.stateDir}); start it with: npx agents-plane dev up`;
  const lines = [
    `stack        ${stack.running ? 'running' : 'NOT fully running'}`,
    `temporal     ${stack.temporalAddress} (namespace ${stack.namespace}, ${stack.temporalSource})`,
    `web ui       ${stack.webUiUrl ?? '(external Temporal: its own UI)'}`,
    `codec        ${stack.codecEndpoint}`,
    `emulator     ${stack.emulatorUrl ?? '-'}`,
    `dashboard    ${stack.dashboardUrl ? `${stack.dashboardUrl}/` : '-'}`,
    `task queue   ${stack.taskQueue}`,
    `state        ${stack.stateDir}`,
    '',
    table(
      ['COMPONENT', 'PID', 'STATE', 'LOG'],
      stack.components.map((c) => [c.name, String(c.pid), c.running ? 'running' : 'stopped', c.logFile]),
    ),
  ];
  return lines.join('\n');
}
