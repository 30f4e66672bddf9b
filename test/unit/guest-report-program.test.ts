/**
 * agents-plane-report run for real with bash: sourced, its mapping functions called with a stand-in
 * `openclaw` on PATH that prints fixtures shaped like OpenClaw 2026.9.6's documented JSON outputs
 * (`channels status --json`: the channels.status RPC result; `gateway usage-cost --json`: usage.cost).
 * OpenClaw is the external tool here; the code under test is our mapping and file handling.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guestPrograms } from '../../src/domain/guest-helpers.js';
import { GUEST_PATHS, GUEST_PROGRAMS, GUEST_UNITS } from '../../src/domain/guest-layout.js';
import { reportProgram } from '../../src/domain/guest-report-program.js';
import { buildRuntimeOpenClawConfig } from '../../src/domain/openclaw-config.js';
import { parseRuntimeProfile } from '../../src/domain/runtime-profile.js';
import { agentUnits } from '../../src/domain/systemd-units.js';

const text = reportProgram().text;

interface Sandbox {
  readonly dir: string;
  /** Runs `fn args...` in bash with the program sourced and the fake openclaw first on PATH. */
  run(fn: string, ...args: string[]): { status: number; stdout: string; stderr: string };
  /** What the fake openclaw prints next (and its exit code). */
  respond(output: string, exitCode?: number): void;
}

function sandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'report-'));
  const bin = join(dir, 'bin');
  execFileSync('mkdir', ['-p', bin]);
  writeFileSync(join(dir, 'program.sh'), text);
  // Records its argv, prints the fixture, exits with the configured code.
  writeFileSync(
    join(bin, 'openclaw'),
    `#!/bin/bash\nprintf '%s\\n' "$*" >> '${dir}/calls'\ncat '${dir}/fixture'\nexit "$(cat '${dir}/exit-code')"\n`,
  );
  chmodSync(join(bin, 'openclaw'), 0o755);
  const respond = (output: string, exitCode = 0): void => {
    writeFileSync(join(dir, 'fixture'), output);
    writeFileSync(join(dir, 'exit-code'), String(exitCode));
  };
  respond('{}');
  return {
    dir,
    respond,
    run(fn, ...args) {
      const r = spawnSync('bash', ['-c', `source '${dir}/program.sh'; ${fn} "$@"`, 'test', ...args], {
        encoding: 'utf8',
        // Node (the mapping) from this test's own runtime; the fake openclaw before anything real.
        env: { PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin` },
      });
      return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
  };
}

/** The runtime config the plane renders for a profile (what apply-runtime installs as RUNTIME_CONFIG). */
function runtimeConfig(dir: string, channels: string): string {
  const path = join(dir, 'openclaw-runtime.json');
  writeFileSync(path, JSON.stringify(buildRuntimeOpenClawConfig(parseRuntimeProfile({ channels }))));
  return path;
}

/** A channels.status result (ChannelsStatusResultSchema) with the given accounts per channel. */
function channelsStatus(accounts: Record<string, readonly Record<string, unknown>[]>): string {
  const channelAccounts = Object.fromEntries(
    Object.entries(accounts).map(([channel, list]) => [channel, list.map((a) => ({ accountId: 'default', ...a }))]),
  );
  return JSON.stringify({
    ts: 1_790_000_000_000,
    channelOrder: Object.keys(accounts),
    channelLabels: Object.fromEntries(Object.keys(accounts).map((c) => [c, c])),
    channels: {},
    channelAccounts,
    channelDefaultAccountId: Object.fromEntries(Object.keys(accounts).map((c) => [c, 'default'])),
  });
}

/** A usage.cost result (what `openclaw gateway usage-cost --json` prints). */
function usageCost(daily: readonly { date: string; totalTokens: number; totalCost: number; missingCostEntries?: number }[]): string {
  const totals = daily.reduce((t, d) => ({ totalTokens: t.totalTokens + d.totalTokens, totalCost: t.totalCost + d.totalCost }), { totalTokens: 0, totalCost: 0 });
  return JSON.stringify({
    updatedAt: 1_790_000_000_000,
    days: 31,
    daily: daily.map((d) => ({ missingCostEntries: 0, ...d, input: d.totalTokens, output: 0 })),
    totals: { ...totals, missingCostEntries: 0 },
  });
}

describe('agents-plane-report', () => {
  it('is installed, valid bash, and run by a timer the startup script starts', () => {
    expect(guestPrograms().map((p) => p.path)).toContain(GUEST_PROGRAMS.report);
    execFileSync('bash', ['-n'], { input: text });
    const units = agentUnits(30);
    const service = units.find((u) => u.name === GUEST_UNITS.reportService)!.text;
    expect(service).toContain(`ExecStart=${GUEST_PROGRAMS.report}`);
    expect(service).toContain(`EnvironmentFile=${GUEST_PATHS.envFile}`);
    expect(units.find((u) => u.name === GUEST_UNITS.reportTimer)!.text).toContain(`Unit=${GUEST_UNITS.reportService}`);
    // Writes the files the heartbeat publishes; OpenClaw runs as its own user with a time limit.
    expect(text).toContain(`SPEND_FILE='${GUEST_PATHS.spendFile}'`);
    expect(text).toContain(`CHANNELS_FILE='${GUEST_PATHS.channelsFile}'`);
    expect(text).toContain("runuser -u 'openclaw'");
    // main's PATH must find runuser (/usr/sbin on Debian 12), the pinned Node and timeout.
    expect(text).toMatch(/export PATH='[^']*\/usr\/sbin[^']*'/);
    expect(text).toContain('timeout --kill-after=5 "$CALL_TIMEOUT"');
  });

  it('maps each account state to a ChannelState, for the channels of the applied profile only', () => {
    const box = sandbox();
    const config = runtimeConfig(box.dir, 'telegram,whatsapp,signal');
    const out = join(box.dir, 'channels.json');
    const cases: [Record<string, unknown>, string][] = [
      [{ configured: false, running: false }, 'unconfigured'],
      [{ configured: true, linked: false, running: true, connected: false }, 'pairing'],
      [{ configured: true, linked: true, running: true, connected: true }, 'connected'],
      [{ configured: true, linked: true, running: false, connected: false, lastError: '401 Unauthorized' }, 'failed'],
    ];
    for (const [account, expected] of cases) {
      box.respond(channelsStatus({ telegram: [account], whatsapp: [account], signal: [account] }));
      const r = box.run('report_channels', config, out);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ telegram: expected, whatsapp: expected, signal: expected });
    }
    // Only the profile's channels; one missing from OpenClaw's report is unconfigured.
    const telegramOnly = runtimeConfig(box.dir, 'telegram,signal');
    box.respond(channelsStatus({ telegram: [{ configured: true, running: true }], whatsapp: [{ configured: true, connected: true }] }));
    expect(box.run('report_channels', telegramOnly, out).status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ telegram: 'connected', signal: 'unconfigured' });
    expect(readFileSync(join(box.dir, 'calls'), 'utf8')).toContain('channels status --json --timeout 30000');
  });

  it('sums the current UTC month only, so the spend starts again at a month change', () => {
    const box = sandbox();
    const out = join(box.dir, 'spend.json');
    box.respond(
      usageCost([
        { date: '2026-11-29', totalTokens: 1000, totalCost: 1.25 },
        { date: '2026-11-30', totalTokens: 500, totalCost: 0.5 },
        { date: '2026-12-01', totalTokens: 200, totalCost: 0.1 },
      ]),
    );
    expect(box.run('report_spend', '2026-11', out).status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ month: '2026-11', tokens: 1500, usd: 1.75 });
    expect(box.run('report_spend', '2026-12', out).status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ month: '2026-12', tokens: 200, usd: 0.1 });
    // A new month with no usage yet reports zero, not last month's figure.
    box.respond(usageCost([{ date: '2026-12-31', totalTokens: 9, totalCost: 9 }]));
    expect(box.run('report_spend', '2027-01', out).status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ month: '2027-01', tokens: 0, usd: 0 });
    expect(readFileSync(join(box.dir, 'calls'), 'utf8')).toContain('gateway usage-cost --days 31 --json --timeout 30000');
  });

  it('says when OpenClaw had no price for some of the month\'s usage (counted as $0 by OpenClaw)', () => {
    const box = sandbox();
    const out = join(box.dir, 'spend.json');
    box.respond(usageCost([{ date: '2026-11-30', totalTokens: 800, totalCost: 0.2, missingCostEntries: 3 }]));
    const r = box.run('report_spend', '2026-11', out);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('3 usage entries this month have no price in OpenClaw');
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ month: '2026-11', tokens: 800, usd: 0.2 });
  });

  it('leaves both files as they were when OpenClaw fails or prints something unexpected', () => {
    const box = sandbox();
    const config = runtimeConfig(box.dir, 'telegram');
    const spend = join(box.dir, 'spend.json');
    const channels = join(box.dir, 'channels.json');
    writeFileSync(spend, '{"month":"2026-11","tokens":1,"usd":0.01}\n');
    writeFileSync(channels, '{"telegram":"connected"}\n');
    const bad: [string, number][] = [
      ['not json at all', 0],
      ['{"status":"starting","startupPhase":"plugins"}', 0],
      [JSON.stringify({ daily: [{ date: '2026-11-30', totalTokens: -5, totalCost: 1 }], channelAccounts: null }), 0],
      ['', 1],
    ];
    for (const [output, code] of bad) {
      box.respond(output, code);
      const c = box.run('report_channels', config, channels);
      const s = box.run('report_spend', '2026-11', spend);
      expect(c.status).not.toBe(0);
      expect(s.status).not.toBe(0);
      expect(c.stdout).toContain('channel states unchanged');
      expect(s.stdout).toContain('spend unchanged');
      expect(readFileSync(spend, 'utf8')).toBe('{"month":"2026-11","tokens":1,"usd":0.01}\n');
      expect(readFileSync(channels, 'utf8')).toBe('{"telegram":"connected"}\n');
      expect(existsSync(`${spend}.new`) || existsSync(`${channels}.new`)).toBe(false);
    }
  });

  it('writes no channel file while no runtime profile was applied', () => {
    const box = sandbox();
    const out = join(box.dir, 'channels.json');
    expect(box.run('report_channels', join(box.dir, 'missing.json'), out).status).toBe(0);
    expect(existsSync(out)).toBe(false);
  });
});
