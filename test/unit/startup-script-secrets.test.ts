/**
 * The startup script's secret fetch, run for real: the rendered script is sourced by bash (which defines
 * its functions without running main) and `fetch_secrets` talks to a local stand-in for the metadata
 * server and Secret Manager's REST `versions/latest:access`, answering the way GCP does (403 while IAM
 * propagates, 404 without a version, base64 payloads).
 */
import { execFile } from 'node:child_process';
import { readFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { renderStartupScript } from '../../src/domain/startup-script.js';

const run = promisify(execFile);

const PROJECT = 'acme-agents';
const secretName = (id: string) => `projects/${PROJECT}/secrets/${id}`;
const ACCESS_TOKEN = 'ya29.test-access-token-not-for-logs';

type Reply = { status: number; body?: unknown };
/** Per secret id, the replies to give in order; the last one repeats. */
let script: Map<string, Reply[]>;
let requests: { url: string; authorization?: string }[] = [];
let tokenRequests = 0;

function payload(value: string | Buffer): Reply {
  const data = (typeof value === 'string' ? Buffer.from(value, 'utf8') : value).toString('base64');
  // Secret Manager's JSON, pretty-printed as the REST API returns it.
  return { status: 200, body: { name: `${secretName('x')}/versions/3`, payload: { data, dataCrc32c: '1' } } };
}
const error = (status: number, reason: string): Reply => ({ status, body: { error: { code: status, message: 'm', status: reason } } });

let server: Server;
let base: string;
let work: string;
let scriptPath: string;

function handle(req: IncomingMessage): Reply {
  const url = req.url ?? '';
  if (url === '/computeMetadata/v1/instance/service-accounts/default/token') {
    if (req.headers['metadata-flavor'] !== 'Google') return { status: 403 };
    tokenRequests += 1;
    return { status: 200, body: { access_token: ACCESS_TOKEN, expires_in: 3599, token_type: 'Bearer' } };
  }
  const match = /^\/v1\/projects\/acme-agents\/secrets\/([^/]+)\/versions\/latest:access$/.exec(url);
  if (!match) return { status: 400 };
  requests.push({ url, authorization: req.headers.authorization });
  if (req.headers.authorization !== `Bearer ${ACCESS_TOKEN}`) return error(401, 'UNAUTHENTICATED');
  const replies = script.get(match[1]!) ?? [error(404, 'NOT_FOUND')];
  return replies.length > 1 ? replies.shift()! : replies[0]!;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const reply = handle(req);
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body, null, 2));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  work = await mkdtemp(join(tmpdir(), 'startup-secrets-'));
  scriptPath = join(work, 'startup-script.sh');
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(work, { recursive: true, force: true });
});

afterEach(() => {
  requests = [];
});

interface Fetch {
  readonly output: string;
  readonly envFile: string;
  readonly env: string;
}

/** Renders a script for `secrets`, sources it and runs fetch_secrets with test-sized retry timings. */
async function fetchSecrets(
  secrets: { envVar: string; id: string }[],
  options: { deadlineSeconds?: number; firstDelaySeconds?: number; previousEnv?: string } = {},
): Promise<Fetch> {
  await writeFile(
    scriptPath,
    renderStartupScript({
      project: PROJECT,
      plane: 'prod',
      agent: 'alice',
      owner: 'alice@example.com',
      agentVersion: '2026.9.6',
      secrets: secrets.map((s) => ({ envVar: s.envVar, secretName: secretName(s.id) })),
    }),
  );
  const envFile = join(await mkdtemp(join(work, 'etc-')), 'agent.env');
  if (options.previousEnv !== undefined) await writeFile(envFile, options.previousEnv, { mode: 0o600 });
  const driver = [
    'source "$1"',
    `METADATA_URL='${base}/computeMetadata/v1'`,
    `SECRET_MANAGER_URL='${base}/v1'`,
    'ENV_FILE="$2"',
    `SECRET_DEADLINE_SECONDS=${options.deadlineSeconds ?? 30}`,
    `RETRY_FIRST_DELAY_SECONDS=${options.firstDelaySeconds ?? 0}`,
    'RETRY_MAX_DELAY_SECONDS=1',
    'fetch_secrets',
  ].join('\n');
  const { stdout, stderr } = await run('bash', ['-c', driver, 'driver', scriptPath, envFile]);
  return { output: `${stdout}${stderr}`, envFile, env: await readFile(envFile, 'utf8') };
}

describe('fetch_secrets (the startup script against a Secret Manager stand-in)', { timeout: 30_000 }, () => {
  it('retries through 403s while IAM propagates, then writes KEY="value" lines to a 0600 file', async () => {
    tokenRequests = 0;
    script = new Map([
      ['gw', [error(403, 'PERMISSION_DENIED'), error(403, 'PERMISSION_DENIED'), payload('gw-token-0123456789')]],
      ['anthropic', [payload('sk-ant-secret-value\n')]],
    ]);
    const result = await fetchSecrets([
      { envVar: 'OPENCLAW_GATEWAY_TOKEN', id: 'gw' },
      { envVar: 'ANTHROPIC_API_KEY', id: 'anthropic' },
    ]);
    expect(result.env).toBe('OPENCLAW_GATEWAY_TOKEN="gw-token-0123456789"\nANTHROPIC_API_KEY="sk-ant-secret-value"\n');
    expect((await stat(result.envFile)).mode & 0o777).toBe(0o600);
    expect(result.output).toContain('permission denied (normal for a few minutes while the IAM grant propagates); retrying');
    expect(result.output).toContain(`secret ${secretName('gw')}: fetched as OPENCLAW_GATEWAY_TOKEN`);
    // Three attempts for the first secret, one for the second, all with the metadata server's token.
    expect(requests.map((r) => r.url.split('/')[5])).toEqual(['gw', 'gw', 'gw', 'anthropic']);
    expect(requests.every((r) => r.authorization === `Bearer ${ACCESS_TOKEN}`)).toBe(true);
    expect(tokenRequests).toBe(1);
    // Neither the values nor the access token ever reach the log.
    for (const secret of ['gw-token-0123456789', 'sk-ant-secret-value', ACCESS_TOKEN]) expect(result.output).not.toContain(secret);
  });

  it('skips a secret without a version (the owner sets it later) and says so', async () => {
    script = new Map([['gw', [payload('gw-token')]], ['openai', [error(404, 'NOT_FOUND')]]]);
    const result = await fetchSecrets([
      { envVar: 'OPENCLAW_GATEWAY_TOKEN', id: 'gw' },
      { envVar: 'OPENAI_API_KEY', id: 'openai' },
    ]);
    expect(result.env).toBe('OPENCLAW_GATEWAY_TOKEN="gw-token"\n');
    expect(result.output).toContain(`secret ${secretName('openai')} has no version yet; skipped`);
    expect(requests.filter((r) => r.url.includes('openai'))).toHaveLength(1);
  });

  it('escapes what systemd would interpret inside double quotes: \\ " $ and `', async () => {
    const value = 'a"b\\c$HOME`id` %s \'single\' #hash ;semi';
    script = new Map([['gw', [payload(value)]]]);
    const result = await fetchSecrets([{ envVar: 'OPENCLAW_GATEWAY_TOKEN', id: 'gw' }]);
    expect(result.env).toBe('OPENCLAW_GATEWAY_TOKEN="a\\"b\\\\c\\$HOME\\`id\\` %s \'single\' #hash ;semi"\n');
    expect(result.output).not.toContain('single');
  });

  it('refuses values an environment file cannot hold (line breaks, NUL) without printing them', async () => {
    script = new Map([
      ['gw', [payload('gw-token')]],
      ['multi', [payload('first-line\nsecond-line')]],
      ['nul', [payload(Buffer.from([0x61, 0x00, 0x62]))]],
      ['empty', [payload('')]],
    ]);
    const result = await fetchSecrets([
      { envVar: 'OPENCLAW_GATEWAY_TOKEN', id: 'gw' },
      { envVar: 'MULTI_LINE', id: 'multi' },
      { envVar: 'WITH_NUL', id: 'nul' },
      { envVar: 'EMPTY_ONE', id: 'empty' },
    ]);
    expect(result.env).toBe('OPENCLAW_GATEWAY_TOKEN="gw-token"\n');
    expect(result.output).toContain(`secret ${secretName('multi')}: the value contains line breaks or other control characters; skipped`);
    expect(result.output).toContain(`secret ${secretName('nul')}: the value contains NUL bytes`);
    expect(result.output).toContain(`secret ${secretName('empty')}: the latest version is empty; skipped`);
    expect(result.output).not.toContain('first-line');
  });

  it('gives up at the deadline, keeping the value from the previous boot, and warns when the token is missing', async () => {
    script = new Map([
      ['gw', [error(503, 'UNAVAILABLE')]],
      ['anthropic', [error(403, 'PERMISSION_DENIED')]],
    ]);
    const result = await fetchSecrets(
      [
        { envVar: 'OPENCLAW_GATEWAY_TOKEN', id: 'gw' },
        { envVar: 'ANTHROPIC_API_KEY', id: 'anthropic' },
      ],
      { deadlineSeconds: 1, firstDelaySeconds: 1, previousEnv: 'ANTHROPIC_API_KEY="from-last-boot"\nOTHER="x"\n' },
    );
    expect(result.env).toBe('ANTHROPIC_API_KEY="from-last-boot"\n');
    expect(result.output).toContain(`secret ${secretName('gw')}: still HTTP 503 after 1 s; giving up for this boot`);
    expect(result.output).toContain(`secret ${secretName('anthropic')}: kept the value from the previous boot`);
    expect(result.output).toContain('no OPENCLAW_GATEWAY_TOKEN: the gateway refuses to start until its token can be read');
    expect(result.output).not.toContain('from-last-boot');
  });

  it('treats a destroyed latest version as nothing to read, not as something to retry', async () => {
    script = new Map([
      ['gw', [payload('gw-token')]],
      ['gone', [{ status: 400, body: { error: { code: 400, message: 'is in DESTROYED state', status: 'FAILED_PRECONDITION' } } }]],
    ]);
    const result = await fetchSecrets([
      { envVar: 'OPENCLAW_GATEWAY_TOKEN', id: 'gw' },
      { envVar: 'GONE_KEY', id: 'gone' },
    ]);
    expect(result.env).toBe('OPENCLAW_GATEWAY_TOKEN="gw-token"\n');
    expect(result.output).toContain(`secret ${secretName('gone')}: its latest version is disabled or destroyed; skipped`);
    expect(requests.filter((r) => r.url.includes('gone'))).toHaveLength(1);
  });
});
