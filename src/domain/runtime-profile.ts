/**
 * An agent's runtime profile: what OpenClaw on its VM is configured to do, as opposed to the machine
 * it runs on. Admins set it per agent (or as a plane default) and change it later with
 * `planes update-agent`, which reconfigures the running agent in place.
 *
 * The profile holds no secret: channel credentials (a Telegram bot token) are Secret Manager secrets of
 * the agent, read at boot. The profile travels to the VM as JSON in instance metadata
 * (METADATA.runtimeProfile in guest-contract.ts), and the guest reports what it applied back through
 * guest attributes (GUEST_ATTRIBUTES.runtime, .channels, .spend).
 *
 * Contract shared by the provisioning side (parsing, roster, startup-script rendering, update-agent,
 * budget) and the guest side (the emulator's guest simulator, `planes connect`).
 */
import type { Brand } from './brand.js';
import { shortHash } from './hash.js';
import { InvalidInputError } from './invalid-input.js';

/** Messaging channels an agent can be reached on. */
export const CHANNEL_KINDS = ['telegram', 'whatsapp', 'signal'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/**
 * How a channel stands on the agent, as its guest reports it:
 * - `unconfigured`: in the profile, but its credential is missing (Telegram without a bot token);
 * - `pairing`: waiting for the owner to scan a pairing QR (WhatsApp, Signal);
 * - `connected`: linked and receiving messages from the owner;
 * - `failed`: the channel refused its credential or the link broke.
 */
export type ChannelState = 'unconfigured' | 'pairing' | 'connected' | 'failed';

/** Model tiers the plane maps to concrete models per provider (cheapest first). */
export const MODEL_TIERS = ['economy', 'standard', 'premium'] as const;
export type ModelTier = (typeof MODEL_TIERS)[number];

/** A model reference as OpenClaw spells it: `provider/model`, e.g. `anthropic/claude-haiku-4-5`. */
export type ModelRef = Brand<string, 'ModelRef'>;
/** A tool name or group OpenClaw's tool allowlist accepts, e.g. `group:web`, `read`. */
export type ToolName = Brand<string, 'ToolName'>;

/** The cheap periodic wake-up that decides whether to escalate to the main model. */
export interface ThinkingClock {
  readonly intervalMs: number;
  /** The cheap model it runs on; the tier's economy model when absent. */
  readonly model?: ModelRef;
}

/** What happens when the month's spend reaches the cap: never silent (status shows the alert). */
export type BudgetAction = 'degrade' | 'pause';

export interface Budget {
  readonly capUsdPerMonth: number;
  readonly action: BudgetAction;
}

export interface RuntimeProfile {
  readonly channels: readonly ChannelKind[];
  readonly modelTier: ModelTier;
  readonly heartbeatMs: number;
  readonly thinkingClock?: ThinkingClock;
  /** OpenClaw tool allowlist; empty means OpenClaw's own default profile. */
  readonly tools: readonly ToolName[];
  readonly budget?: Budget;
}

/** What the guest reports having spent this month (GUEST_ATTRIBUTES.spend, JSON). */
export interface ReportedSpend {
  /** `YYYY-MM`, UTC. A new month starts from zero. */
  readonly month: string;
  readonly tokens: number;
  readonly usd: number;
}

/** Budget alert thresholds, as fractions of the cap. */
export const BUDGET_ALERT_THRESHOLDS = [0.8, 0.95, 1] as const;

// ---------------------------------------------------------------------------------------------------
// Parsing, defaults and the wire form (provisioning side). Pure functions: workflows call them too.
// ---------------------------------------------------------------------------------------------------

/**
 * The owner's identity on each channel, for the owner-only DM allowlist (`dmPolicy: "allowlist"` with
 * `allowFrom: [id]`). Set by the admin with `--channel-owner telegram=123456789,whatsapp=+15551234567`.
 * Why a profile field rather than pairing-time approval: OpenClaw's "pairing" DM policy lets any
 * stranger who finds the bot request access, and its "allowlist" policy refuses to start without at
 * least one sender id; so the id has to be known when the config is rendered. A channel without an
 * owner id is rendered with DMs disabled (fail closed) until one is set with `planes update-agent`.
 */
export type ChannelOwners = Readonly<Partial<Record<ChannelKind, string>>>;

/** The profile as it is stored and sent to the VM: the contract's fields plus the owners' channel ids. */
export interface AgentRuntimeProfile extends RuntimeProfile {
  readonly channelOwners?: ChannelOwners;
}

/** Raw input from CLI flags or planes.yaml (strings, lists or numbers; validated here). */
export interface RawRuntimeProfile {
  channels?: unknown;
  modelTier?: unknown;
  heartbeat?: unknown;
  thinkingClock?: unknown;
  tools?: unknown;
  budgetCap?: unknown;
  budgetAction?: unknown;
  channelOwners?: unknown;
}

/** The flag each raw field comes from, for error lines (planes.yaml fields reuse the flag names). */
export const RUNTIME_PROFILE_FLAGS: Readonly<Record<keyof RawRuntimeProfile, string>> = {
  channels: '--channels',
  modelTier: '--model-tier',
  heartbeat: '--heartbeat',
  thinkingClock: '--thinking-clock',
  tools: '--tools',
  budgetCap: '--budget-cap',
  budgetAction: '--budget-action',
  channelOwners: '--channel-owner',
};

export const MIN_HEARTBEAT_MS = 60_000;
export const MAX_HEARTBEAT_MS = 24 * 3_600_000;
export const MAX_BUDGET_USD_PER_MONTH = 100_000;
export const MAX_TOOLS = 64;

/** What an agent gets when neither it nor its plane says otherwise: OpenClaw's own defaults. */
export const DEFAULT_RUNTIME_PROFILE: AgentRuntimeProfile = {
  channels: [],
  modelTier: 'standard',
  // OpenClaw's default heartbeat cadence (docs/gateway/heartbeat.md: 30m).
  heartbeatMs: 30 * 60_000,
  tools: [],
};

/**
 * Concrete models per tier (provider/model as OpenClaw spells it, docs/concepts/models.md). One table:
 * rendering, the thinking clock's default and the budget's degrade action all read it.
 */
export const MODEL_TIER_MODELS: Readonly<Record<ModelTier, ModelRef>> = {
  economy: 'anthropic/claude-haiku-4-5' as ModelRef,
  standard: 'anthropic/claude-sonnet-4-6' as ModelRef,
  premium: 'anthropic/claude-opus-4-6' as ModelRef,
};

/** OpenClaw's base tool profiles (ToolProfileSchema); `--tools profile:<name>` picks one. */
export const TOOL_PROFILES = ['minimal', 'coding', 'messaging', 'full'] as const;
export type ToolProfile = (typeof TOOL_PROFILES)[number];

const UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000 };
const MODEL_REF = /^[a-z][a-z0-9-]{0,31}\/[A-Za-z0-9][A-Za-z0-9._:-]{0,95}$/;
const TOOL_NAME = /^(?:group:)?[a-z][a-z0-9_.-]{0,63}$/;
const TOOL_PROFILE_ENTRY = /^profile:([a-z]+)$/;
const TELEGRAM_USER_ID = /^[1-9]\d{4,14}$/;
const E164 = /^\+[1-9]\d{6,14}$/;

function fail(field: keyof RawRuntimeProfile, rule: string): never {
  throw new InvalidInputError(RUNTIME_PROFILE_FLAGS[field], rule);
}

/** `90s`, `10m`, `1h`, `24h` → ms. */
function duration(value: unknown, field: keyof RawRuntimeProfile, rule: string): number {
  const m = typeof value === 'string' ? /^(\d{1,5})(s|m|h)$/.exec(value.trim()) : null;
  if (!m) fail(field, rule);
  return Number(m[1]) * (UNITS[m[2]!] ?? 0);
}

/** A comma-separated string or a list of strings → trimmed, non-empty entries. */
function list(value: unknown, field: keyof RawRuntimeProfile): string[] {
  const items = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : fail(field, 'must be a comma-separated list');
  return items.map((item) => {
    if (typeof item !== 'string') fail(field, 'must be a list of names');
    return item.trim();
  }).filter((item) => item !== '');
}

function parseChannels(value: unknown): ChannelKind[] {
  const channels = list(value, 'channels');
  for (const c of channels) {
    if (!(CHANNEL_KINDS as readonly string[]).includes(c)) fail('channels', `must be a list of ${CHANNEL_KINDS.join(', ')} (got ${printable(c)})`);
  }
  if (new Set(channels).size !== channels.length) fail('channels', 'lists a channel twice');
  // Fixed order: the same set always renders (and digests) the same.
  return CHANNEL_KINDS.filter((c) => channels.includes(c));
}

function parseModelTier(value: unknown): ModelTier {
  if (typeof value !== 'string' || !(MODEL_TIERS as readonly string[]).includes(value)) fail('modelTier', `must be one of ${MODEL_TIERS.join(', ')}`);
  return value as ModelTier;
}

function parseHeartbeat(value: unknown): number {
  const rule = 'must be a duration between 1m and 24h, such as 30m';
  const ms = duration(value, 'heartbeat', rule);
  if (ms < MIN_HEARTBEAT_MS || ms > MAX_HEARTBEAT_MS) fail('heartbeat', rule);
  return ms;
}

function parseThinkingClock(value: unknown): ThinkingClock {
  const rule = 'must be <interval>[:<provider/model>] with an interval between 1m and 24h, such as 15m or 15m:anthropic/claude-haiku-4-5';
  if (typeof value !== 'string') fail('thinkingClock', rule);
  const colon = value.indexOf(':');
  const intervalMs = duration(colon < 0 ? value : value.slice(0, colon), 'thinkingClock', rule);
  if (intervalMs < MIN_HEARTBEAT_MS || intervalMs > MAX_HEARTBEAT_MS) fail('thinkingClock', rule);
  if (colon < 0) return { intervalMs };
  const model = value.slice(colon + 1).trim();
  if (!MODEL_REF.test(model)) fail('thinkingClock', rule);
  return { intervalMs, model: model as ModelRef };
}

function parseTools(value: unknown): ToolName[] {
  const tools = list(value, 'tools');
  if (tools.length > MAX_TOOLS) fail('tools', `must list at most ${MAX_TOOLS} tools`);
  let profiles = 0;
  for (const t of tools) {
    const profile = TOOL_PROFILE_ENTRY.exec(t);
    if (profile) {
      if (!(TOOL_PROFILES as readonly string[]).includes(profile[1]!)) fail('tools', `profile must be one of ${TOOL_PROFILES.join(', ')}`);
      profiles += 1;
    } else if (!TOOL_NAME.test(t)) {
      fail('tools', `must be tool names or groups such as read, group:web, or profile:<${TOOL_PROFILES.join('|')}> (got ${printable(t)})`);
    }
  }
  if (profiles > 1) fail('tools', 'names at most one profile:<name>');
  if (new Set(tools).size !== tools.length) fail('tools', 'lists a tool twice');
  return tools as ToolName[];
}

function parseBudgetCap(value: unknown): number | undefined {
  if (value === 'none' || value === 0 || value === '0') return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,6}(\.\d{1,2})?$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > MAX_BUDGET_USD_PER_MONTH) {
    fail('budgetCap', `must be a monthly amount in USD greater than 0 and at most ${MAX_BUDGET_USD_PER_MONTH}, such as 50 or 12.5 (or none)`);
  }
  return Math.round(n * 100) / 100;
}

function parseBudgetAction(value: unknown): BudgetAction {
  if (value !== 'degrade' && value !== 'pause') fail('budgetAction', 'must be degrade or pause');
  return value;
}

function parseChannelOwners(value: unknown): ChannelOwners {
  const entries: [string, unknown][] =
    typeof value === 'string' || Array.isArray(value)
      ? list(value, 'channelOwners').map((e) => {
          const eq = e.indexOf('=');
          if (eq < 0) fail('channelOwners', 'must be <channel>=<id> pairs, such as telegram=123456789,whatsapp=+15551234567');
          return [e.slice(0, eq).trim(), e.slice(eq + 1).trim()];
        })
      : typeof value === 'object' && value !== null
        ? Object.entries(value)
        : fail('channelOwners', 'must be <channel>=<id> pairs');
  const owners: Partial<Record<ChannelKind, string>> = {};
  for (const [channel, raw] of entries) {
    if (!(CHANNEL_KINDS as readonly string[]).includes(channel)) fail('channelOwners', `names an unknown channel ${printable(channel)}`);
    const id = typeof raw === 'number' ? String(raw) : raw;
    if (typeof id !== 'string') fail('channelOwners', `${channel} id must be a string`);
    if (channel === 'telegram' ? !TELEGRAM_USER_ID.test(id) : !E164.test(id)) {
      fail('channelOwners', channel === 'telegram' ? 'telegram id must be the numeric Telegram user id' : `${channel} id must be a phone number in E.164 form, such as +15551234567`);
    }
    owners[channel as ChannelKind] = id;
  }
  return owners;
}

function printable(s: string): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}...` : clean;
}

/**
 * A validated profile: the fields given in `raw` over `base` (the plane's default for a new agent, the
 * agent's current profile for `planes update-agent`). Throws InvalidInputError naming the flag.
 */
export function parseRuntimeProfile(raw: RawRuntimeProfile, base: AgentRuntimeProfile = DEFAULT_RUNTIME_PROFILE): AgentRuntimeProfile {
  if (typeof raw !== 'object' || raw === null) throw new InvalidInputError('runtime', 'must be an object');
  for (const key of Object.keys(raw)) {
    if (!(key in RUNTIME_PROFILE_FLAGS)) throw new InvalidInputError(`runtime.${printable(key)}`, `is not a runtime profile field (${Object.keys(RUNTIME_PROFILE_FLAGS).join(', ')})`);
  }
  const channels = raw.channels === undefined ? base.channels : parseChannels(raw.channels);
  const modelTier = raw.modelTier === undefined ? base.modelTier : parseModelTier(raw.modelTier);
  const heartbeatMs = raw.heartbeat === undefined ? base.heartbeatMs : parseHeartbeat(raw.heartbeat);
  const thinkingClock =
    raw.thinkingClock === undefined ? base.thinkingClock : raw.thinkingClock === 'off' ? undefined : parseThinkingClock(raw.thinkingClock);
  const tools = raw.tools === undefined ? base.tools : raw.tools === 'default' ? [] : parseTools(raw.tools);
  const cap = raw.budgetCap === undefined ? base.budget?.capUsdPerMonth : parseBudgetCap(raw.budgetCap);
  const action = raw.budgetAction === undefined ? (base.budget?.action ?? 'degrade') : parseBudgetAction(raw.budgetAction);
  if (raw.budgetAction !== undefined && cap === undefined) fail('budgetAction', 'needs a --budget-cap');
  const owners = raw.channelOwners === undefined ? base.channelOwners : { ...base.channelOwners, ...parseChannelOwners(raw.channelOwners) };
  return {
    channels,
    modelTier,
    heartbeatMs,
    ...(thinkingClock ? { thinkingClock } : {}),
    tools,
    ...(cap !== undefined ? { budget: { capUsdPerMonth: cap, action } } : {}),
    ...(owners && Object.keys(owners).length > 0 ? { channelOwners: sortedOwners(owners) } : {}),
  };
}

function sortedOwners(owners: ChannelOwners): ChannelOwners {
  return Object.fromEntries(CHANNEL_KINDS.filter((c) => owners[c] !== undefined).map((c) => [c, owners[c]]));
}

/** True when `raw` sets at least one field (update-agent needs something to change). */
export function hasRuntimeFields(raw: RawRuntimeProfile): boolean {
  return Object.values(raw).some((v) => v !== undefined);
}

/** The agent's effective profile: its own, or the defaults (agents added before profiles existed). */
export function effectiveRuntimeProfile(profile: AgentRuntimeProfile | undefined): AgentRuntimeProfile {
  return profile ?? DEFAULT_RUNTIME_PROFILE;
}

/**
 * The wire form (METADATA.runtimeProfile): JSON with a fixed key order, so the same profile is always
 * the same string and the same digest.
 */
export function runtimeProfileJson(profile: AgentRuntimeProfile): string {
  return JSON.stringify({
    channels: profile.channels,
    modelTier: profile.modelTier,
    heartbeatMs: profile.heartbeatMs,
    ...(profile.thinkingClock
      ? { thinkingClock: { intervalMs: profile.thinkingClock.intervalMs, ...(profile.thinkingClock.model ? { model: profile.thinkingClock.model } : {}) } }
      : {}),
    tools: profile.tools,
    ...(profile.budget ? { budget: { capUsdPerMonth: profile.budget.capUsdPerMonth, action: profile.budget.action } } : {}),
    ...(profile.channelOwners ? { channelOwners: sortedOwners(profile.channelOwners) } : {}),
  });
}

/**
 * Digest of the wire form (FNV-1a, hash.ts: it runs in workflow code). The guest reports the digest of
 * the value it applied (GUEST_ATTRIBUTES.runtime), so the plane knows when a change has landed.
 */
export function runtimeProfileDigest(profileJson: string): string {
  return shortHash(profileJson);
}

/** What the guest reports in GUEST_ATTRIBUTES.runtime. */
export interface AppliedRuntime {
  readonly digest: string;
  /** The OpenClaw heartbeat cadence it configured, in seconds. */
  readonly heartbeatSeconds: number;
}

/** Human form of a duration in ms: 30m, 1h, 90s. */
export function formatInterval(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}
