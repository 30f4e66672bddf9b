/**
 * A rolling upgrade request, validated from raw input (CLI flags or the plane's Update argument). The
 * parser throws InvalidInputError naming the flag, so the CLI and the plane's validator give the same
 * one-line errors.
 */
import { InvalidInputError } from './invalid-input.js';
import { parseAgentName, parseAgentVersion, type AgentName, type AgentVersion } from './names.js';

export interface UpgradeRequest {
  readonly toVersion: AgentVersion;
  /** Agents upgraded first; the rollout continues only when every one of them is healthy. 0 = no canary. */
  readonly canary: number;
  /** At most this many agents are being upgraded (or rolled back) at any moment. */
  readonly maxUnavailable: number;
  /** How long one agent may take to report the new version and healthy. */
  readonly healthTimeoutMs: number;
  /**
   * Only these agents (e.g. `planes update-agent --agent-version`): absent, the whole plane. The plane
   * checks they are in its roster; a subset upgrade never moves the plane's own version.
   */
  readonly agents?: readonly AgentName[];
}

export interface RawUpgradeRequest {
  toVersion?: unknown;
  canary?: unknown;
  maxUnavailable?: unknown;
  healthTimeoutMs?: unknown;
  agents?: unknown;
}

export const DEFAULT_UPGRADE = { canary: 1, maxUnavailable: 1, healthTimeoutMs: 10 * 60_000 } as const;

export function wholeNumber(value: unknown, field: string, min: number, max: number): number {
  const n = typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new InvalidInputError(field, `must be a whole number from ${min} to ${max}`);
  }
  return n;
}

export function parseUpgradeRequest(raw: RawUpgradeRequest): UpgradeRequest {
  const toVersion = parseAgentVersion(raw.toVersion, '--version');
  const canary = raw.canary === undefined ? DEFAULT_UPGRADE.canary : wholeNumber(raw.canary, '--canary', 0, 1000);
  const maxUnavailable =
    raw.maxUnavailable === undefined ? DEFAULT_UPGRADE.maxUnavailable : wholeNumber(raw.maxUnavailable, '--max-unavailable', 1, 1000);
  const healthTimeoutMs =
    raw.healthTimeoutMs === undefined
      ? DEFAULT_UPGRADE.healthTimeoutMs
      : wholeNumber(raw.healthTimeoutMs, '--health-timeout', 1000, 24 * 3_600_000);
  // Only present when given: a whole-plane request stays exactly what it always was.
  return { toVersion, canary, maxUnavailable, healthTimeoutMs, ...(raw.agents === undefined ? {} : { agents: parseUpgradeAgents(raw.agents) }) };
}

/** The agent subset of an upgrade: 1 to 1000 agent names, each once (errors name `--name`). */
export function parseUpgradeAgents(raw: unknown): AgentName[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > 1000) throw new InvalidInputError('--name', 'must name 1 to 1000 agents');
  const seen = new Set<string>();
  return raw.map((value) => {
    const name = parseAgentName(value, '--name');
    if (seen.has(name)) throw new InvalidInputError('--name', `agent ${name} is named twice`);
    seen.add(name);
    return name;
  });
}

/**
 * The rollout plan, deterministic from the roster: agents in name order; the first `canary` form the
 * canary, the rest waves of `maxUnavailable`. Within the canary, at most `maxUnavailable` at a time.
 */
export interface UpgradePlan {
  readonly canary: readonly string[];
  readonly waves: readonly (readonly string[])[];
}

export function planUpgrade(agents: readonly string[], canary: number, maxUnavailable: number): UpgradePlan {
  const ordered = [...agents].sort();
  const head = ordered.slice(0, canary);
  const rest = ordered.slice(canary);
  const waves: string[][] = [];
  for (let i = 0; i < rest.length; i += maxUnavailable) waves.push(rest.slice(i, i + maxUnavailable));
  return { canary: head, waves };
}

/** `items` in groups of at most `size`, in order. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
