import { describe, expect, it } from 'vitest';
import { buildOpenClawConfig, GATEWAY_PORT, GATEWAY_TOKEN_ENV_VAR, MANAGED_REPLACE_PATHS } from '../../src/domain/openclaw-config.js';
import { GENERATED_SECRET_KEYS } from '../../src/domain/specs.js';

/**
 * The keys OpenClaw 2026.9.6 accepts at the paths the plane writes, transcribed from the package's
 * schema (npm `openclaw@2026.9.6`):
 * - root: `OpenClawSchemaShape` in dist/zod-schema-B-u3AXjg.mjs (a strictObject);
 * - `gateway`: `GatewayConfigSchema` (strictObject), and its `auth` and `update` strictObjects, same file;
 * - a SecretRef with source "env": `EnvSecretRefSchema` in dist/zod-schema.core-DyJd-bbI.mjs (strict).
 * A string leaf means "any value of this kind"; a nested object lists the keys allowed below that key.
 * Unknown keys make OpenClaw refuse the config, so anything the builder emits outside this tree fails.
 */
type Allowed = { readonly [key: string]: Allowed | 'leaf' };
const ENV_SECRET_REF: Allowed = { source: 'leaf', provider: 'leaf', id: 'leaf' };
const OPENCLAW_2026_9_6: Allowed = {
  $schema: 'leaf',
  meta: 'leaf',
  env: 'leaf',
  wizard: 'leaf',
  diagnostics: 'leaf',
  logging: 'leaf',
  update: { channel: 'leaf', checkOnStart: 'leaf', auto: { enabled: 'leaf' } },
  telemetry: 'leaf',
  browser: 'leaf',
  ui: 'leaf',
  secrets: 'leaf',
  auth: 'leaf',
  accessGroups: 'leaf',
  acp: 'leaf',
  models: 'leaf',
  nodeHost: 'leaf',
  agents: 'leaf',
  worktreeRoot: 'leaf',
  worktreeAcceleration: 'leaf',
  tools: 'leaf',
  security: 'leaf',
  bindings: 'leaf',
  broadcast: 'leaf',
  attachments: 'leaf',
  messages: 'leaf',
  tts: 'leaf',
  commands: 'leaf',
  approvals: 'leaf',
  session: 'leaf',
  cron: 'leaf',
  transcripts: 'leaf',
  hooks: 'leaf',
  channels: 'leaf',
  discovery: 'leaf',
  talk: 'leaf',
  gateway: {
    port: 'leaf',
    mode: 'leaf',
    bind: 'leaf',
    customBindHost: 'leaf',
    publicOrigin: 'leaf',
    portals: 'leaf',
    controlUi: 'leaf',
    cliAgents: 'leaf',
    terminal: 'leaf',
    auth: {
      mode: 'leaf',
      // A plaintext string or a SecretRef; the plane only ever writes the env SecretRef.
      token: ENV_SECRET_REF,
      password: 'leaf',
      allowTailscale: 'leaf',
      identityScopes: 'leaf',
      rateLimit: 'leaf',
      trustedProxy: 'leaf',
    },
    roles: 'leaf',
    trustedProxies: 'leaf',
    allowRealIpFallback: 'leaf',
    tools: 'leaf',
    tailscale: 'leaf',
    remote: 'leaf',
    reload: 'leaf',
    tls: 'leaf',
    http: 'leaf',
    push: 'leaf',
    nodes: 'leaf',
  },
  cloudWorkers: 'leaf',
  desktop: 'leaf',
  memory: 'leaf',
  mcp: 'leaf',
  skills: 'leaf',
  plugins: 'leaf',
  surfaces: 'leaf',
  proxy: 'leaf',
};

/** Every path of `value` that the allowed tree does not declare. */
function unknownKeys(value: unknown, allowed: Allowed, path = ''): string[] {
  if (typeof value !== 'object' || value === null) return [`${path} (expected an object)`];
  return Object.entries(value).flatMap(([key, child]) => {
    const here = path ? `${path}.${key}` : key;
    const rule = allowed[key];
    if (rule === undefined) return [here];
    if (rule === 'leaf') return [];
    return unknownKeys(child, rule, here);
  });
}

describe('buildOpenClawConfig', () => {
  const config = buildOpenClawConfig();

  it('uses only keys OpenClaw 2026.9.6 declares (its schema rejects unknown keys)', () => {
    expect(unknownKeys(config, OPENCLAW_2026_9_6)).toEqual([]);
  });

  it('the key check itself catches an unknown key, however deep', () => {
    expect(unknownKeys({ ...config, gateway: { ...config.gateway, listen: '0.0.0.0' } }, OPENCLAW_2026_9_6)).toEqual(['gateway.listen']);
    expect(
      unknownKeys({ gateway: { auth: { token: { source: 'env', provider: 'default', id: 'X', fallback: 'y' } } } }, OPENCLAW_2026_9_6),
    ).toEqual(['gateway.auth.token.fallback']);
    expect(unknownKeys({ updates: {} }, OPENCLAW_2026_9_6)).toEqual(['updates']);
  });

  it('runs a local gateway bound to loopback on the default port', () => {
    expect(config.gateway.mode).toBe('local');
    expect(config.gateway.bind).toBe('loopback');
    expect(config.gateway.port).toBe(GATEWAY_PORT);
    expect(GATEWAY_PORT).toBe(18789);
  });

  it('requires token auth, the token read from the environment, never written into the file', () => {
    expect(config.gateway.auth).toEqual({
      mode: 'token',
      token: { source: 'env', provider: 'default', id: GATEWAY_TOKEN_ENV_VAR },
    });
    // EnvSecretRefSchema: provider /^[a-z][a-z0-9_-]{0,63}$/, id /^[A-Z][A-Z0-9_]{0,127}$/.
    expect(config.gateway.auth.token.provider).toMatch(/^[a-z][a-z0-9_-]{0,63}$/);
    expect(config.gateway.auth.token.id).toMatch(/^[A-Z][A-Z0-9_]{0,127}$/);
    // The variable is the secret the plane generates for every agent.
    expect(GENERATED_SECRET_KEYS).toContain(GATEWAY_TOKEN_ENV_VAR);
  });

  it('keeps OpenClaw from updating itself: the plane pins and rolls out versions', () => {
    expect(config.update).toEqual({ checkOnStart: false, auto: { enabled: false } });
  });

  it('replaces gateway.auth wholesale at every boot so no other credential lingers beside the token', () => {
    expect(MANAGED_REPLACE_PATHS).toEqual(['gateway.auth']);
  });

  it('is plain JSON (OpenClaw reads JSON5; JSON is a subset)', () => {
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);
  });
});
