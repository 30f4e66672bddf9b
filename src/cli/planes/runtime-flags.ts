/**
 * The runtime profile's flags (runtime-profile.ts), shared by `planes add-agent` and `planes update-agent`:
 * declared once, read into a RawRuntimeProfile that the domain parser validates (errors name the flag).
 */
import type { Command } from 'commander';
import { InvalidInputError } from '../../domain/invalid-input.js';
import {
  hasRuntimeFields,
  MODEL_TIERS,
  parseRuntimeProfile,
  TOOL_PROFILES,
  type AgentRuntimeProfile,
  type RawRuntimeProfile,
} from '../../domain/runtime-profile.js';

export interface RuntimeFlagOptions {
  channels?: string;
  modelTier?: string;
  heartbeat?: string;
  thinkingClock?: string;
  tools?: string;
  budgetCap?: string;
  budgetAction?: string;
  channelOwner?: string;
}

/**
 * `prefix` names a family of the same flags: `default` gives `planes create --default-heartbeat ...`
 * (the plane's default profile for new agents).
 */
export function addRuntimeFlags(command: Command, prefix = ''): Command {
  const flag = (name: string) => (prefix ? `--${prefix}-${name}` : `--${name}`);
  const about = (text: string) => (prefix ? `${text} [new agents' default]` : text);
  return command
    .option(`${flag('channels')} <list>`, about('messaging channels: telegram,whatsapp,signal (owners pair or set their tokens; see planes secrets set)'))
    .option(`${flag('model-tier')} <tier>`, about(`model tier: ${MODEL_TIERS.join(', ')}`))
    .option(`${flag('heartbeat')} <interval>`, about("OpenClaw's heartbeat cadence, 1m to 24h (default 30m)"))
    .option(`${flag('thinking-clock')} <interval[:model]>`, about('a cheap model waking the agent at this interval and escalating to the main model (off to remove)'))
    .option(`${flag('tools')} <allowlist>`, about(`tool allowlist (read,group:web,...), optionally profile:<${TOOL_PROFILES.join('|')}>; default for OpenClaw's own`))
    .option(`${flag('budget-cap')} <usd>`, about('monthly spend cap in USD (none to remove); alerts at 80%, 95%, 100%'))
    .option(`${flag('budget-action')} <action>`, about('at 100% of the cap: degrade (economy tier) or pause (default degrade)'))
    .option(
      `${flag('channel-owner')} <pairs>`,
      about("the owner's id per channel, for owner-only DMs: telegram=<user id>,whatsapp=<+E.164>,signal=<+E.164>"),
    );
}

/** The given flags of the family `prefix` (commander's camelCase option names), as raw profile fields. */
export function runtimeFlags(o: RuntimeFlagOptions | Record<string, unknown>, prefix = ''): RawRuntimeProfile {
  const options = o as Record<string, unknown>;
  const read = (name: keyof RuntimeFlagOptions) => options[prefix ? `${prefix}${name[0]!.toUpperCase()}${name.slice(1)}` : name];
  const raw: RawRuntimeProfile = {
    channels: read('channels'),
    modelTier: read('modelTier'),
    heartbeat: read('heartbeat'),
    thinkingClock: read('thinkingClock'),
    tools: read('tools'),
    budgetCap: read('budgetCap'),
    budgetAction: read('budgetAction'),
    channelOwners: read('channelOwner'),
  };
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)) as RawRuntimeProfile;
}

/** The plane's default profile from `planes create --default-*`; errors name the `--default-` flag. */
export function defaultRuntimeFlags(o: Record<string, unknown>): AgentRuntimeProfile | undefined {
  const raw = runtimeFlags(o, 'default');
  if (!hasRuntimeFields(raw)) return undefined;
  try {
    return parseRuntimeProfile(raw);
  } catch (error) {
    if (error instanceof InvalidInputError && error.field.startsWith('--')) throw new InvalidInputError(`--default-${error.field.slice(2)}`, error.rule);
    throw error;
  }
}
