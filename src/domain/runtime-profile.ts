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
