/**
 * The runtime profile's flags (runtime-profile.ts), shared by `planes add-agent` and `planes update-agent`:
 * declared once, read into a RawRuntimeProfile that the domain parser validates (errors name the flag).
 */
import type { Command } from 'commander';
import { MODEL_TIERS, TOOL_PROFILES, type RawRuntimeProfile } from '../../domain/runtime-profile.js';

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

export function addRuntimeFlags(command: Command): Command {
  return command
    .option('--channels <list>', 'messaging channels: telegram,whatsapp,signal (owners pair or set their tokens; see planes secrets set)')
    .option('--model-tier <tier>', `model tier: ${MODEL_TIERS.join(', ')}`)
    .option('--heartbeat <interval>', "OpenClaw's heartbeat cadence, 1m to 24h (default 30m)")
    .option('--thinking-clock <interval[:model]>', 'a cheap model waking the agent at this interval and escalating to the main model (off to remove)')
    .option('--tools <allowlist>', `tool allowlist (read,group:web,...), optionally profile:<${TOOL_PROFILES.join('|')}>; default for OpenClaw's own`)
    .option('--budget-cap <usd>', "monthly spend cap in USD (none to remove); alerts at 80%, 95%, 100%")
    .option('--budget-action <action>', 'at 100% of the cap: degrade (economy tier) or pause (default degrade)')
    .option('--channel-owner <pairs>', "the owner's id per channel, for owner-only DMs: telegram=<user id>,whatsapp=<+E.164>,signal=<+E.164>");
}

export function runtimeFlags(o: RuntimeFlagOptions): RawRuntimeProfile {
  const raw: RawRuntimeProfile = {
    channels: o.channels,
    modelTier: o.modelTier,
    heartbeat: o.heartbeat,
    thinkingClock: o.thinkingClock,
    tools: o.tools,
    budgetCap: o.budgetCap,
    budgetAction: o.budgetAction,
    channelOwners: o.channelOwner,
  };
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)) as RawRuntimeProfile;
}
