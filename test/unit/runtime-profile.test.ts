import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/domain/invalid-input.js';
import {
  buildRuntimeOpenClawConfig,
  CHANNEL_SECRET_ENV_VARS,
  RUNTIME_REPLACE_PATHS,
  renderedHeartbeatMs,
} from '../../src/domain/openclaw-config.js';
import {
  CHANNEL_KINDS,
  DEFAULT_RUNTIME_PROFILE,
  MODEL_TIER_MODELS,
  MODEL_TIERS,
  parseRuntimeProfile,
  runtimeProfileDigest,
  runtimeProfileJson,
  type AgentRuntimeProfile,
  type RawRuntimeProfile,
} from '../../src/domain/runtime-profile.js';

/**
 * The key sets OpenClaw 2026.9.6 accepts at the paths the runtime profile writes, transcribed from the
 * package (see the fixture's `source` and `how`). Strict schemas reject an unknown key and the gateway
 * refuses to start on one, so every rendered key is checked against it.
 */
type Allowed = { readonly [key: string]: Allowed | 'leaf' };
const fixture = JSON.parse(readFileSync(new URL('../fixtures/openclaw/2026.9.6-config-keys.json', import.meta.url), 'utf8')) as {
  source: string;
  allowed: Allowed;
};
const ALLOWED = fixture.allowed;

function unknownKeys(value: unknown, allowed: Allowed, path = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path} (expected an object)`];
  return Object.entries(value).flatMap(([key, child]) => {
    const here = path ? `${path}.${key}` : key;
    const rule = allowed[key] ?? allowed['*'];
    if (rule === undefined) return [here];
    if (rule === 'leaf') return [];
    return unknownKeys(child, rule, here);
  });
}

const profile = (raw: RawRuntimeProfile, base?: AgentRuntimeProfile) => parseRuntimeProfile(raw, base);
const render = (raw: RawRuntimeProfile) => buildRuntimeOpenClawConfig(profile(raw));

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidInputError) return error.field;
    throw error;
  }
  return 'accepted';
}

describe('runtime profile parsing', () => {
  it('gives OpenClaw defaults when nothing is set', () => {
    expect(profile({})).toEqual(DEFAULT_RUNTIME_PROFILE);
    expect(DEFAULT_RUNTIME_PROFILE.heartbeatMs).toBe(30 * 60_000);
  });

  it('parses every flag', () => {
    expect(
      profile({
        channels: 'whatsapp, telegram',
        modelTier: 'premium',
        heartbeat: '10m',
        thinkingClock: '5m:anthropic/claude-haiku-4-5',
        tools: 'profile:messaging,read,group:web',
        budgetCap: '25.5',
        budgetAction: 'pause',
        channelOwners: 'telegram=123456789,whatsapp=+15551234567',
      }),
    ).toEqual({
      channels: ['telegram', 'whatsapp'],
      modelTier: 'premium',
      heartbeatMs: 600_000,
      thinkingClock: { intervalMs: 300_000, model: 'anthropic/claude-haiku-4-5' },
      tools: ['profile:messaging', 'read', 'group:web'],
      budget: { capUsdPerMonth: 25.5, action: 'pause' },
      channelOwners: { telegram: '123456789', whatsapp: '+15551234567' },
    });
  });

  it('accepts planes.yaml shapes (lists, numbers, an owner map)', () => {
    expect(profile({ channels: ['signal'], budgetCap: 40, channelOwners: { signal: '+447700900123' } })).toMatchObject({
      channels: ['signal'],
      budget: { capUsdPerMonth: 40, action: 'degrade' },
      channelOwners: { signal: '+447700900123' },
    });
  });

  it('changes only the given fields over a base (update-agent)', () => {
    const base = profile({ channels: 'telegram', budgetCap: '10', tools: 'read' });
    const next = profile({ heartbeat: '10m' }, base);
    expect(next).toEqual({ ...base, heartbeatMs: 600_000 });
    const { budget: _budget, ...unbudgeted } = base;
    expect(profile({ budgetCap: 'none', tools: 'default', thinkingClock: 'off' }, { ...base, thinkingClock: { intervalMs: 60_000 } })).toEqual({
      ...unbudgeted,
      tools: [],
    });
  });

  it.each<[RawRuntimeProfile, string]>([
    [{ channels: 'telegram,sms' }, '--channels'],
    [{ channels: 'telegram,telegram' }, '--channels'],
    [{ channels: 42 }, '--channels'],
    [{ modelTier: 'gold' }, '--model-tier'],
    [{ heartbeat: '30s' }, '--heartbeat'],
    [{ heartbeat: '25h' }, '--heartbeat'],
    [{ heartbeat: 'often' }, '--heartbeat'],
    [{ thinkingClock: '5m:not a model' }, '--thinking-clock'],
    [{ thinkingClock: '0m' }, '--thinking-clock'],
    [{ tools: 'read;rm -rf' }, '--tools'],
    [{ tools: 'profile:root' }, '--tools'],
    [{ tools: 'profile:minimal,profile:full' }, '--tools'],
    [{ budgetCap: '-5' }, '--budget-cap'],
    [{ budgetCap: '1e9' }, '--budget-cap'],
    [{ budgetAction: 'explode', budgetCap: '5' }, '--budget-action'],
    [{ budgetAction: 'pause' }, '--budget-action'],
    [{ channelOwners: 'telegram=@bob' }, '--channel-owner'],
    [{ channelOwners: 'whatsapp=5551234' }, '--channel-owner'],
    [{ channelOwners: 'sms=+15551234567' }, '--channel-owner'],
  ])('refuses %j naming the flag', (raw, field) => {
    expect(fieldOf(() => profile(raw))).toBe(field);
  });

  it('says the heartbeat rule in words', () => {
    expect(() => profile({ heartbeat: '30s' })).toThrow('invalid --heartbeat: must be a duration between 1m and 24h');
  });

  it('has a stable wire form and digest', () => {
    const a = profile({ channels: 'whatsapp,telegram', channelOwners: 'whatsapp=+15551234567,telegram=123456789' });
    const b = profile({ channelOwners: 'telegram=123456789,whatsapp=+15551234567', channels: 'telegram,whatsapp' });
    expect(runtimeProfileJson(a)).toBe(runtimeProfileJson(b));
    expect(JSON.parse(runtimeProfileJson(a))).toEqual(a);
    expect(runtimeProfileDigest(runtimeProfileJson(a))).toMatch(/^[0-9a-f]{8}$/);
    expect(runtimeProfileDigest(runtimeProfileJson(a))).not.toBe(runtimeProfileDigest(runtimeProfileJson(profile({ heartbeat: '10m' }, a))));
  });
});

describe('buildRuntimeOpenClawConfig (OpenClaw 2026.9.6)', () => {
  it('the fixture says where it comes from', () => {
    expect(fixture.source).toContain('openclaw@2026.9.6');
  });

  const cases: [string, RawRuntimeProfile][] = [
    ['defaults', {}],
    ...CHANNEL_KINDS.map((c): [string, RawRuntimeProfile] => [`channel ${c} without an owner id`, { channels: c }]),
    ['every channel with owners', { channels: 'telegram,whatsapp,signal', channelOwners: 'telegram=123456789,whatsapp=+15551234567,signal=+15557654321' }],
    ...MODEL_TIERS.map((t): [string, RawRuntimeProfile] => [`tier ${t}`, { modelTier: t }]),
    ['heartbeat', { heartbeat: '2h' }],
    ['thinking clock with its model', { thinkingClock: '15m:openai/gpt-5-mini' }],
    ['thinking clock on the economy model', { thinkingClock: '15m' }],
    ['tool allowlist', { tools: 'read,group:web' }],
    ['tool profile and allowlist', { tools: 'profile:minimal,read' }],
    ['budget (not rendered: the plane enforces it)', { budgetCap: '10', budgetAction: 'pause' }],
  ];
  it.each(cases)('%s: only keys the schema declares', (_name, raw) => {
    expect(unknownKeys(render(raw), ALLOWED)).toEqual([]);
  });

  it('the key check catches an unknown key in a channel or the heartbeat', () => {
    const config = render({ channels: 'telegram' });
    expect(unknownKeys({ ...config, channels: { telegram: { ...config.channels.telegram, token: 'x' } } }, ALLOWED)).toEqual(['channels.telegram.token']);
    expect(unknownKeys({ agents: { defaults: { heartbeat: { interval: '5m' } } } }, ALLOWED)).toEqual(['agents.defaults.heartbeat.interval']);
    expect(unknownKeys({ channels: { whatsapp: { botToken: 'x' } } }, ALLOWED)).toEqual(['channels.whatsapp.botToken']);
  });

  it('model tier → agents.defaults.model.primary; heartbeat → agents.defaults.heartbeat.every', () => {
    const config = render({ modelTier: 'economy', heartbeat: '10m' });
    expect(config.agents.defaults.model).toEqual({ primary: MODEL_TIER_MODELS.economy });
    expect(config.agents.defaults.heartbeat).toEqual({ every: '10m' });
    // AgentsSchema refuses an `agents` block without at least one entry.
    expect(config.agents.entries).toEqual({ main: { default: true } });
    expect(render({ heartbeat: '1h' }).agents.defaults.heartbeat.every).toBe('1h');
  });

  it('thinking clock: the heartbeat wakes on the cheap model, light and isolated', () => {
    const withModel = profile({ heartbeat: '1h', thinkingClock: '15m:openai/gpt-5-mini' });
    expect(buildRuntimeOpenClawConfig(withModel).agents.defaults.heartbeat).toEqual({
      every: '15m',
      model: 'openai/gpt-5-mini',
      lightContext: true,
      isolatedSession: true,
    });
    expect(renderedHeartbeatMs(withModel)).toBe(15 * 60_000);
    expect(render({ thinkingClock: '20m' }).agents.defaults.heartbeat.model).toBe(MODEL_TIER_MODELS.economy);
  });

  it('tools: profile:<name> → tools.profile, the rest → tools.allow; none → OpenClaw default', () => {
    expect(render({ tools: 'profile:minimal,read,group:web' }).tools).toEqual({ profile: 'minimal', allow: ['read', 'group:web'] });
    expect(render({ tools: 'read' }).tools).toEqual({ allow: ['read'] });
    expect(render({}).tools).toBeUndefined();
  });

  it('channels: owner-only DMs (allowlist of the owner id), disabled until the id is known, never pairing or open', () => {
    const config = render({ channels: 'telegram,whatsapp,signal', channelOwners: 'telegram=123456789,whatsapp=+15551234567' });
    expect(config.channels.telegram).toEqual({
      enabled: true,
      dmPolicy: 'allowlist',
      allowFrom: ['123456789'],
      botToken: { source: 'env', provider: 'default', id: 'TELEGRAM_BOT_TOKEN' },
    });
    expect(config.channels.whatsapp).toEqual({ enabled: true, dmPolicy: 'allowlist', allowFrom: ['+15551234567'] });
    expect(config.channels.signal).toEqual({ enabled: true, dmPolicy: 'disabled' });
    for (const c of CHANNEL_KINDS) {
      const ch = config.channels[c]!;
      // refineChannelDmPolicy: "allowlist" needs at least one sender id.
      if (ch.dmPolicy === 'allowlist') expect(ch.allowFrom?.length).toBeGreaterThan(0);
      expect(['allowlist', 'disabled']).toContain(ch.dmPolicy);
    }
  });

  it('channels not in the profile are switched off (a merge cannot delete them)', () => {
    expect(render({ channels: 'telegram' }).channels).toMatchObject({ whatsapp: { enabled: false }, signal: { enabled: false } });
  });

  it('never writes a credential: the bot token is an env SecretRef', () => {
    const text = JSON.stringify(render({ channels: 'telegram,whatsapp,signal' }));
    expect(text).not.toMatch(/"botToken":"/);
    expect(CHANNEL_SECRET_ENV_VARS.telegram).toMatch(/^[A-Z][A-Z0-9_]{0,127}$/);
  });

  it('replaces the lists it owns wholesale', () => {
    expect(RUNTIME_REPLACE_PATHS).toEqual([
      'agents.defaults.model',
      'agents.defaults.heartbeat',
      'tools.allow',
      'channels.telegram.allowFrom',
      'channels.whatsapp.allowFrom',
      'channels.signal.allowFrom',
    ]);
  });
});
