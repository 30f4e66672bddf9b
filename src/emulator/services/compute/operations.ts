/**
 * Compute's long-running operations: every mutation answers an Operation that is RUNNING and becomes
 * DONE after the modelled duration, when its effect is applied, or it ends DONE with `error.errors[]`
 * and `httpErrorStatusCode` (an injected `operationError`, or a failure found when it runs). A
 * `requestId` seen before answers the operation it started, whatever its state. `wait` blocks until
 * DONE or two minutes of emulated time, like GCP's. Effects are data (a kind and JSON args), so
 * operations in flight survive a restart and complete after it.
 */
import { randomBytes } from 'node:crypto';
import { ApiError, type Route, type RouteRequest, type ServiceContext } from '../../core/contract.js';
import { notFound } from './errors.js';
import { newId, requestIdOf, timestamp } from './fields.js';
import { globalScope, regionScope, url, zoneScope, type Scope } from './links.js';
import { listPage } from './listing.js';
import type { ComputeState, OperationRecord } from './state.js';

/** What completing an operation does, by effect kind; `abort` undoes a reservation when it fails. */
export interface EffectHandler {
  apply(args: Record<string, unknown>, op: OperationRecord): void;
  abort?(args: Record<string, unknown>, op: OperationRecord): void;
}

/** GCP's wait returns after at most 2 minutes even if the operation is still running. */
const WAIT_MAX_MS = 120_000;
/** Duration when no latency model is wired in (tests of the module alone). */
const FALLBACK_DURATION_MS = 2_000;

const HTTP_MESSAGES: Readonly<Record<number, string>> = {
  400: 'BAD REQUEST', 403: 'FORBIDDEN', 404: 'NOT FOUND', 409: 'CONFLICT', 412: 'PRECONDITION FAILED',
  429: 'TOO MANY REQUESTS', 500: 'INTERNAL SERVER ERROR', 503: 'SERVICE UNAVAILABLE',
};

const OPERATION_CODES: Partial<Record<ApiError['status'], string>> = {
  ALREADY_EXISTS: 'RESOURCE_ALREADY_EXISTS',
  NOT_FOUND: 'RESOURCE_NOT_FOUND',
  INVALID_ARGUMENT: 'INVALID_FIELD_VALUE',
  FAILED_PRECONDITION: 'CONDITION_NOT_MET',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  RESOURCE_EXHAUSTED: 'QUOTA_EXCEEDED',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL: 'INTERNAL_ERROR',
};

/** An ApiError as an operation's error: upper-case reasons are already operation codes. */
export function operationErrorOf(error: ApiError): NonNullable<OperationRecord['error']> {
  const code = error.reason && /^[A-Z_]+$/.test(error.reason) ? error.reason : (OPERATION_CODES[error.status] ?? 'INTERNAL_ERROR');
  return { code, message: error.message, httpStatus: error.httpStatus };
}

function operationName(): string {
  return `operation-${Date.now()}-${randomBytes(6).toString('hex').replace(/(.{6})(.{6})/, '$1-$2')}-${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`;
}

export interface StartOperation {
  readonly project: string;
  readonly scope: Scope;
  readonly methodId: string;
  /** Latency model key for the duration, when it differs from methodId (e.g. incremental snapshots). */
  readonly durationKey?: string;
  readonly operationType: string;
  readonly targetLink: string;
  readonly targetId: string;
  readonly requestId?: string;
  readonly effect: { kind: string; args: Record<string, unknown> };
  /** End DONE with this error instead of applying the effect. */
  readonly fault?: ApiError;
}

export class Operations {
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Bumped by reset/restore so that completions scheduled before do nothing. */
  private generation = 0;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly state: ComputeState,
    private readonly effects: Readonly<Record<string, EffectHandler>>,
  ) {}

  /** The operation an earlier call with this requestId started, if any (validates the id). */
  replay(req: RouteRequest, project: string): OperationRecord | undefined {
    const requestId = requestIdOf(req.query);
    if (!requestId) return undefined;
    const seen = this.state.requestIds.get(`${project}/${requestId}`);
    return seen ? this.state.operations.get(seen.scope, seen.name) : undefined;
  }

  /** Starts an operation; with `req`, its requestId is remembered and an injected fault applies. */
  start(input: StartOperation, req?: RouteRequest): OperationRecord {
    if (req) {
      const requestId = requestIdOf(req.query);
      input = { ...input, ...(requestId ? { requestId } : {}), ...(req.operationFault ? { fault: req.operationFault } : {}) };
    }
    const now = Date.now();
    const durationMs = this.ctx.timing?.operationMs(input.durationKey ?? input.methodId) ?? FALLBACK_DURATION_MS;
    const op: OperationRecord = {
      id: newId(),
      name: operationName(),
      project: input.project,
      scope: input.scope,
      operationType: input.operationType,
      methodId: input.methodId,
      targetLink: input.targetLink,
      targetId: input.targetId,
      status: 'RUNNING',
      insertTime: timestamp(now),
      startTime: timestamp(now),
      doneAt: now + durationMs * this.ctx.config.latencyScale,
      effect: input.effect,
      ...(input.requestId ? { requestId: input.requestId } : {}),
      ...(input.fault ? { error: operationErrorOf(input.fault) } : {}),
    };
    this.state.operations.set(op.scope, op);
    if (input.requestId) this.state.requestIds.set(`${input.project}/${input.requestId}`, { scope: op.scope, name: op.name });
    this.schedule(op);
    this.ctx.markDirty();
    return op;
  }

  private schedule(op: OperationRecord): void {
    const generation = this.generation;
    const run = () => {
      if (generation !== this.generation) return;
      this.complete(op);
    };
    const delay = op.doneAt - Date.now();
    // Through the clock, so close() cancels it; an instant model still completes asynchronously.
    if (delay <= 0) setImmediate(run);
    else void this.ctxClockReal(delay).then(run);
  }

  private ctxClockReal(realMs: number): Promise<void> {
    // The clock scales emulated ms; doneAt is already real, so undo the scale.
    const scale = this.ctx.config.latencyScale;
    return scale > 0 ? this.ctx.clock.sleep(realMs / scale) : Promise.resolve();
  }

  private complete(op: OperationRecord): void {
    if (op.status === 'DONE') return;
    const effect = op.effect;
    const handler = effect ? this.effects[effect.kind] : undefined;
    if (effect && handler) {
      if (op.error) {
        handler.abort?.(effect.args, op);
      } else {
        try {
          handler.apply(effect.args, op);
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          // A failure found while running (a conflict that appeared meanwhile): the operation carries it.
          op.error = operationErrorOf(error);
          handler.abort?.(effect.args, op);
        }
      }
    }
    op.status = 'DONE';
    op.endTime = timestamp();
    delete op.effect;
    this.ctx.markDirty();
    const key = `${op.scope}/${op.name}`;
    for (const wake of this.waiters.get(key) ?? []) wake();
    this.waiters.delete(key);
  }

  render(op: OperationRecord): Record<string, unknown> {
    const [, , kind, where] = op.scope.split('/');
    return {
      kind: 'compute#operation',
      id: op.id,
      name: op.name,
      operationType: op.operationType,
      targetLink: url(op.targetLink),
      targetId: op.targetId,
      status: op.status,
      user: 'emulator-user@agents-plane.local',
      progress: op.status === 'DONE' ? 100 : 0,
      insertTime: op.insertTime,
      startTime: op.startTime,
      ...(op.endTime ? { endTime: op.endTime } : {}),
      selfLink: url(`${op.scope}/operations/${op.name}`),
      ...(kind === 'zones' ? { zone: url(`projects/${op.project}/zones/${where}`) } : {}),
      ...(kind === 'regions' ? { region: url(`projects/${op.project}/regions/${where}`) } : {}),
      ...(op.status === 'DONE' && op.error
        ? {
            error: { errors: [{ code: op.error.code, message: op.error.message }] },
            httpErrorStatusCode: op.error.httpStatus,
            httpErrorMessage: HTTP_MESSAGES[op.error.httpStatus] ?? 'ERROR',
          }
        : {}),
    };
  }

  private find(scope: Scope, name: string): OperationRecord {
    const op = this.state.operations.get(scope, name);
    if (!op) throw notFound(`${scope}/operations/${name}`);
    return op;
  }

  private async wait(op: OperationRecord): Promise<OperationRecord> {
    if (op.status === 'DONE') return op;
    const key = `${op.scope}/${op.name}`;
    await new Promise<void>((resolve) => {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      const wake = () => {
        set!.delete(wake);
        resolve();
      };
      set.add(wake);
      void this.ctx.clock.sleep(WAIT_MAX_MS).then(wake);
    });
    return op;
  }

  routes(): Route[] {
    const scopes: { kind: string; prefix: string; scopeOf: (p: Record<string, string>) => Scope }[] = [
      { kind: 'zoneOperations', prefix: '/compute/v1/projects/{project}/zones/{zone}/operations', scopeOf: (p) => zoneScope(p.project!, p.zone!) },
      { kind: 'regionOperations', prefix: '/compute/v1/projects/{project}/regions/{region}/operations', scopeOf: (p) => regionScope(p.project!, p.region!) },
      { kind: 'globalOperations', prefix: '/compute/v1/projects/{project}/global/operations', scopeOf: (p) => globalScope(p.project!) },
    ];
    return scopes.flatMap(({ kind, prefix, scopeOf }): Route[] => [
      {
        method: 'GET',
        path: `${prefix}/{operation}`,
        id: `compute.${kind}.get`,
        handle: (req) => ({ body: this.render(this.find(scopeOf(req.params), req.params.operation!)) }),
      },
      {
        method: 'POST',
        path: `${prefix}/{operation}/wait`,
        id: `compute.${kind}.wait`,
        handle: async (req) => ({ body: this.render(await this.wait(this.find(scopeOf(req.params), req.params.operation!))) }),
      },
      {
        method: 'DELETE',
        path: `${prefix}/{operation}`,
        id: `compute.${kind}.delete`,
        handle: (req) => {
          const scope = scopeOf(req.params);
          const op = this.find(scope, req.params.operation!);
          this.state.operations.delete(scope, op.name);
          this.ctx.markDirty();
          return { body: {} };
        },
      },
      {
        method: 'GET',
        path: prefix,
        id: `compute.${kind}.list`,
        handle: (req) => {
          const scope = scopeOf(req.params);
          const items = this.state.operations.list(scope).map((op) => this.render(op));
          return { body: listPage('compute#operationList', url(`${scope}/operations`), items, req.query) };
        },
      },
    ]);
  }

  /** After a restore: operations that were running complete (at once when their time has passed). */
  resumeAll(): void {
    this.generation++;
    for (const [, op] of this.state.operations.entries()) if (op.status !== 'DONE') this.schedule(op);
  }

  reset(): void {
    this.generation++;
    for (const set of this.waiters.values()) for (const wake of set) wake();
    this.waiters.clear();
  }
}
