/**
 * `agents-plane dashboard` refuses bad flags before it connects anywhere: exit 2 and one line naming the
 * flag and the rule (the command runs in-process through the CLI's own wrapper; stderr is captured).
 */
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerDashboardCommand } from '../../src/cli/dashboard.js';

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function run(args: string[]): Promise<{ code: number | string | undefined; stderr: string }> {
  let stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const program = new Command('agents-plane').exitOverride();
  registerDashboardCommand(program);
  process.exitCode = undefined;
  await program.parseAsync(['node', 'agents-plane', 'dashboard', ...args]);
  vi.restoreAllMocks();
  return { code: process.exitCode, stderr };
}

describe('agents-plane dashboard flags', () => {
  it.each([
    [['--host', '0.0.0.0'], 'error: invalid --token: is required (or AGENTS_PLANE_DASHBOARD_TOKEN) when --host is not a loopback address; got --host 0.0.0.0'],
    [['--host', '0.0.0.0', '--token', 'tiny'], 'error: invalid --token: must be at least 16 characters'],
    [['--port', '70000'], 'error: invalid --port: must be a TCP port 0-65535 (0 = any free port), got "70000"'],
    [['--interval', '0'], 'error: invalid --interval: must be a number of seconds from 1 to 3600, got "0"'],
    [['--web-ui', 'ftp://example.com'], 'error: invalid --web-ui: must be an http(s) URL, got "ftp://example.com"'],
  ])('%j exits 2 naming the flag', async (args, line) => {
    const saved = process.env.AGENTS_PLANE_DASHBOARD_TOKEN;
    delete process.env.AGENTS_PLANE_DASHBOARD_TOKEN;
    try {
      const result = await run(args);
      expect(result.code).toBe(2);
      expect(result.stderr.trim()).toBe(line);
    } finally {
      if (saved !== undefined) process.env.AGENTS_PLANE_DASHBOARD_TOKEN = saved;
    }
  });
});
