/**
 * The health watch's rules, as pure functions: what makes a Ready agent unhealthy (a stale heartbeat, a
 * reported health other than ok, an instance not RUNNING), and how many automatic restarts an agent gets
 * before it is marked Unhealthy and left to an admin. The workflows and the CLI share these.
 */
import { HEARTBEAT_STALE_AFTER_MS } from './guest-contract.js';
import { InvalidInputError } from './invalid-input.js';
import type { ReportedSpend } from './runtime-profile.js';

export interface HealthWatchSettings {
  /** Time between two checks of every watched agent. */
  readonly checkIntervalMs: number;
  /** A heartbeat older than this is a hung agent. */
  readonly staleAfterMs: number;
  /** Consecutive bad checks before an agent counts as unhealthy (one slow heartbeat is not a failure). */
  readonly unhealthyAfterChecks: number;
  /** Automatic restarts allowed within `restartWindowMs`; one more failure marks the agent Unhealthy. */
  readonly maxAutoRestarts: number;
  readonly restartWindowMs: number;
}

export const DEFAULT_HEALTH_WATCH: HealthWatchSettings = {
  checkIntervalMs: 30_000,
  staleAfterMs: HEARTBEAT_STALE_AFTER_MS,
  unhealthyAfterChecks: 2,
  maxAutoRestarts: 3,
  restartWindowMs: 3_600_000,
};

/** What one check saw of an agent (no secret, no payload: describe-level reads only). */
export interface AgentObservation {
  readonly agent: string;
  /** Epoch ms of the reads. */
  readonly observedAt: number;
  readonly instanceStatus?: string;
  readonly heartbeatAt?: number;
  readonly health?: string;
  readonly version?: string;
  /** This month's spend the guest reports (agents with a runtime profile). */
  readonly spend?: ReportedSpend;
  /** The reads failed (a transient error, a permission): no verdict this time. */
  readonly readError?: string;
}

/** Why an agent is unhealthy, or undefined when it is healthy. */
export function unhealthyReason(o: AgentObservation, now: number, staleAfterMs: number): string | undefined {
  if (o.instanceStatus !== 'RUNNING') return `instance is ${o.instanceStatus ?? 'missing'}`;
  if (!o.heartbeatAt) return 'no heartbeat';
  const age = now - o.heartbeatAt;
  if (age > staleAfterMs) return `last heartbeat ${Math.round(age / 1000)}s ago`;
  if (o.health !== 'ok') return `guest reports health ${o.health ?? 'none'}`;
  return undefined;
}

/** Automatic restarts still inside the window (epoch ms of each). */
export function restartsInWindow(restarts: readonly number[], now: number, windowMs: number): number[] {
  return restarts.filter((t) => now - t < windowMs);
}

/** May the watch restart this agent once more, or has it used its budget? */
export function mayAutoRestart(restarts: readonly number[], now: number, settings: HealthWatchSettings): boolean {
  return restartsInWindow(restarts, now, settings.restartWindowMs).length < settings.maxAutoRestarts;
}

function positiveInteger(value: unknown, field: string, min: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min) throw new InvalidInputError(field, `must be a whole number of at least ${min}`);
  return n;
}

export interface RawHealthWatchSettings {
  readonly checkIntervalMs?: number;
  readonly staleAfterMs?: number;
  readonly unhealthyAfterChecks?: unknown;
  readonly maxAutoRestarts?: unknown;
  readonly restartWindowMs?: number;
}

/** Validated settings; absent fields take the defaults. Durations arrive already parsed to ms. */
export function parseHealthWatchSettings(raw: RawHealthWatchSettings): HealthWatchSettings {
  const d = DEFAULT_HEALTH_WATCH;
  const checkIntervalMs = raw.checkIntervalMs ?? d.checkIntervalMs;
  const staleAfterMs = raw.staleAfterMs ?? d.staleAfterMs;
  if (checkIntervalMs < 100) throw new InvalidInputError('--health-check-interval', 'must be at least 100ms');
  if (staleAfterMs < checkIntervalMs) throw new InvalidInputError('--heartbeat-stale-after', 'must be at least the health check interval');
  return {
    checkIntervalMs,
    staleAfterMs,
    unhealthyAfterChecks: raw.unhealthyAfterChecks === undefined ? d.unhealthyAfterChecks : positiveInteger(raw.unhealthyAfterChecks, '--unhealthy-after-checks', 1),
    maxAutoRestarts: raw.maxAutoRestarts === undefined ? d.maxAutoRestarts : positiveInteger(raw.maxAutoRestarts, '--max-auto-restarts', 0),
    restartWindowMs: raw.restartWindowMs ?? d.restartWindowMs,
  };
}
