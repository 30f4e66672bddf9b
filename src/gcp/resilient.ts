/**
 * Transient errors retried where they happen: every call of every Google client goes through this
 * wrapper, which retries 503s, rate limits and ABORTED conflicts a few times with jittered backoff and
 * turns whatever is left into a GcpError. Retrying single calls matters: an activity makes a dozen
 * calls, and retrying the whole activity for one 503 multiplies the work and the wait. Non-idempotent
 * creates are safe to retry because every create names its resource (a repeat is ALREADY_EXISTS, which
 * the activities adopt by label) or carries a requestId.
 */
import { normalizeGcpError, type GcpErrorKind } from './errors.js';
import type { CallPacer, RateLimiter } from './rate-limiter.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Total tries per call, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5000 };

const RETRIED: ReadonlySet<GcpErrorKind> = new Set(['TRANSIENT', 'RATE_LIMITED', 'CONFLICT']);

/** Methods that are not remote calls, or return streams and iterators rather than one promise. */
const PASS_THROUGH = /^(close|initialize|getProjectId|constructor|then|.*Async|.*Stream|.*Path|match.*)$/;

function delayFor(kind: GcpErrorKind, attempt: number, policy: RetryPolicy): number {
  // A rate limit is a per-minute window: back off harder than for a blip.
  const base = kind === 'RATE_LIMITED' ? policy.baseDelayMs * 4 : policy.baseDelayMs;
  const exp = Math.min(policy.maxDelayMs, base * 2 ** (attempt - 1));
  return exp / 2 + Math.random() * (exp / 2);
}


/**
 * Retries `call` on transient errors. With a pacer, every attempt after the first waits for its slot
 * under the project's rate quota (the first was paced by the caller), and outcomes adapt the pace.
 */
export async function retryTransient<T>(
  action: string,
  call: () => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY,
  pacer?: CallPacer,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await call();
      pacer?.succeeded();
      return result;
    } catch (error) {
      const e = normalizeGcpError(error, action);
      if (e.kind === 'RATE_LIMITED') pacer?.rateLimited();
      if (!RETRIED.has(e.kind) || attempt >= policy.attempts) throw e;
      await sleep(delayFor(e.kind, attempt, policy));
      await pacer?.acquire();
    }
  }
}

function isPromise(v: unknown): v is Promise<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Wraps a client so every method that returns a promise is retried and normalised. `deep` also wraps
 * nested resource objects (googleapis' `iam.projects.serviceAccounts`).
 */
export interface ResilienceOptions {
  readonly deep?: boolean;
  readonly policy?: RetryPolicy;
  /** Paces calls under the project's rate quotas (shared by every client of a process). */
  readonly limiter?: RateLimiter;
}

export function resilient<T extends object>(target: T, name: string, options: ResilienceOptions = {}): T {
  const nested = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(obj, prop) {
      const value: unknown = Reflect.get(obj, prop, obj);
      if (typeof prop !== 'string' || prop.startsWith('_') || PASS_THROUGH.test(prop)) {
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(obj) : value;
      }
      if (typeof value === 'function') {
        const fn = value as (...a: unknown[]) => unknown;
        return (...args: unknown[]) => {
          const pacer = options.limiter?.pacerFor(name, prop, args[0]);
          // Only remote calls have a pacer (PASS_THROUGH and unknown methods have none), and they return promises.
          const first = pacer ? pacer.acquire().then(() => fn.apply(obj, args)) : fn.apply(obj, args);
          if (!isPromise(first)) return first;
          let used = false;
          return retryTransient(`${name}.${prop}`, () => {
            if (!used) {
              used = true;
              return first;
            }
            return fn.apply(obj, args) as Promise<unknown>;
          }, options.policy, pacer);
        };
      }
      if (options.deep && value && typeof value === 'object') {
        if (!nested.has(prop)) nested.set(prop, resilient(value, `${name}.${prop}`, options));
        return nested.get(prop);
      }
      return value;
    },
  });
}
