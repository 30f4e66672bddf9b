/**
 * A local port forwarded to a port on a VM's loopback, through IAP: the owner's IAP grant admits port
 * 22 only, so the forward rides an SSH session (`gcloud compute ssh --tunnel-through-iap -- -N -L`),
 * whose login is the user's gcloud account through OS Login. gcloud is an external tool run as a child
 * process: we wait (bounded) until the local port accepts, say plainly when gcloud is missing or exits
 * (with its last stderr line), and kill it when done or on Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

export interface PortForwardTarget {
  readonly project: string;
  readonly zone: string;
  readonly instance: string;
  /** The port on the VM's loopback (127.0.0.1) to reach. */
  readonly remotePort: number;
}

export interface PortForwardOptions {
  /** The gcloud executable (default `gcloud`, found on PATH). */
  readonly gcloud?: string;
  /** How long to wait for the forward to accept (SSH key propagation through OS Login can take a while). */
  readonly readyTimeoutMs?: number;
}

export interface PortForward {
  readonly localPort: number;
  close(): void;
}

export class PortForwardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortForwardError';
  }
}

const DEFAULT_READY_MS = 60_000;
const PROBE_EVERY_MS = 250;

/** gcloud's arguments: `--quiet` so no prompt (key generation, zone) blocks a child nobody types into. */
export function portForwardArgs(t: PortForwardTarget, localPort: number): string[] {
  return [
    'compute',
    'ssh',
    t.instance,
    '--project',
    t.project,
    '--zone',
    t.zone,
    '--tunnel-through-iap',
    '--quiet',
    '--',
    '-N',
    '-L',
    `${localPort}:127.0.0.1:${t.remotePort}`,
    '-o',
    'ExitOnForwardFailure=yes',
  ];
}

/** A port nobody listens on now (the OS picks it; ssh binds it moments later). */
export function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function lastLine(text: string): string {
  return text.trim().split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? '';
}

/** Starts the forward; resolves once 127.0.0.1:<localPort> accepts, rejects with a PortForwardError. */
export async function openIapPortForward(t: PortForwardTarget, o: PortForwardOptions = {}): Promise<PortForward> {
  const gcloud = o.gcloud ?? 'gcloud';
  const readyMs = o.readyTimeoutMs ?? DEFAULT_READY_MS;
  const localPort = await freeLocalPort();
  const child: ChildProcess = spawn(gcloud, portForwardArgs(t, localPort), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4096);
  });
  const onSigint = () => {
    child.kill('SIGTERM');
    process.exit(130);
  };
  const close = () => {
    process.off('SIGINT', onSigint);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.on('SIGINT', onSigint);

  const exited = new Promise<PortForwardError>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve(
        new PortForwardError(
          error.code === 'ENOENT'
            ? `${gcloud} not found: install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install) and run \`gcloud auth login\`; planes connect reaches the agent through \`gcloud compute ssh --tunnel-through-iap\``
            : `could not start ${gcloud}: ${error.message}`,
        ),
      ),
    );
    child.once('exit', (code, signal) => {
      const why = lastLine(stderr);
      resolve(new PortForwardError(`gcloud compute ssh --tunnel-through-iap to ${t.instance} exited (${signal ?? `code ${String(code)}`})${why ? `: ${why}` : ''}`));
    });
  });

  const deadline = Date.now() + readyMs;
  let failure: PortForwardError | undefined;
  void exited.then((e) => {
    failure = e;
  });
  for (;;) {
    if (failure) break;
    if (await accepts(localPort)) {
      if (failure) break;
      return { localPort, close };
    }
    if (Date.now() >= deadline) {
      close();
      const why = lastLine(stderr);
      throw new PortForwardError(`the IAP port forward to ${t.instance} did not open within ${Math.round(readyMs / 1000)}s${why ? ` (gcloud: ${why})` : ''}`);
    }
    await Promise.race([new Promise((r) => setTimeout(r, PROBE_EVERY_MS)), exited]);
  }
  close();
  throw failure ?? new PortForwardError(`gcloud compute ssh to ${t.instance} ended`);
}
