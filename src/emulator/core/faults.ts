/**
 * Fault injection. A rule names the calls it hits (a method id or a glob such as `compute.*`,
 * `*.setIamPolicy` or `*`), what they fail with, and how often: the next `count` matching calls, or
 * each matching call with probability `rate` (both: at most `count` times, each with `rate`; neither:
 * every matching call). The first rule that fires wins. `operationError` is special: the call is
 * accepted, and its compute long-running operation ends DONE with an error.
 */
import { ApiError } from './contract.js';
import type { ErrorStyle } from './error-body.js';
import type { Random } from './random.js';

export const FAULT_KINDS = [
  'unavailable',
  'rateLimited',
  'aborted',
  'permissionDenied',
  'quotaExceeded',
  'invalid',
  'internal',
  'operationError',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  /** Method id or glob (`*` matches any run of characters, dots included). */
  readonly method: string;
  readonly kind: FaultKind;
  readonly count?: number;
  /** 0..1. */
  readonly rate?: number;
  /** Only calls on this project. */
  readonly project?: string;
  /** Replaces the error's message. */
  readonly message?: string;
}

export interface FaultRuleStatus extends FaultRule {
  /** How many calls this rule has failed. */
  readonly hits: number;
  /** Failures left for a `count` rule. */
  readonly remaining?: number;
}

interface ActiveRule {
  readonly rule: FaultRule;
  readonly pattern: RegExp;
  hits: number;
  remaining: number;
}

export interface FaultDecision {
  /** Answer the call with this error. */
  readonly error?: ApiError;
  /** Accept the call; its operation must end DONE with this error. */
  readonly operationFault?: ApiError;
}

/** Parses rules from JSON (`[...]` or `{ rules: [...] }`), naming the first bad field. */
export function parseFaultRules(input: unknown): FaultRule[] {
  const list = Array.isArray(input) ? input : (input as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(list)) throw new Error('faults: expected a JSON array of rules or { "rules": [...] }');
  return list.map((raw, i) => {
    const r = raw as Record<string, unknown>;
    const where = `faults: rules[${i}]`;
    if (typeof r !== 'object' || r === null) throw new Error(`${where}: must be an object`);
    const known = new Set(['method', 'kind', 'count', 'rate', 'project', 'message']);
    for (const k of Object.keys(r)) if (!known.has(k)) throw new Error(`${where}.${k}: unknown field`);
    if (typeof r.method !== 'string' || r.method === '') throw new Error(`${where}.method: must be a method id or glob such as compute.* or *`);
    if (!FAULT_KINDS.includes(r.kind as FaultKind)) throw new Error(`${where}.kind: must be one of ${FAULT_KINDS.join(', ')}`);
    if (r.count !== undefined && !(Number.isInteger(r.count) && (r.count as number) >= 0)) throw new Error(`${where}.count: must be a whole number >= 0`);
    if (r.rate !== undefined && !(typeof r.rate === 'number' && r.rate >= 0 && r.rate <= 1)) throw new Error(`${where}.rate: must be a number from 0 to 1`);
    if (r.project !== undefined && typeof r.project !== 'string') throw new Error(`${where}.project: must be a string`);
    if (r.message !== undefined && typeof r.message !== 'string') throw new Error(`${where}.message: must be a string`);
    return {
      method: r.method,
      kind: r.kind as FaultKind,
      ...(r.count !== undefined ? { count: r.count as number } : {}),
      ...(r.rate !== undefined ? { rate: r.rate as number } : {}),
      ...(r.project !== undefined ? { project: r.project as string } : {}),
      ...(r.message !== undefined ? { message: r.message as string } : {}),
    };
  });
}

function globToRegExp(glob: string): RegExp {
  const body = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`);
}

/** The IAM permission a method needs, for PERMISSION_DENIED messages (compute's insert is `create`). */
function permissionOf(methodId: string): string {
  return methodId.replace(/\.insert$/, '.create');
}

export function faultError(kind: Exclude<FaultKind, 'operationError'>, methodId: string, style: ErrorStyle, resource: string, message?: string): ApiError {
  const compute = style === 'compute';
  switch (kind) {
    case 'unavailable':
      return new ApiError(503, 'UNAVAILABLE', message ?? (compute ? 'Internal error. Please try again or contact Google Support.' : 'The service is currently unavailable.'), 'backendError');
    case 'rateLimited':
      return new ApiError(429, 'RESOURCE_EXHAUSTED', message ?? 'Too many requests are currently being executed, try again later.', 'rateLimitExceeded');
    case 'aborted':
      return new ApiError(409, 'ABORTED', message ?? 'The operation was aborted due to a concurrent modification; retry the request.', 'aborted');
    case 'permissionDenied':
      return new ApiError(
        403,
        'PERMISSION_DENIED',
        message ?? (compute ? `Required '${permissionOf(methodId)}' permission for '${resource}'` : `Permission '${permissionOf(methodId)}' denied on resource '${resource}' (or it may not exist).`),
        'forbidden',
      );
    case 'quotaExceeded':
      return compute
        ? new ApiError(403, 'RESOURCE_EXHAUSTED', message ?? `Quota exceeded for '${methodId}' in project '${resource}'.`, 'quotaExceeded')
        : new ApiError(429, 'RESOURCE_EXHAUSTED', message ?? `Quota exceeded for quota metric '${methodId}'.`, 'quotaExceeded', [
            { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'RESOURCE_EXHAUSTED', domain: 'googleapis.com' },
          ]);
    case 'invalid':
      return new ApiError(400, 'INVALID_ARGUMENT', message ?? 'Request contains an invalid argument.', 'invalid');
    case 'internal':
      return new ApiError(500, 'INTERNAL', message ?? 'Internal error encountered.', 'backendError');
  }
}

/** The error a faulted compute operation ends with (as ApiError; the compute module renders it). */
export function operationFaultError(methodId: string, message?: string): ApiError {
  if (methodId === 'compute.instances.insert' || methodId === 'compute.instances.start') {
    return new ApiError(
      503,
      'UNAVAILABLE',
      message ?? 'The zone does not have enough resources available to fulfill the request. Try a different zone, or try again later.',
      'ZONE_RESOURCE_POOL_EXHAUSTED',
    );
  }
  return new ApiError(500, 'INTERNAL', message ?? 'Internal error. Please try again or contact Google Support.', 'INTERNAL_ERROR');
}

export class FaultInjector {
  private rules: ActiveRule[] = [];

  constructor(private readonly random: Random) {}

  set(rules: readonly FaultRule[]): void {
    this.rules = rules.map((rule) => ({ rule, pattern: globToRegExp(rule.method), hits: 0, remaining: rule.count ?? Number.POSITIVE_INFINITY }));
  }

  add(rules: readonly FaultRule[]): void {
    const current = this.rules;
    this.set(rules);
    this.rules = [...current, ...this.rules];
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRuleStatus[] {
    return this.rules.map((r) => ({ ...r.rule, hits: r.hits, ...(r.rule.count !== undefined ? { remaining: r.remaining } : {}) }));
  }

  /** Total failures injected so far by the current rules. */
  totalHits(): number {
    return this.rules.reduce((n, r) => n + r.hits, 0);
  }

  decide(methodId: string, project: string | undefined, opts: { style: ErrorStyle; resource: string; operationRoute: boolean }): FaultDecision {
    for (const active of this.rules) {
      const { rule } = active;
      if (active.remaining <= 0) continue;
      if (rule.kind === 'operationError' && !opts.operationRoute) continue;
      if (rule.project !== undefined && rule.project !== project) continue;
      if (!active.pattern.test(methodId)) continue;
      if (rule.rate !== undefined && this.random() >= rule.rate) continue;
      active.hits++;
      active.remaining--;
      if (rule.kind === 'operationError') return { operationFault: operationFaultError(methodId, rule.message) };
      return { error: faultError(rule.kind, methodId, opts.style, opts.resource, rule.message) };
    }
    return {};
  }
}
