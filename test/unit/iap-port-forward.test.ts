/**
 * The IAP port forward's handling of gcloud, an external tool: its arguments, and what the user reads
 * when gcloud is missing, exits, or never opens the port. Here only, a tiny fake `gcloud` script on
 * PATH stands for the real one (the code under test is our process handling, not gcloud).
 */
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openIapPortForward, portForwardArgs, PortForwardError } from '../../src/gcp/iap-port-forward.js';

const target = { project: 'acme-agents', zone: 'us-central1-a', instance: 'ap-team-alice1', remotePort: 18789 };
let bin: string;
let savedPath: string | undefined;

/** Puts an executable `gcloud` (a node script) first on PATH. */
async function fakeGcloud(body: string): Promise<void> {
  const file = join(bin, 'gcloud');
  await writeFile(file, `#!${process.execPath}\n${body}\n`);
  await chmod(file, 0o755);
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

beforeEach(async () => {
  bin = await mkdtemp(join(tmpdir(), 'ap-gcloud-'));
  savedPath = process.env.PATH;
  process.env.PATH = `${bin}:${savedPath ?? ''}`;
});

afterEach(() => {
  process.env.PATH = savedPath;
});

describe('the IAP port forward', () => {
  it('asks gcloud for an SSH session through IAP forwarding a local port to the VM loopback, no prompts', () => {
    expect(portForwardArgs(target, 41234)).toEqual([
      'compute',
      'ssh',
      'ap-team-alice1',
      '--project',
      'acme-agents',
      '--zone',
      'us-central1-a',
      '--tunnel-through-iap',
      '--quiet',
      '--',
      '-N',
      '-L',
      '41234:127.0.0.1:18789',
      '-o',
      'ExitOnForwardFailure=yes',
    ]);
  });

  it('says how to get gcloud when it is not on PATH', async () => {
    process.env.PATH = bin;
    const opening = openIapPortForward(target);
    await expect(opening).rejects.toBeInstanceOf(PortForwardError);
    await expect(opening).rejects.toThrow(/^gcloud not found: install the Google Cloud CLI .*gcloud auth login/);
  });

  it("shows gcloud's last stderr line when it exits", async () => {
    await fakeGcloud(
      "process.stderr.write('Updating project ssh metadata...\\nERROR: (gcloud.compute.start-iap-tunnel) Error while connecting [4033: \\'not authorized\\'].\\n'); process.exit(1);",
    );
    await expect(openIapPortForward(target)).rejects.toThrow(
      "gcloud compute ssh --tunnel-through-iap to ap-team-alice1 exited (code 1): ERROR: (gcloud.compute.start-iap-tunnel) Error while connecting [4033: 'not authorized'].",
    );
  });

  it('gives up, and stops gcloud, when the port does not open in time', async () => {
    const pidFile = join(bin, 'pid');
    await fakeGcloud(`require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); process.stderr.write('Waiting for OS Login key propagation\\n'); setInterval(() => {}, 1000);`);
    await expect(openIapPortForward(target, { readyTimeoutMs: 1000 })).rejects.toThrow(
      'the IAP port forward to ap-team-alice1 did not open within 1s (gcloud: Waiting for OS Login key propagation)',
    );
    const pid = Number(await readFile(pidFile, 'utf8'));
    await expect.poll(() => {
      try {
        process.kill(pid, 0);
        return 'running';
      } catch {
        return 'gone';
      }
    }).toBe('gone');
  });

  it('resolves once the forwarded port accepts, and closing it stops gcloud', async () => {
    // The fake binds the -L port like ssh does, and exits on SIGTERM.
    await fakeGcloud(
      "const a = process.argv.slice(2); const port = Number(a[a.indexOf('-L') + 1].split(':')[0]); require('node:net').createServer((s) => s.end()).listen(port, '127.0.0.1');",
    );
    const forward = await openIapPortForward(target, { readyTimeoutMs: 10_000 });
    expect(await accepts(forward.localPort)).toBe(true);
    forward.close();
    await expect.poll(() => accepts(forward.localPort)).toBe(false);
  });
});
