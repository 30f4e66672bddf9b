/**
 * Per-project rate quotas, as GCP counts them: calls per 60-second window, per project and per group of
 * methods (compute mutations, compute reads, IAM writes, Secret Manager accesses, ...). The window is
 * emulated time, so it shrinks with the latency scale; at scale 0 (instant) rate quotas are off.
 * Over quota, compute answers 403 rateLimitExceeded and the newer APIs 429 RESOURCE_EXHAUSTED, both
 * with GCP's "Quota exceeded for quota metric ..." message.
 */
import { GCP_RATE_QUOTAS } from '../../domain/gcp-rate-quotas.js';
import { ApiError } from './contract.js';
import { isReadMethod } from './latency.js';

/** Limits per 60 s window, by group; defaults from gcp-latency-quota.md. */
export const DEFAULT_RATE_QUOTAS: Readonly<Record<string, number>> = GCP_RATE_QUOTAS;

const SERVICE_NAMES: Readonly<Record<string, string>> = {
  compute: 'compute.googleapis.com',
  iam: 'iam.googleapis.com',
  secretmanager: 'secretmanager.googleapis.com',
  resourcemanager: 'cloudresourcemanager.googleapis.com',
  iap: 'iap.googleapis.com',
};

/** The quota group a method id counts against. */
export function quotaGroupOf(methodId: string): string {
  const service = methodId.slice(0, methodId.indexOf('.'));
  const verb = methodId.slice(methodId.lastIndexOf('.') + 1);
  if (service === 'compute') {
    if (/^compute\.(zone|region|global)Operations\./.test(methodId)) return 'compute.operations';
    if (verb === 'list' || verb === 'aggregatedList') return 'compute.lists';
    return isReadMethod(methodId) ? 'compute.reads' : 'compute.mutations';
  }
  if (methodId === 'secretmanager.versions.access') return 'secretmanager.access';
  return `${service}.${isReadMethod(methodId) ? 'reads' : 'writes'}`;
}

const WINDOW_MS = 60_000;

interface Window {
  started: number;
  used: number;
}

export class RateQuotas {
  private readonly windows = new Map<string, Window>();
  private limits: Record<string, number>;

  constructor(
    /** Real milliseconds of one 60 s window (scaled); 0 turns rate quotas off. */
    private readonly windowRealMs: number,
    limits: Readonly<Record<string, number>> = {},
  ) {
    this.limits = { ...DEFAULT_RATE_QUOTAS, ...limits };
  }

  static forScale(scale: number, limits?: Readonly<Record<string, number>>): RateQuotas {
    return new RateQuotas(WINDOW_MS * scale, limits);
  }

  setLimits(limits: Readonly<Record<string, number>>): void {
    this.limits = { ...DEFAULT_RATE_QUOTAS, ...limits };
  }

  currentLimits(): Readonly<Record<string, number>> {
    return this.limits;
  }

  /** Real milliseconds of one window; 0 when rate quotas are off. */
  get windowMs(): number {
    return Math.max(0, this.windowRealMs);
  }

  /** Counts the call; throws GCP's rate-limit error when the project's window for its group is full. */
  consume(methodId: string, project: string | undefined, now = Date.now()): void {
    if (this.windowRealMs <= 0 || project === undefined) return;
    const group = quotaGroupOf(methodId);
    const limit = this.limits[group];
    if (limit === undefined) return;
    const key = `${project}\u0000${group}`;
    let window = this.windows.get(key);
    if (!window || now - window.started >= this.windowRealMs) {
      window = { started: now, used: 0 };
      this.windows.set(key, window);
    }
    if (window.used >= limit) throw rateLimitError(methodId, group, limit, project);
    window.used++;
  }

  reset(): void {
    this.windows.clear();
  }
}

function rateLimitError(methodId: string, group: string, limit: number, project: string): ApiError {
  const service = methodId.slice(0, methodId.indexOf('.'));
  const serviceName = SERVICE_NAMES[service] ?? `${service}.googleapis.com`;
  const metric = `${serviceName}/${group.slice(group.indexOf('.') + 1)}`;
  const message =
    `Quota exceeded for quota metric '${metric}' and limit '${group} per minute' of service '${serviceName}' ` +
    `for consumer 'project:${project}'.`;
  const errorInfo = {
    '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
    reason: 'RATE_LIMIT_EXCEEDED',
    domain: 'googleapis.com',
    metadata: { service: serviceName, quota_metric: metric, quota_limit: `${group} per minute`, quota_limit_value: String(limit), consumer: `projects/${project}` },
  };
  if (service === 'compute') return new ApiError(403, 'RESOURCE_EXHAUSTED', message, 'rateLimitExceeded', [errorInfo]);
  return new ApiError(429, 'RESOURCE_EXHAUSTED', message, 'rateLimitExceeded', [errorInfo]);
}
