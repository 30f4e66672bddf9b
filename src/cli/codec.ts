/**
 * `agents-plane codec-server`: the codec endpoint for a Temporal Web UI, run by whoever holds the key.
 * The embedded stack starts one; against Temporal Cloud or a self-hosted UI an operator runs it on
 * their own machine and sets the UI's codec endpoint to it.
 */
import type { Command } from 'commander';
import { startCodecServer } from '../temporal/codec-server.js';
import { codecKeysFor, resolveStack } from '../temporal/connection.js';
import { runCommand } from './command.js';
import { InvalidInputError } from '../domain/invalid-input.js';

interface CodecFlags {
  port: string;
  host: string;
  allowedOrigin?: string[];
}

export const CODEC_ALLOWED_ORIGINS_ENV = 'AGENTS_PLANE_CODEC_ALLOWED_ORIGINS';

export function registerCodecCommands(program: Command): void {
  program
    .command('codec-server')
    .description('serve /decode and /encode for the Temporal Web UI with the codec keys (until SIGTERM/SIGINT)')
    .option('--port <port>', 'port to listen on', '8234')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option(
      '--allowed-origin <url...>',
      `Web UI origins allowed to call it from a browser (env ${CODEC_ALLOWED_ORIGINS_ENV}, comma-separated; default http://127.0.0.1:8233 and http://localhost:8233)`,
    )
    .action(
      runCommand<CodecFlags, { url: string; stopped: true }>(async (flags, out) => {
        const port = Number(flags.port);
        if (!/^\d+$/.test(flags.port) || port > 65535) throw new InvalidInputError('--port', `must be a TCP port 0-65535, got "${flags.port}"`);
        const stack = await resolveStack();
        // Keys go with the Temporal being looked at: the embedded stack's own, or the environment's.
        const keys = codecKeysFor(stack.temporal);
        const fromEnv = process.env[CODEC_ALLOWED_ORIGINS_ENV]?.split(',').map((o) => o.trim()).filter(Boolean);
        const allowedOrigins = flags.allowedOrigin ?? fromEnv ?? ['http://127.0.0.1:8233', 'http://localhost:8233'];
        const server = await startCodecServer({ keys, port, host: flags.host, allowedOrigins });
        process.stderr.write(`codec endpoint listening on ${server.url} (key ${keys.active.id}; origins ${allowedOrigins.join(', ')})\n`);
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGTERM', stop);
          process.once('SIGINT', stop);
        });
        await server.close();
        out.info('codec endpoint stopped');
        return { data: { url: server.url, stopped: true as const }, human: () => 'codec endpoint stopped' };
      }),
    );
}
