/**
 * Client-side pacing of Google API calls, per project and per quota group, so that a fleet operation
 * stays under each API's per-minute rate quota instead of discovering it through 429s.
 *
 * GCP counts calls per 60-second window, per project and per group of methods (compute mutations,
 * compute reads, IAM writes, Secret Manager writes, ...). A worker paces each group at a fraction of its
 * quota (a GCRA token bucket: calls are spread evenly, with a small burst; and, at the moment a call
 * goes, a count of the calls really sent in the trailing window, which late timers cannot fool), and adapts: a rate-limit
 * answer halves the group's rate (another worker or tool shares the quota, or the project's limit is
 * lower than configured) — once per burst of refusals, not once per refused call — and every success
 * wins a little of it back, up to the configured ceiling
 * (additive increase, multiplicative decrease). Several workers on one project therefore converge on
 * a fair share without talking to each other.
 */

import { GCP_RATE_QUOTAS, QUOTA_WINDOW_MS, type QuotaGroup } from '../domain/gcp-rate-quotas.js';
import { InvalidInputError } from '../domain/invalid-input.js';
import { setTimeout as sleep } from 'node:timers/promises';

const QUOTA_GROUPS = new Set<string>(Object.keys(GCP_RATE_QUOTAS));

/** The share of a quota a worker aims for: room for the CLI, the dashboard and other tools. */
const HEADROOM = 0.9;
/** Calls that may go at once before pacing starts, as a share of the per-window rate. */
const BURST_SHARE = 0.05;
/** After rate limits, a group never drops below this share of its ceiling. */
const FLOOR_SHARE = 0.02;
/** Each success gives back this share of the ceiling. */
const RECOVERY_SHARE = 0.01;

const READ_METHOD = /^(get|list|aggregatedList|testIamPermissions|wait)/;

/**
 * The quota group of a client method, as GCP counts it. `client` is the name the client wrapper gives
 * (`compute.instances`, `secretmanager`, `iam.projects.serviceAccounts`, `resourcemanager.projects`,
 * `iap`), `method` the client's method (`insert`, `accessSecretVersion`, `setIamPolicy`, ...).
 */
export function quotaGroupOf(client: string, method: string): QuotaGroup | undefined {
  const service = client.slice(0, client.includes('.') ? client.indexOf('.') : undefined);
  const read = READ_METHOD.test(method);
  if (service === 'compute') {
    if (/^compute\.(zone|region|global)Operations$/.test(client)) return 'compute.operations';
    if (method === 'list' || method === 'aggregatedList') return 'compute.lists';
    return read ? 'compute.reads' : 'compute.mutations';
  }
  if (service === 'secretmanager' && method === 'accessSecretVersion') return 'secretmanager.access';
  const group = `${service}.${read ? 'reads' : 'writes'}`;
  return QUOTA_GROUPS.has(group) ? (group as QuotaGroup) : undefined;
}

/** The project a call is about, from its request: compute's `project`, or a `projects/<id>/…` name. */
export function projectOfRequest(request: unknown): string | undefined {
  if (!request || typeof request !== 'object') return undefined;
  const r = request as Record<string, unknown>;
  if (typeof r.project === 'string') return r.project;
  for (const field of ['name', 'parent', 'resource']) {
    const value = r[field];
    if (typeof value === 'string') {
      const m = /(?:^|\/)projects\/([^/]+)/.exec(value);
      // IAM's `projects/-/serviceAccounts/…` names the project through the account's email.
      if (m && m[1] !== '-') return m[1];
      const email = /@([a-z][-a-z0-9]*)\.iam\.gserviceaccount\.com/.exec(value);
      if (email) return email[1];
    }
  }
  return undefined;
}

/**
 * One project's quota group: a GCRA bucket whose rate moves between a floor and the configured
 * ceiling, and the log of calls sent in the trailing window. Pure arithmetic on the `now` it is given.
 */
export class GroupPace {
  /** Theoretical arrival time of the next call (epoch ms). */
  private tat = 0;
  private perWindow: number;
  /**
   * Bumped at every slow-down. A rate-limit answer to a call reserved before the last slow-down says
   * nothing new (it was sent at the old pace): halving again for it would collapse the pace when a whole
   * burst is refused at once.
   */
  generation = 0;

  constructor(
    private readonly ceiling: number,
    private readonly windowMs: number,
  ) {
    this.perWindow = ceiling;
  }

  private get intervalMs(): number {
    return this.windowMs / this.perWindow;
  }

  /** When the calls of the trailing window were sent (oldest first, from `head`). */
  private sent: number[] = [];
  private head = 0;

  /** Reserves the next slot; returns how long the caller must wait for it. */
  reserve(now: number): number {
    const burstMs = Math.max(1, this.ceiling * BURST_SHARE) * this.intervalMs;
    const tat = Math.max(this.tat, now);
    const allowedAt = tat - burstMs;
    this.tat = tat + this.intervalMs;
    return Math.max(0, allowedAt - now);
  }

  /**
   * The last word, just before a call goes: timers that fired late (a busy event loop) can release
   * several slots at once, so the calls really sent in the trailing window are counted too. Returns 0
   * and records the send when it fits, else how long until it would.
   */
  admit(now: number): number {
    while (this.head < this.sent.length && this.sent[this.head]! <= now - this.windowMs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.sent.length) {
      this.sent = this.sent.slice(this.head);
      this.head = 0;
    }
    const cap = Math.max(1, Math.floor(this.perWindow * (1 + BURST_SHARE)));
    const inWindow = this.sent.length - this.head;
    if (inWindow >= cap) return this.sent[this.sent.length - cap]! + this.windowMs - now + 1;
    this.sent.push(now);
    return 0;
  }

  rateLimited(now: number, reservedInGeneration: number): void {
    if (reservedInGeneration !== this.generation) return;
    this.generation++;
    this.perWindow = Math.max(this.ceiling * FLOOR_SHARE, this.perWindow / 2);
    // Spend the burst: the window that refused us is full.
    this.tat = Math.max(this.tat, now + Math.max(1, this.ceiling * BURST_SHARE) * this.intervalMs);
  }

  succeeded(): void {
    this.perWindow = Math.min(this.ceiling, this.perWindow + this.ceiling * RECOVERY_SHARE);
  }

  get rate(): number {
    return this.perWindow;
  }
}

export interface RateLimiterOptions {
  /** Per-window limits by group (the project's real quotas when raised); defaults are GCP's. */
  readonly quotas?: Readonly<Partial<Record<QuotaGroup, number>>>;
  /** Length of a quota window (60 s; shorter against an emulator running on scaled time). */
  readonly windowMs?: number;
  readonly now?: () => number;
}

export interface RateLimiterStats {
  readonly calls: number;
  /** Calls that had to wait for their slot, and the total wait. */
  readonly delayed: number;
  readonly delayedMs: number;
  readonly rateLimited: number;
  /** Current pace per `project group`, calls per window (only groups that were slowed down). */
  readonly slowed: Readonly<Record<string, number>>;
}

/** A pacer for one call (and its retries): acquire before each attempt, then report how it went. */
export interface CallPacer {
  /** Resolves when the call may be sent (call it right away, synchronously). */
  acquire(): Promise<void>;
  succeeded(): void;
  rateLimited(): void;
}


export class RateLimiter {
  private readonly paces = new Map<string, GroupPace>();
  private readonly ceilings: Readonly<Record<QuotaGroup, number>>;
  private readonly windowMs: number;
  private readonly now: () => number;
  private stats = { calls: 0, delayed: 0, delayedMs: 0, rateLimited: 0 };

  constructor(options: RateLimiterOptions = {}) {
    this.ceilings = { ...GCP_RATE_QUOTAS, ...options.quotas } as Record<QuotaGroup, number>;
    this.windowMs = options.windowMs ?? QUOTA_WINDOW_MS;
    this.now = options.now ?? Date.now;
  }

  /**
   * From AGENTS_PLANE_GCP_RATE_QUOTAS (`group=n,…` per window, e.g. `iam.writes=1200` for a raised
   * quota) and AGENTS_PLANE_GCP_QUOTA_WINDOW_MS. Throws on a malformed value: a limiter silently
   * running on defaults would hide the operator's mistake.
   */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): RateLimiter {
    const quotas: Partial<Record<QuotaGroup, number>> = {};
    for (const entry of (env.AGENTS_PLANE_GCP_RATE_QUOTAS ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      const m = /^([a-z]+\.[a-z]+)=(\d+)$/.exec(entry);
      if (!m || !QUOTA_GROUPS.has(m[1]!) || Number(m[2]) < 1) {
        throw new InvalidInputError(
          'AGENTS_PLANE_GCP_RATE_QUOTAS',
          `"${entry}" must be group=n with n ≥ 1 and group one of ${[...QUOTA_GROUPS].join(', ')}`,
        );
      }
      quotas[m[1] as QuotaGroup] = Number(m[2]);
    }
    const windowText = env.AGENTS_PLANE_GCP_QUOTA_WINDOW_MS?.trim();
    const windowMs = windowText ? Number(windowText) : QUOTA_WINDOW_MS;
    if (!Number.isFinite(windowMs) || windowMs <= 0) {
      throw new InvalidInputError('AGENTS_PLANE_GCP_QUOTA_WINDOW_MS', `must be a number of ms > 0, got "${windowText}"`);
    }
    return new RateLimiter({ quotas, windowMs });
  }

  /** The pacer of a call, or undefined when the method counts against no known quota. */
  pacerFor(client: string, method: string, request: unknown): CallPacer | undefined {
    const group = quotaGroupOf(client, method);
    if (!group) return undefined;
    const key = `${projectOfRequest(request) ?? '*'} ${group}`;
    let pace = this.paces.get(key);
    if (!pace) {
      pace = new GroupPace(this.ceilings[group] * HEADROOM, this.windowMs);
      this.paces.set(key, pace);
    }
    const p = pace;
    let generation = p.generation;
    return {
      acquire: async () => {
        generation = p.generation;
        this.stats.calls++;
        const asked = this.now();
        let wait = p.reserve(asked);
        for (;;) {
          if (wait > 0) await sleep(wait);
          wait = p.admit(this.now());
          if (wait === 0) break;
        }
        const waited = this.now() - asked;
        if (waited > 0) {
          this.stats.delayed++;
          this.stats.delayedMs += waited;
        }
      },
      succeeded: () => p.succeeded(),
      rateLimited: () => {
        this.stats.rateLimited++;
        p.rateLimited(this.now(), generation);
      },
    };
  }

  snapshot(): RateLimiterStats {
    const slowed: Record<string, number> = {};
    for (const [key, pace] of this.paces) {
      const group = key.slice(key.indexOf(' ') + 1) as QuotaGroup;
      if (pace.rate < this.ceilings[group] * HEADROOM) slowed[key] = Math.round(pace.rate);
    }
    return { ...this.stats, delayedMs: Math.round(this.stats.delayedMs), slowed };
  }
}

/**
 * The limiter a worker runs with. Against the emulator, its quotas are the emulator's own (it tells its
 * limits and window, which runs on its scaled clock), unless the environment sets them; against real
 * GCP, GCP's defaults or the environment's.
 */
export async function rateLimiterFor(emulatorUrl: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<RateLimiter> {
  if (!emulatorUrl || env.AGENTS_PLANE_GCP_RATE_QUOTAS?.trim() || env.AGENTS_PLANE_GCP_QUOTA_WINDOW_MS?.trim()) return RateLimiter.fromEnv(env);
  let answer: { limits?: Record<string, number>; windowMs?: number };
  try {
    answer = (await (await fetch(`${emulatorUrl}/__emulator/quotas`)).json()) as typeof answer;
  } catch (error) {
    process.stderr.write(`gcp rate limiter: could not read the emulator's quotas (${String(error)}); using GCP's defaults\n`);
    return RateLimiter.fromEnv(env);
  }
  const quotas: Partial<Record<QuotaGroup, number>> = {};
  for (const group of QUOTA_GROUPS) {
    // Rate quotas off (latency scale 0): nothing to pace.
    const limit = answer.windowMs ? answer.limits?.[group] : UNLIMITED;
    if (typeof limit === 'number' && limit >= 1) quotas[group as QuotaGroup] = limit;
  }
  return new RateLimiter({ quotas, windowMs: answer.windowMs || QUOTA_WINDOW_MS });
}

const UNLIMITED = 1_000_000_000;
