/**
 * The `dashboard` command as a process: it resolves Temporal the way every command does, serves until
 * SIGTERM, then stops cleanly with exit 0. Run from the build (dist/) in a child process through the
 * command's own registration, with the run's real Temporal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/runtime/project-root.js';
import { projectEnv, testDir, uniqueName } from '../setup/harness.js';
import { rawRequest } from './support/http.js';

/** The command registered on a bare program, as program.ts registers it for the binary. */
const SCRIPT = `
import { Command } from 'commander';
import { registerDashboardCommand } from ${JSON.stringify(join(projectRoot(), 'dist', 'src', 'cli', 'dashboard.js'))};
const program = new Command('agents-plane').exitOverride();
registerDashboardCommand(program);
await program.parseAsync(process.argv);
`;

let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

describe('agents-plane dashboard (process)', () => {
  it('serves the fleet until SIGTERM, then exits 0', async () => {
    child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT, 'agents-plane', 'dashboard', '--port', '0'], {
      cwd: projectRoot(),
      env: projectEnv({ AGENTS_PLANE_TASK_QUEUE: uniqueName('dashboard-cmd') }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child!.on('close', (code) => resolve(code)));

    await expect.poll(() => /dashboard on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr)?.[1], { timeout: 30_000 }).toBeTruthy();
    const url = /dashboard on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr)![1]!;
    expect((await rawRequest(url, '/healthz')).status).toBe(200);
    const fleet = JSON.parse((await rawRequest(url, '/api/fleet')).body) as { planes: unknown[]; error: string | null; temporal: { namespace: string } };
    // A deployment of its own (unique task queue): no planes, and no error reading them.
    expect(fleet).toMatchObject({ planes: [], error: null, temporal: { namespace: 'default' } });
    expect((await rawRequest(url, '/')).body).toContain('<ap-dashboard>');

    child.kill('SIGTERM');
    expect(await exited, stderr).toBe(0);
    expect(stdout.trim()).toBe('dashboard stopped');
  });

  it('says what to do when there is no Temporal to read', async () => {
    child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT, 'agents-plane', 'dashboard', '--port', '0'], {
      cwd: projectRoot(),
      env: projectEnv({ TEMPORAL_ADDRESS: undefined, TEMPORAL_NAMESPACE: undefined, AGENTS_PLANE_HOME: await testDir('no-stack') }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child!.on('close', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(stderr.trim()).toMatch(/^error: Temporal is not reachable at 127\.0\.0\.1:7233 .*run `agents-plane dev up` or set TEMPORAL_ADDRESS$/);
  });
});
