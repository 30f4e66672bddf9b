/**
 * `agents-plane dashboard [--port] [--host] [--token] [--interval] [--web-ui]`: the fleet at a glance in a
 * browser, served by this process until SIGINT/SIGTERM. Read-only: it reads through Temporal queries and
 * compute describe/list calls (src/dashboard). Loopback by default; any other address needs a token.
 */
import type { Command } from 'commander';
import { accessSettings, TOKEN_ENV } from '../dashboard/access.js';
import { DEFAULT_DASHBOARD_PORT, startDashboard } from '../dashboard/index.js';
import { InvalidInputError } from '../domain/invalid-input.js';
import { connectClient, resolveStack } from '../temporal/connection.js';
import { runCommand } from './command.js';

export const WEB_UI_ENV = 'AGENTS_PLANE_TEMPORAL_WEB_UI';

interface DashboardFlags {
  port?: string;
  host?: string;
  token?: string;
  interval?: string;
  webUi?: string;
}

export interface DashboardRunResult {
  readonly url: string;
  readonly stopped: true;
}

export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description('serve a read-only web dashboard of every plane (agents, health, versions, cost, upgrades) until SIGINT/SIGTERM')
    .option('--port <port>', `TCP port (default ${DEFAULT_DASHBOARD_PORT}; 0 = any free port)`)
    .option('--host <address>', 'address to listen on (default 127.0.0.1; anything but loopback needs --token)')
    .option('--token <token>', `token every request must carry (env ${TOKEN_ENV}; prefer the env: flags show in ps)`)
    .option('--interval <seconds>', 'shortest time between two reads of the fleet (default 3; stretched for large fleets)')
    .option('--web-ui <url>', `Temporal Web UI for workflow links (env ${WEB_UI_ENV}; default the dev stack's)`)
    .action(
      runCommand<DashboardFlags, DashboardRunResult>(async (flags, out) => {
        const port = parsePort(flags.port);
        const access = accessSettings(flags.host ?? '127.0.0.1', flags.token ?? process.env[TOKEN_ENV]);
        const intervalMs = parseInterval(flags.interval);
        const explicitWebUi = flags.webUi ?? process.env[WEB_UI_ENV];
        const webUiUrl = explicitWebUi === undefined ? undefined : parseWebUi(explicitWebUi);
        const stack = await resolveStack();
        const temporal = await connectClient();
        try {
          const dashboard = await startDashboard({
            access,
            port,
            temporal,
            namespace: stack.temporal.namespace,
            gcpEndpoint: stack.gcpEndpoint,
            webUiUrl: webUiUrl ?? stack.temporal.webUiUrl ?? null,
            ...(intervalMs !== undefined ? { intervalMs } : {}),
          }).catch((error: unknown) => {
            if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
              throw new InvalidInputError('--port', `${port} is already in use on ${access.host}; choose another, or 0 for any free port`);
            }
            throw error;
          });
          // On stderr even under --json: the log line of a long-running process, not its result.
          process.stderr.write(`dashboard on ${dashboard.url}${access.token ? ' (open it once as <url>?token=<your token>)' : ''}\n`);
          await untilSignalled();
          out.info('stopping the dashboard');
          await dashboard.close();
          return { data: { url: dashboard.url, stopped: true as const }, human: () => 'dashboard stopped' };
        } finally {
          await temporal.connection.close();
        }
      }),
    );
}

function untilSignalled(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function parsePort(text: string | undefined): number {
  if (text === undefined) return DEFAULT_DASHBOARD_PORT;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65535) throw new InvalidInputError('--port', `must be a TCP port 0-65535 (0 = any free port), got "${text}"`);
  return value;
}

function parseInterval(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || seconds < 1 || seconds > 3600) throw new InvalidInputError('--interval', `must be a number of seconds from 1 to 3600, got "${text}"`);
  return Math.round(seconds * 1000);
}

function parseWebUi(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidInputError('--web-ui', `must be an http(s) URL, got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidInputError('--web-ui', `must be an http(s) URL, got "${text}"`);
  return url.toString().replace(/\/+$/, '');
}
