/** The CLI's contract: --help everywhere, exit 2 with one line for bad input, clear connection errors. */
import { describe, expect, it } from 'vitest';
import { connectClient } from '../../src/temporal/connection.js';
import { parseJson, runCli } from '../setup/cli.js';
import { projectEnv, testDir } from '../setup/harness.js';

describe('CLI conventions', () => {
  it('--help exits 0 on every level', async () => {
    for (const args of [['--help'], ['dev', '--help'], ['dev', 'up', '--help'], ['worker', '--help'], ['codec-server', '--help']]) {
      const run = await runCli(args, projectEnv());
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stdout).toContain('Usage: agents-plane');
    }
  });

  it('bad input exits 2 with one line naming the field and the rule', async () => {
    const run = await runCli(['dev', 'up', '--temporal-port', '70000'], projectEnv());
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('error: invalid --temporal-port: must be a TCP port 0-65535 (0 = any free port), got "70000"');

    const json = await runCli(['worker', '--max-cached-workflows', 'many', '--json'], projectEnv());
    expect(json.code).toBe(2);
    expect(parseJson<{ error: { code: string; field: string } }>(json).error).toMatchObject({ code: 'INVALID_INPUT', field: '--max-cached-workflows' });

    const unknown = await runCli(['dev', 'up', '--no-such-flag', '--json'], projectEnv());
    expect(unknown.code).toBe(2);
    expect(parseJson<{ error: { code: string } }>(unknown).error.code).toBe('INVALID_INPUT');
  });

  it('a client with nothing to reach says what to do, and a bad codec key is bad input', async () => {
    const nothing = projectEnv({ TEMPORAL_ADDRESS: undefined, TEMPORAL_NAMESPACE: undefined, AGENTS_PLANE_HOME: await testDir('empty-home') });
    await expect(connectClient({ env: nothing })).rejects.toThrow(/Temporal is not reachable at 127\.0\.0\.1:7233 .*run `agents-plane dev up` or set TEMPORAL_ADDRESS/);

    await expect(connectClient({ env: projectEnv({ TEMPORAL_ADDRESS: '127.0.0.1:1' }), connectTimeoutMs: 2_000 })).rejects.toThrow(
      /Temporal is not reachable at 127\.0\.0\.1:1 .*agents-plane dev up/,
    );
    await expect(connectClient({ env: projectEnv({ AGENTS_PLANE_CODEC_KEYS: 'k:short' }) })).rejects.toThrow(/invalid AGENTS_PLANE_CODEC_KEYS: key "k" must be 32 bytes/);
  });
});
