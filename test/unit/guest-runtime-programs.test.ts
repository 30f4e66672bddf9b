import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METADATA } from '../../src/domain/guest-contract.js';
import { guestPrograms } from '../../src/domain/guest-helpers.js';
import { GUEST_PROGRAMS, GUEST_UNITS } from '../../src/domain/guest-layout.js';
import { applyRuntimeProgram, followRuntimeProgram } from '../../src/domain/guest-runtime-programs.js';
import { RUNTIME_REPLACE_PATHS } from '../../src/domain/openclaw-config.js';
import { parseRuntimeProfile } from '../../src/domain/runtime-profile.js';
import { renderRuntime, runtimeMetadataItems } from '../../src/domain/runtime-metadata.js';
import { agentUnits } from '../../src/domain/systemd-units.js';

const apply = applyRuntimeProgram().text;
const follow = followRuntimeProgram().text;

/** The Node one-liner apply-runtime splits the metadata value with (it sits in single quotes). */
function splitScript(): string {
  const m = /"\$NODE" -e '([^']+)'/.exec(apply);
  if (!m) throw new Error('no node -e script in apply-runtime');
  return m[1]!;
}

describe('the VM side of the runtime profile', () => {
  it('installs both programs and the follower unit', () => {
    const paths = guestPrograms().map((p) => p.path);
    expect(paths).toContain(GUEST_PROGRAMS.applyRuntime);
    expect(paths).toContain(GUEST_PROGRAMS.followRuntime);
    expect(agentUnits(30).map((u) => u.name)).toContain(GUEST_UNITS.runtimeFollower);
  });

  it('are valid bash', () => {
    for (const text of [apply, follow]) execFileSync('bash', ['-n'], { input: text });
  });

  it('read the plane-rendered key and replace the lists the plane owns', () => {
    expect(apply).toContain(`/instance/attributes/${METADATA.openclawRuntime}'`);
    for (const p of RUNTIME_REPLACE_PATHS) expect(apply).toContain(`--replace-path '${p}'`);
    expect(follow).toContain('wait_for_change=true');
    expect(follow).toContain(GUEST_PROGRAMS.restartGateway);
  });

  it('split the metadata value into the config file and the report the heartbeat publishes', () => {
    const profile = parseRuntimeProfile({ channels: 'telegram', channelOwners: 'telegram=123456789', heartbeat: '10m' });
    const dir = mkdtempSync(join(tmpdir(), 'rt-split-'));
    const value = runtimeMetadataItems(profile)[METADATA.openclawRuntime]!;
    writeFileSync(join(dir, 'rendered'), value);
    execFileSync(process.execPath, ['-e', splitScript(), join(dir, 'rendered'), join(dir, 'config.json'), join(dir, 'applied.json')]);
    const rendered = renderRuntime(profile);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual(rendered.config);
    expect(JSON.parse(readFileSync(join(dir, 'applied.json'), 'utf8'))).toEqual({ digest: rendered.digest, heartbeatSeconds: 600 });
  });

  it('refuse a malformed value (exit 3), writing nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rt-split-'));
    writeFileSync(join(dir, 'rendered'), JSON.stringify({ digest: 'x; rm -rf /', heartbeatSeconds: 600, config: {} }));
    let status = 0;
    try {
      execFileSync(process.execPath, ['-e', splitScript(), join(dir, 'rendered'), join(dir, 'config.json'), join(dir, 'applied.json')]);
    } catch (error) {
      status = (error as { status: number }).status;
    }
    expect(status).toBe(3);
  });
});
