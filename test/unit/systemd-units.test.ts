import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUEST_PATHS, GUEST_UNITS, OPENCLAW_HOME, OPENCLAW_USER } from '../../src/domain/guest-layout.js';
import { agentUnits, gatewayUnit, heartbeatServiceUnit, heartbeatTimerUnit, versionFollowerUnit } from '../../src/domain/systemd-units.js';

const run = promisify(execFile);

function lines(text: string): string[] {
  return text.split('\n');
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'systemd-units-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/**
 * `systemd-analyze verify` (Debian package systemd) parses units as PID 1 would and reports unknown
 * keys, bad values and missing executables. The programs exist only on the VM, so each ExecStart's
 * executable is swapped for /bin/true; every other line is checked as rendered.
 */
async function verify(files: { name: string; text: string }[]): Promise<string> {
  const dir = await mkdtemp(join(work, 'verify-'));
  for (const file of files) {
    await writeFile(join(dir, file.name), file.text.replace(/^ExecStart=\S+/m, 'ExecStart=/bin/true'));
  }
  try {
    const { stdout, stderr } = await run('systemd-analyze', ['verify', ...files.map((f) => join(dir, f.name))]);
    return `${stdout}${stderr}`;
  } catch (error) {
    const e = error as { code?: string; stdout?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') throw new Error('systemd-analyze is required for this test (Debian package: systemd)');
    return `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message;
  }
}

describe('systemd units', () => {
  it('all parse cleanly with systemd-analyze verify', async () => {
    expect(await verify([...agentUnits(30)])).toBe('');
  });

  it('the verify step is live: an unknown key is reported', async () => {
    const broken = { ...gatewayUnit(), text: gatewayUnit().text.replace('[Service]\n', '[Service]\nListenAddress=0.0.0.0\n') };
    expect(await verify([broken])).toContain("Unknown key 'ListenAddress'");
  });

  it('runs the gateway under the dedicated user with the hardening the brief asks for', () => {
    const gateway = lines(gatewayUnit().text);
    for (const line of [
      `User=${OPENCLAW_USER}`,
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ProtectHome=yes',
      'PrivateTmp=yes',
      `ReadWritePaths=${OPENCLAW_HOME}`,
      `EnvironmentFile=${GUEST_PATHS.envFile}`,
    ]) {
      expect(gateway).toContain(line);
    }
    expect(gateway.some((l) => l.startsWith('ExecStart=') && l.endsWith(' gateway run'))).toBe(true);
  });

  it("follows OpenClaw's own service policy for restarts and stops", () => {
    const gateway = lines(gatewayUnit().text);
    // Always: OpenClaw exits 0 after a supervisor-owned restart; 78 (invalid config) stops the loop.
    for (const line of ['Restart=always', 'RestartPreventExitStatus=78', 'TimeoutStopSec=330', 'KillMode=mixed', 'SuccessExitStatus=0 143']) {
      expect(gateway).toContain(line);
    }
  });

  it('is not enabled at boot: the startup script starts it once secrets and config are fresh', () => {
    expect(gatewayUnit().text).not.toContain('[Install]');
    expect(versionFollowerUnit().text).not.toContain('[Install]');
  });

  it('fires the heartbeat on the given interval, enabled at boot, as a throwaway dynamic user', () => {
    const timer = lines(heartbeatTimerUnit(45).text);
    expect(timer).toContain('OnUnitActiveSec=45s');
    expect(timer).toContain(`Unit=${GUEST_UNITS.heartbeatService}`);
    expect(timer).toContain('WantedBy=timers.target');
    expect(lines(heartbeatServiceUnit().text)).toContain('DynamicUser=yes');
    expect(() => heartbeatTimerUnit(0)).toThrow(RangeError);
    expect(() => heartbeatTimerUnit(1.5)).toThrow(RangeError);
  });
});
