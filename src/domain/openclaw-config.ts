/**
 * The part of OpenClaw's config (`openclaw.json`) the plane owns on every agent: the gateway listens on
 * loopback only (the owner reaches it through an IAP SSH tunnel) and requires a token that is read from
 * the environment, so the file never holds a secret. Everything else in the file belongs to the owner.
 *
 * Schema source: the `openclaw` npm package, version 2026.9.6 (the pinned default), file
 * dist/zod-schema-B-u3AXjg.mjs: `OpenClawSchemaShape` (root, a strictObject), `GatewayConfigSchema`
 * (`gateway`, strict), its `auth` strictObject, and `update` (strict); SecretRef shapes in
 * dist/zod-schema.core-DyJd-bbI.mjs (`EnvSecretRefSchema`: source "env", provider /^[a-z][a-z0-9_-]{0,63}$/,
 * id /^[A-Z][A-Z0-9_]{0,127}$/). Docs in the same package: docs/gateway/config-gateway.md,
 * docs/gateway/config-secrets-env.md. Strict objects reject unknown keys and the gateway refuses to start
 * on an invalid config, so this builder emits only keys those schemas declare (the unit test pins them).
 */
import { CHANNEL_KINDS, MODEL_TIER_MODELS, type AgentRuntimeProfile, type ChannelKind, type ToolProfile } from './runtime-profile.js';

/** OpenClaw's default gateway port (docs/gateway/config-gateway.md). */
export const GATEWAY_PORT = 18789;

/**
 * The environment variable carrying the gateway token. It is also the name OpenClaw itself falls back
 * to, and the key of the secret the plane generates for every agent (specs.ts GENERATED_SECRET_KEYS).
 */
export const GATEWAY_TOKEN_ENV_VAR = 'OPENCLAW_GATEWAY_TOKEN';

/**
 * Config paths the plane replaces wholesale at every boot (`openclaw config patch --replace-path`), so no
 * stale password or other auth mode survives next to the token. Other plane-owned keys merge.
 */
export const MANAGED_REPLACE_PATHS: readonly string[] = ['gateway.auth'];

/** `{ source: "env", provider, id }`: resolved from the process environment when the gateway starts. */
export interface EnvSecretRef {
  readonly source: 'env';
  readonly provider: 'default';
  readonly id: string;
}

export interface ManagedOpenClawConfig {
  readonly gateway: {
    /** "local" runs the gateway; without it `openclaw gateway run` refuses to start. */
    readonly mode: 'local';
    readonly port: number;
    /** 127.0.0.1 (and ::1) only. */
    readonly bind: 'loopback';
    readonly auth: {
      readonly mode: 'token';
      readonly token: EnvSecretRef;
    };
  };
  readonly update: {
    /** The plane pins and rolls out versions; OpenClaw must neither look for nor apply updates itself. */
    readonly checkOnStart: false;
    readonly auto: { readonly enabled: false };
  };
}

/**
 * The plane-managed config. A SecretRef rather than a `${VAR}` string: an unresolved ref fails closed at
 * startup (docs/gateway/config-gateway.md), while an unresolved substitution only warns.
 */
export function buildOpenClawConfig(): ManagedOpenClawConfig {
  return {
    gateway: {
      mode: 'local',
      port: GATEWAY_PORT,
      bind: 'loopback',
      auth: {
        mode: 'token',
        token: { source: 'env', provider: 'default', id: GATEWAY_TOKEN_ENV_VAR },
      },
    },
    update: {
      checkOnStart: false,
      auto: { enabled: false },
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// The runtime profile's part (runtime-profile.ts): model, heartbeat, tools and channels.
//
// Schema source, same package (openclaw@2026.9.6):
// - `agents`: AgentsSchema (strict; its superRefine requires at least one `agents.entries` entry) and
//   AgentDefaultsSchema in dist/zod-schema-B-u3AXjg.mjs; `model`: AgentModelSchema (primary, fallbacks),
//   `heartbeat`: HeartbeatSchema (every, model, lightContext, isolatedSession, ...) in
//   dist/zod-schema.agent-runtime-A2vJPWeP.mjs; docs/gateway/heartbeat.md.
// - `tools`: ToolsSchema (strict; CommonToolPolicyFields profile / allow / alsoAllow / deny, ...) and
//   ToolProfileSchema (minimal | coding | messaging | full), same file.
// - `channels`: ChannelsSchema (passthrough: channel sections belong to their plugins). Telegram:
//   TelegramConfigSchema in dist/config-schema-CENc4WRT.mjs (strict; `botToken` is a SecretInput, so an
//   env SecretRef; dmPolicy "allowlist" requires a non-empty allowFrom, refineChannelDmPolicy in
//   dist/config-schema-BJ55TtqJ.mjs; DmPolicySchema pairing | allowlist | open | disabled). WhatsApp and
//   Signal ship as external plugins, not in this package: their keys come from the package's reference,
//   docs/gateway/config-channels/personal-messaging.md (enabled, dmPolicy, allowFrom).
// test/fixtures/openclaw/2026.9.6-config-keys.json holds these key sets; the unit test pins every
// rendered key against it.
// ---------------------------------------------------------------------------------------------------

/** The agent id the plane configures (OpenClaw's default single agent). */
export const OPENCLAW_AGENT_ID = 'main';

/** Environment variable (and owner-set agent secret) holding each channel's credential, if it has one. */
export const CHANNEL_SECRET_ENV_VARS: Readonly<Record<ChannelKind, string | undefined>> = {
  // A BotFather token; WhatsApp (linked device, QR) and Signal (signal-cli link) keep their session in
  // OpenClaw's state directory after the owner pairs them: no credential to hand over.
  telegram: 'TELEGRAM_BOT_TOKEN',
  whatsapp: undefined,
  signal: undefined,
};

/** Config paths the runtime part replaces wholesale, so a removed tool or owner does not linger. */
export const RUNTIME_REPLACE_PATHS: readonly string[] = [
  'agents.defaults.model',
  'agents.defaults.heartbeat',
  'tools.allow',
  ...CHANNEL_KINDS.map((c) => `channels.${c}.allowFrom`),
];

interface RenderedChannel {
  readonly enabled: boolean;
  readonly dmPolicy?: 'allowlist' | 'disabled';
  readonly allowFrom?: readonly string[];
  readonly botToken?: EnvSecretRef;
}

export interface RuntimeOpenClawConfig {
  readonly agents: {
    readonly defaults: {
      readonly model: { readonly primary: string };
      readonly heartbeat: {
        readonly every: string;
        readonly model?: string;
        readonly lightContext?: boolean;
        readonly isolatedSession?: boolean;
      };
    };
    readonly entries: Readonly<Record<string, { readonly default: true }>>;
  };
  readonly tools?: { readonly profile?: ToolProfile; readonly allow?: readonly string[] };
  readonly channels: Readonly<Partial<Record<ChannelKind, RenderedChannel>>>;
}

/** OpenClaw's duration strings (parseDurationMs: ms, s, m, h). */
function openclawDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}

/**
 * The heartbeat cadence OpenClaw runs: the thinking clock's interval when the profile has one (the
 * cheap model is what wakes the agent), otherwise the profile's heartbeat.
 */
export function renderedHeartbeatMs(profile: AgentRuntimeProfile): number {
  return profile.thinkingClock?.intervalMs ?? profile.heartbeatMs;
}

/**
 * The runtime profile as OpenClaw config. Decisions:
 * - model tier → `agents.defaults.model.primary` (MODEL_TIER_MODELS);
 * - heartbeat → `agents.defaults.heartbeat.every`: OpenClaw's periodic agent turn;
 * - thinking clock → OpenClaw has one periodic wake, its heartbeat: with a clock it runs at the clock's
 *   interval on the cheap model (`heartbeat.model`, default the economy tier's), with a light context
 *   in an isolated session so a wake costs little; it escalates through the heartbeat's own contract
 *   (a notify reaches the owner's DM session, which answers on the primary model);
 * - tools → `tools.profile` (`profile:<name>`) and `tools.allow` (the rest); none → OpenClaw's default;
 * - each channel: enabled when in the profile, `enabled: false` otherwise (a merge cannot delete a
 *   section); DMs owner-only: `dmPolicy: "allowlist"` with the owner's id, or `"disabled"` until the
 *   profile has one (never "pairing" or "open", which let strangers in); Telegram's bot token is an env
 *   SecretRef to TELEGRAM_BOT_TOKEN, read from Secret Manager at boot (never in the file or metadata).
 */
export function buildRuntimeOpenClawConfig(profile: AgentRuntimeProfile): RuntimeOpenClawConfig {
  const clock = profile.thinkingClock;
  const profileEntry = profile.tools.map(String).find((t) => t.startsWith('profile:'));
  const allow = profile.tools.map(String).filter((t) => !t.startsWith('profile:'));
  const channels: Partial<Record<ChannelKind, RenderedChannel>> = {};
  for (const kind of CHANNEL_KINDS) {
    if (!profile.channels.includes(kind)) {
      channels[kind] = { enabled: false };
      continue;
    }
    const owner = profile.channelOwners?.[kind];
    const secret = CHANNEL_SECRET_ENV_VARS[kind];
    channels[kind] = {
      enabled: true,
      ...(owner ? { dmPolicy: 'allowlist' as const, allowFrom: [owner] } : { dmPolicy: 'disabled' as const }),
      ...(secret ? { botToken: { source: 'env' as const, provider: 'default' as const, id: secret } } : {}),
    };
  }
  return {
    agents: {
      defaults: {
        model: { primary: MODEL_TIER_MODELS[profile.modelTier] },
        heartbeat: {
          every: openclawDuration(renderedHeartbeatMs(profile)),
          ...(clock ? { model: clock.model ?? MODEL_TIER_MODELS.economy, lightContext: true, isolatedSession: true } : {}),
        },
      },
      entries: { [OPENCLAW_AGENT_ID]: { default: true } },
    },
    ...(profileEntry || allow.length > 0
      ? { tools: { ...(profileEntry ? { profile: profileEntry.slice('profile:'.length) as ToolProfile } : {}), ...(allow.length > 0 ? { allow } : {}) } }
      : {}),
    channels,
  };
}
