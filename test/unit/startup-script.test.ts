import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUEST_ATTRIBUTES, GUEST_NAMESPACE, HEARTBEAT_INTERVAL_SECONDS, METADATA } from '../../src/domain/guest-contract.js';
import { guestPrograms } from '../../src/domain/guest-helpers.js';
import { GUEST_PATHS, GUEST_PROGRAMS, GUEST_UNITS, OPENCLAW_USER } from '../../src/domain/guest-layout.js';
import { InvalidInputError } from '../../src/domain/invalid-input.js';
import { GATEWAY_TOKEN_ENV_VAR } from '../../src/domain/openclaw-config.js';
import { shellSingleQuote } from '../../src/domain/shell-literal.js';
import {
  DEFAULT_NODE_RUNTIME,
  RENDERED_INPUTS_BEGIN,
  RENDERED_INPUTS_END,
  renderStartupScript,
  type StartupScriptInput,
} from '../../src/domain/startup-script.js';
import { agentUnits } from '../../src/domain/systemd-units.js';
import { ensurePypiTool } from '../../src/runtime/pypi-tools.js';

const run = promisify(execFile);

const SPEC: StartupScriptInput = {
  project: 'acme-agents',
  plane: 'prod',
  agent: 'alice',
  owner: 'alice@example.com',
  agentVersion: '2026.9.6',
  secrets: [
    { envVar: 'OPENCLAW_GATEWAY_TOKEN', secretName: 'projects/acme-agents/secrets/ap-prod-alice-openclaw-gateway-token' },
    { envVar: 'ANTHROPIC_API_KEY', secretName: 'projects/acme-agents/secrets/ap-prod-alice-anthropic-api-key' },
    { envVar: 'OPENAI_API_KEY', secretName: 'projects/acme-agents/secrets/ap-prod-alice-openai-api-key' },
  ],
};

/** The body of every `write_file PATH MODE <<'AGENTS_PLANE_FILE'` heredoc, by path. */
function embeddedFiles(script: string): Map<string, { mode: string; text: string }> {
  const files = new Map<string, { mode: string; text: string }>();
  const pattern = /^ *write_file '([^']+)' (\d{4}) <<'AGENTS_PLANE_FILE'\n([\s\S]*?)^AGENTS_PLANE_FILE$/gm;
  for (const match of script.matchAll(pattern)) {
    files.set(match[1]!, { mode: match[2]!, text: match[3]! });
  }
  return files;
}

function renderedInputsBlock(script: string): string {
  const start = script.indexOf(RENDERED_INPUTS_BEGIN);
  const end = script.indexOf(RENDERED_INPUTS_END);
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  return script.slice(start, end + RENDERED_INPUTS_END.length);
}

function invalid(render: () => unknown): InvalidInputError {
  try {
    render();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected the renderer to refuse the input');
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'startup-script-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('renderStartupScript: a representative agent', () => {
  const script = renderStartupScript(SPEC);

  it('is a bash script that stops on the first error and never traces (xtrace would print secrets)', () => {
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    expect(script).toContain('\nset -Eeuo pipefail\n');
    expect(script).not.toMatch(/set -[a-zA-Z]*x|set -o xtrace|bash -x/);
  });

  it('pins Node by version and SHA-256 of the official tarball, and verifies it before unpacking', () => {
    expect(script).toContain(`readonly NODE_VERSION='${DEFAULT_NODE_RUNTIME.version}'`);
    expect(script).toContain(`readonly NODE_SHA256='${DEFAULT_NODE_RUNTIME.linuxX64TarGzSha256}'`);
    expect(script).toContain('https://nodejs.org/dist/v$NODE_VERSION/node-v$NODE_VERSION-linux-x64.tar.gz');
    const check = script.indexOf('sha256sum --check');
    expect(check).toBeGreaterThan(0);
    expect(script.indexOf('tar --extract', check)).toBeGreaterThan(check);
  });

  it('pins OpenClaw: the rendered version is the fallback, the metadata key wins when valid', () => {
    expect(script).toContain("readonly PINNED_OPENCLAW_VERSION='2026.9.6'");
    expect(script).toContain(`/instance/attributes/${METADATA.agentVersion}`);
    const installer = embeddedFiles(script).get(GUEST_PROGRAMS.installOpenclaw)!.text;
    expect(installer).toContain('"openclaw@$version"');
    expect(installer).toContain('npm install --global --prefix "$target"');
  });

  it('creates a dedicated system user without a login shell and runs the gateway as it', () => {
    expect(script).toContain(`useradd --system --user-group --home-dir '/var/lib/openclaw' --shell /usr/sbin/nologin '${OPENCLAW_USER}'`);
    const gateway = embeddedFiles(script).get(`/etc/systemd/system/${GUEST_UNITS.gateway}`)!.text;
    expect(gateway).toContain(`\nUser=${OPENCLAW_USER}\n`);
  });

  it('fetches secrets by name from Secret Manager REST with a metadata-server token, never from metadata', () => {
    expect(script).toContain(
      "readonly SECRET_NAMES=('projects/acme-agents/secrets/ap-prod-alice-openclaw-gateway-token' 'projects/acme-agents/secrets/ap-prod-alice-anthropic-api-key' 'projects/acme-agents/secrets/ap-prod-alice-openai-api-key')",
    );
    expect(script).toContain("readonly SECRET_ENV_VARS=('OPENCLAW_GATEWAY_TOKEN' 'ANTHROPIC_API_KEY' 'OPENAI_API_KEY')");
    expect(script).toContain("SECRET_MANAGER_URL='https://secretmanager.googleapis.com/v1'");
    expect(script).toContain('"$SECRET_MANAGER_URL/$name/versions/latest:access"');
    expect(script).toContain('/instance/service-accounts/default/token');
    // The bearer token goes to curl on stdin, never on a command line other users could read.
    expect(script).toContain("printf 'Authorization: Bearer %s\\n' \"$ACCESS_TOKEN\" | curl");
    expect(script).toContain('--header @-');
    expect(script).not.toContain(METADATA.secretNames);
    expect(script).toContain('SECRET_DEADLINE_SECONDS=900');
  });

  it('keeps secrets in a root-only environment file the gateway unit reads', () => {
    expect(script).toContain(`ENV_FILE='${GUEST_PATHS.envFile}'`);
    expect(script).toContain('write_file "$ENV_FILE" 0600');
    const gateway = embeddedFiles(script).get(`/etc/systemd/system/${GUEST_UNITS.gateway}`)!.text;
    expect(gateway).toContain(`\nEnvironmentFile=${GUEST_PATHS.envFile}\n`);
  });

  it('contains no secret value: the OpenClaw config refers to the token by environment variable only', () => {
    const config = JSON.parse(embeddedFiles(script).get(GUEST_PATHS.managedOpenclawConfig)!.text) as {
      gateway: { bind: string; auth: { mode: string; token: unknown } };
    };
    expect(config.gateway.bind).toBe('loopback');
    expect(config.gateway.auth.mode).toBe('token');
    expect(config.gateway.auth.token).toEqual({ source: 'env', provider: 'default', id: GATEWAY_TOKEN_ENV_VAR });
    expect(script).toContain("--replace-path 'gateway.auth'");
    // Nothing in the script looks like an inline credential.
    expect(script).not.toMatch(/"(token|password|apiKey)"\s*:\s*"/);
    expect(script).not.toMatch(/(sk-|AIza)[A-Za-z0-9_-]{8,}/);
  });

  it('publishes heartbeat, version and health under the guest-contract namespace and keys', () => {
    const heartbeat = embeddedFiles(script).get(GUEST_PROGRAMS.heartbeat)!.text;
    expect(heartbeat).toContain(`/computeMetadata/v1/instance/guest-attributes/${GUEST_NAMESPACE}'`);
    expect(heartbeat).toContain("--header 'Metadata-Flavor: Google'");
    for (const key of Object.values(GUEST_ATTRIBUTES)) expect(heartbeat).toContain(`publish '${key}'`);
    expect(heartbeat).toContain('http://127.0.0.1:18789/healthz');
    for (const health of ['ok', 'failing', 'starting']) expect(heartbeat).toContain(`health=${health}`);
    const timer = embeddedFiles(script).get(`/etc/systemd/system/${GUEST_UNITS.heartbeatTimer}`)!.text;
    expect(timer).toContain(`\nOnUnitActiveSec=${HEARTBEAT_INTERVAL_SECONDS}s\n`);
  });

  it('follows the version metadata key with wait_for_change and restarts the gateway on a change', () => {
    const follower = embeddedFiles(script).get(GUEST_PROGRAMS.followVersion)!.text;
    expect(follower).toContain(`/instance/attributes/${METADATA.agentVersion}'`);
    expect(follower).toContain('wait_for_change=true');
    expect(follower).toContain('last_etag=');
    expect(follower).toContain('"$INSTALL" "$desired"');
    expect(follower).toContain('"$RESTART"');
    expect(script).toContain(`systemctl restart '${GUEST_UNITS.versionFollower}'`);
  });

  it('installs the spend and channel reporter and starts its timer once the gateway was started', () => {
    expect(embeddedFiles(script).has(GUEST_PROGRAMS.report)).toBe(true);
    expect(embeddedFiles(script).has(`/etc/systemd/system/${GUEST_UNITS.reportTimer}`)).toBe(true);
    const restartGateway = script.lastIndexOf(`'${GUEST_PROGRAMS.restartGateway}'`);
    expect(restartGateway).toBeGreaterThan(0);
    expect(script.indexOf(`systemctl restart '${GUEST_UNITS.reportTimer}'`)).toBeGreaterThan(restartGateway);
  });

  it('embeds exactly the helper programs and units their modules build', () => {
    const files = embeddedFiles(script);
    for (const program of guestPrograms()) expect(files.get(program.path)).toEqual({ mode: '0755', text: program.text });
    for (const unit of agentUnits(HEARTBEAT_INTERVAL_SECONDS)) {
      expect(files.get(`/etc/systemd/system/${unit.name}`)).toEqual({ mode: '0644', text: unit.text });
    }
    expect(files.size).toBe(guestPrograms().length + agentUnits(HEARTBEAT_INTERVAL_SECONDS).length + 1);
  });

  it('guards every step so that a second boot changes nothing it does not have to', () => {
    // Node: skipped when the pinned version is already there.
    expect(script).toContain('if [[ -x $dir/bin/node && $("$dir/bin/node" --version) == "v$NODE_VERSION" ]]; then');
    // User: created once.
    expect(script).toContain("if id -u 'openclaw' > /dev/null 2>&1; then");
    // OpenClaw: one directory per version, marked complete only after it reported its version.
    const installer = embeddedFiles(script).get(GUEST_PROGRAMS.installOpenclaw)!.text;
    expect(installer).toContain('if [[ -f "$target/$INSTALLED_MARKER" ]]; then');
    expect(installer).toContain('flock 9');
    // Files: written by rename, left alone when unchanged.
    expect(script).toContain('if [[ -f $path ]] && cmp -s -- "$tmp" "$path"; then');
    // Directories and symlinks: install -d and ln -sfn are idempotent by nature.
    expect(script).toContain('install -d -m 0755');
    expect(script).toContain('ln -sfn -- "$dir" "$NODE_LINK.new"');
    // Config: OpenClaw's own merge, not an overwrite of the owner's settings.
    expect(script).toContain('config patch --file "$MANAGED_CONFIG"');
  });

  it('fits in one metadata value (256 KiB)', () => {
    expect(Buffer.byteLength(script)).toBeLessThan(256 * 1024);
  });

  it('parses with bash -n, and so does every embedded helper program', async () => {
    const path = join(work, 'startup-script.sh');
    await writeFile(path, script);
    await run('bash', ['-n', path]);
    for (const program of guestPrograms()) {
      const helper = join(work, program.path.split('/').pop()!);
      await writeFile(helper, program.text);
      await run('bash', ['-n', helper]);
    }
  });

  it(
    'is shellcheck clean at style severity, and so is every embedded helper program',
    async () => {
      const shellcheck = await ensurePypiTool('shellcheck');
      const dir = await mkdtemp(join(work, 'lint-'));
      const paths = [join(dir, 'startup-script.sh')];
      await writeFile(paths[0]!, script);
      for (const program of guestPrograms()) {
        const path = join(dir, program.path.split('/').pop()!);
        await writeFile(path, program.text);
        paths.push(path);
      }
      const result = await run(shellcheck, ['--severity=style', '--format=gcc', ...paths]).catch(
        (error: { stdout?: string; code?: number }) => error,
      );
      expect(result.stdout).toBe('');
      expect((result as { code?: number }).code ?? 0).toBe(0);
    },
    10 * 60_000,
  );

  it('shellcheck does report findings (the lint step is live)', async () => {
    const shellcheck = await ensurePypiTool('shellcheck');
    const path = join(work, 'bad.sh');
    await writeFile(path, '#!/bin/bash\nrm -rf $1/*\n');
    const result = await run(shellcheck, ['--severity=style', '--format=gcc', path]).catch((error: { stdout?: string }) => error);
    expect(result.stdout).toContain('SC2086');
  }, 10 * 60_000);
});

describe('renderStartupScript: input that could run as code', () => {
  /** Values a careless renderer would execute; each would create a canary file if it ran. */
  const CORPUS = [
    "x'; touch canary; '",
    'x$(touch canary)',
    'x`touch canary`',
    'x"; touch canary; "',
    'x; touch canary',
    'x && touch canary',
    'x | touch canary',
    'x\ntouch canary',
    '${IFS}touch${IFS}canary',
    "$'\\x74ouch' canary",
    'x\\',
    '* ? [a] ~ !',
    '<(touch canary)',
    ' leading and trailing ',
    '',
  ];
  const fields: [string, (value: string) => StartupScriptInput][] = [
    ['project', (value) => ({ ...SPEC, project: value })],
    ['plane', (value) => ({ ...SPEC, plane: value })],
    ['agent', (value) => ({ ...SPEC, agent: value })],
    ['owner', (value) => ({ ...SPEC, owner: value })],
    ['agentVersion', (value) => ({ ...SPEC, agentVersion: value })],
    ['node.version', (value) => ({ ...SPEC, node: { ...DEFAULT_NODE_RUNTIME, version: value } })],
    ['node.linuxX64TarGzSha256', (value) => ({ ...SPEC, node: { ...DEFAULT_NODE_RUNTIME, linuxX64TarGzSha256: value } })],
    ['secrets[1].envVar', (value) => ({ ...SPEC, secrets: [SPEC.secrets[0]!, { ...SPEC.secrets[1]!, envVar: value }] })],
    ['secrets[1].secretName', (value) => ({ ...SPEC, secrets: [SPEC.secrets[0]!, { ...SPEC.secrets[1]!, secretName: value }] })],
  ];

  for (const [field, withValue] of fields) {
    it(`refuses shell syntax in ${field}, naming the field`, () => {
      for (const value of CORPUS) {
        const error = invalid(() => renderStartupScript(withValue(value)));
        expect(error.field).toBe(`startup script ${field}`);
        expect(error.message).not.toContain('\n');
      }
      // Shell syntax glued onto an otherwise valid value is refused as well.
      const valid = { project: 'acme-agents', plane: 'prod', agent: 'alice', owner: 'alice@example.com', agentVersion: '2026.9.6' };
      const base = (valid as Record<string, string>)[field];
      if (base) invalid(() => renderStartupScript(withValue(`${base}$(touch canary)`)));
    });
  }

  it('single-quoting keeps every corpus value inert in real bash: printed back verbatim, nothing executed', async () => {
    const dir = await mkdtemp(join(work, 'inert-'));
    for (const value of CORPUS) {
      if (/[\u0000-\u001f]/.test(value)) {
        expect(() => shellSingleQuote('x', value)).toThrow(InvalidInputError);
        continue;
      }
      const { stdout } = await run('bash', ['-c', `printf '%s' ${shellSingleQuote('x', value)}`], { cwd: dir });
      expect(stdout).toBe(value);
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('keeps a secret named like the heredoc delimiter out of harm: it only ever appears quoted', async () => {
    const script = renderStartupScript({
      ...SPEC,
      secrets: [...SPEC.secrets, { envVar: 'AGENTS_PLANE_FILE', secretName: 'projects/acme-agents/secrets/x' }],
    });
    const delimiterLines = (text: string) => text.split('\n').filter((line) => line === 'AGENTS_PLANE_FILE').length;
    expect(delimiterLines(script)).toBe(delimiterLines(renderStartupScript(SPEC)));
    expect(script).toContain("'ANTHROPIC_API_KEY' 'OPENAI_API_KEY' 'AGENTS_PLANE_FILE')");
    expect(embeddedFiles(script)).toEqual(embeddedFiles(renderStartupScript(SPEC)));
    const path = join(work, 'delimiter.sh');
    await writeFile(path, script);
    await run('bash', ['-n', path]);
  });

  it('renders unusual but valid values so that bash reads them back exactly, and only inside the inputs block', async () => {
    const input: StartupScriptInput = {
      project: 'zq-proj-9',
      plane: 'zq-plane',
      agent: 'zq-agent-2',
      owner: 'zq.o+ai%x@mail.zq-corp.example',
      agentVersion: '2026.11.3-beta.1',
      node: { version: '26.1.0', linuxX64TarGzSha256: 'a'.repeat(64) },
      secrets: [
        { envVar: 'OPENCLAW_GATEWAY_TOKEN', secretName: 'projects/zq-proj-9/secrets/Zq_Token-1' },
        { envVar: 'ZQ_KEY_2', secretName: 'projects/zq-proj-9/secrets/zq-key-2' },
      ],
    };
    const script = renderStartupScript(input);
    const block = renderedInputsBlock(script);
    const { stdout } = await run('bash', [
      '-c',
      `${block}\nprintf '%s\\n' "$PROJECT" "$PLANE" "$AGENT" "$OWNER" "$PINNED_OPENCLAW_VERSION" "$NODE_VERSION" "$NODE_SHA256" "\${SECRET_ENV_VARS[@]}" "\${SECRET_NAMES[@]}"`,
    ]);
    expect(stdout.split('\n').slice(0, -1)).toEqual([
      input.project,
      input.plane,
      input.agent,
      input.owner,
      input.agentVersion,
      input.node!.version,
      input.node!.linuxX64TarGzSha256,
      'OPENCLAW_GATEWAY_TOKEN',
      'ZQ_KEY_2',
      'projects/zq-proj-9/secrets/Zq_Token-1',
      'projects/zq-proj-9/secrets/zq-key-2',
    ]);
    const outside = script.replace(block, '');
    for (const value of ['zq-proj-9', 'zq-plane', 'zq-agent-2', 'zq.o+ai', '2026.11.3-beta.1', '26.1.0', 'Zq_Token', 'ZQ_KEY_2']) {
      expect(outside).not.toContain(value);
    }
  });
});

describe('renderStartupScript: other invalid input', () => {
  it('requires the gateway token among the secrets (token auth has nothing to check against otherwise)', () => {
    const error = invalid(() => renderStartupScript({ ...SPEC, secrets: SPEC.secrets.slice(1) }));
    expect(error.field).toBe('startup script secrets');
    expect(error.rule).toContain(GATEWAY_TOKEN_ENV_VAR);
  });

  it('refuses an environment variable listed twice', () => {
    const error = invalid(() => renderStartupScript({ ...SPEC, secrets: [...SPEC.secrets, SPEC.secrets[1]!] }));
    expect(error.field).toBe('startup script secrets[3].envVar');
  });

  it('refuses a Node older than 22 and a heartbeat interval outside 5..3600 s', () => {
    expect(invalid(() => renderStartupScript({ ...SPEC, node: { ...DEFAULT_NODE_RUNTIME, version: '20.19.5' } })).field).toBe(
      'startup script node.version',
    );
    for (const seconds of [0, 4, 3601, 2.5, Number.NaN]) {
      expect(invalid(() => renderStartupScript({ ...SPEC, heartbeatIntervalSeconds: seconds })).field).toBe(
        'startup script heartbeatIntervalSeconds',
      );
    }
  });

  it('refuses an owner that is not already normalised rather than silently rewriting it', () => {
    expect(invalid(() => renderStartupScript({ ...SPEC, owner: 'Alice@Example.com' })).field).toBe('startup script owner');
  });

  it('renders the requested heartbeat interval into the timer', () => {
    const script = renderStartupScript({ ...SPEC, heartbeatIntervalSeconds: 45 });
    expect(script).toContain('\nOnUnitActiveSec=45s\n');
  });
});

it('the canary never appeared in the working directory of this test run', () => {
  expect(existsSync(join(process.cwd(), 'canary'))).toBe(false);
});
