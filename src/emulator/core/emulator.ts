/**
 * Composes the emulator from service factories: one router, one pipeline, the cross-cutting models
 * (latency, faults, rate quotas, call log, state file) and the admin endpoints. Knows no service.
 */
import type { Server } from 'node:http';
import { CallLog } from './call-log.js';
import { ScaledClock } from './clock.js';
import {
  ApiError,
  type AdminRoute,
  type EmulatorConfig,
  type EmulatorServices,
  type InventoryResource,
  type RouteResult,
  type ServiceContext,
  type ServiceFactory,
  type ServiceModule,
} from './contract.js';
import { FaultInjector, parseFaultRules, type FaultRule, type FaultRuleStatus } from './faults.js';
import { createPipelineServer, listen, terminateWebSockets, type AdminRequest } from './http-server.js';
import { LatencyModel, type MethodLatency } from './latency.js';
import { preloadSchemas } from './proto-schema.js';
import { createRandom } from './random.js';
import { RateQuotas } from './rate-quotas.js';
import { Router } from './router.js';
import { StateFile } from './state-file.js';

export interface CoreOptions {
  /** 0 picks a free port. Default 0. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Multiplies every modelled delay; 0 = instant. Default 1 (real GCP timings). */
  readonly latencyScale?: number;
  /** Draw delays between p50 and p95 (default true) or always use p50. */
  readonly latencyJitter?: boolean;
  /** Per method id, over the defaults of core/latency.ts. */
  readonly latencies?: Readonly<Record<string, MethodLatency>>;
  /** Seeds latency jitter and fault rates, for reproducible runs. */
  readonly seed?: number;
  readonly stateFile?: string;
  /** Service accounts per project. Default 100 (GCP's). */
  readonly serviceAccountQuota?: number;
  /** How long a new service account stays invisible, before scaling. Default 30 s (GCP's p50 is 10–30 s). */
  readonly serviceAccountVisibilityMs?: number;
  readonly faults?: readonly FaultRule[];
  /** Per-project limits per 60 s window, by quota group, over the defaults of core/rate-quotas.ts. */
  readonly rateQuotas?: Readonly<Record<string, number>>;
}

export interface EmulatorHandle {
  readonly url: string;
  readonly port: number;
  /** Every resource of every module, with labels and IAM policies; never a secret payload. */
  inventory(): InventoryResource[];
  /** Empties every module, clears faults, call counts and rate windows. */
  reset(): void;
  setFaults(rules: readonly FaultRule[]): void;
  faults(): FaultRuleStatus[];
  /** Calls so far, by method id. */
  calls(): Record<string, number>;
  /** Sends a command to a module's admin endpoint in-process (e.g. `guest`), as POST /__emulator/<path>. */
  admin(path: string, body: unknown): Promise<unknown>;
  close(): Promise<void>;
}

export const DEFAULT_SERVICE_ACCOUNT_QUOTA = 100;
export const DEFAULT_SERVICE_ACCOUNT_VISIBILITY_MS = 30_000;

/** Each EmulatorServices method answered by the first module that implements it. */
function composeServices(modules: () => readonly ServiceModule[]): EmulatorServices {
  const first = <K extends keyof EmulatorServices>(key: K): ServiceModule | undefined => modules().find((m) => typeof m[key] === 'function');
  return {
    serviceAccountVisible: (email) => first('serviceAccountVisible')?.serviceAccountVisible?.(email) ?? false,
    canAccessSecret: (secret, member) => first('canAccessSecret')?.canAccessSecret?.(secret, member) ?? false,
    readSecretForGuest: (secret, member) => first('readSecretForGuest')?.readSecretForGuest?.(secret, member),
    secretVersionForGuest: (secret, member) => first('secretVersionForGuest')?.secretVersionForGuest?.(secret, member),
    instanceExists: (project, zone, instance) => first('instanceExists')?.instanceExists?.(project, zone, instance) ?? false,
    guestLoopbackConnect: (project, zone, instance, port, peer) => {
      const owner = first('guestLoopbackConnect');
      if (!owner?.guestLoopbackConnect) throw new ApiError(503, 'UNAVAILABLE', 'no guest simulator in this emulator', 'unavailable');
      return owner.guestLoopbackConnect(project, zone, instance, port, peer);
    },
  };
}

function adminError(message: string): ApiError {
  return new ApiError(400, 'INVALID_ARGUMENT', message, 'invalid');
}

export async function startCore(factories: readonly ServiceFactory[], options: CoreOptions = {}): Promise<EmulatorHandle> {
  const scale = options.latencyScale ?? 1;
  if (!(Number.isFinite(scale) && scale >= 0)) throw new Error(`latencyScale must be a number >= 0, got ${String(options.latencyScale)}`);
  const random = createRandom(options.seed);
  const clock = new ScaledClock(scale);
  const config: EmulatorConfig = {
    latencyScale: scale,
    serviceAccountQuota: options.serviceAccountQuota ?? DEFAULT_SERVICE_ACCOUNT_QUOTA,
    serviceAccountVisibilityMs: options.serviceAccountVisibilityMs ?? DEFAULT_SERVICE_ACCOUNT_VISIBILITY_MS,
    ...(options.stateFile ? { stateFile: options.stateFile } : {}),
  };

  const latency = new LatencyModel({ scale, jitter: options.latencyJitter ?? true, random, ...(options.latencies ? { overrides: options.latencies } : {}) });
  let modules: ServiceModule[] = [];
  const collect = () => Object.fromEntries(modules.map((m) => [m.name, m.snapshot()]));
  const stateFile = options.stateFile ? new StateFile(options.stateFile, collect) : undefined;
  const ctx: ServiceContext = {
    clock,
    config,
    services: composeServices(() => modules),
    markDirty: () => stateFile?.markDirty(),
    timing: { operationMs: (methodId) => latency.operationMs(methodId) },
  };
  modules = factories.map((factory) => factory(ctx));

  const router = new Router();
  const bodyTypes = new Set<string>();
  for (const m of modules) {
    for (const route of m.routes()) {
      router.add(route);
      if (route.bodyType) bodyTypes.add(route.bodyType);
    }
  }
  preloadSchemas(bodyTypes);

  const saved = stateFile?.load();
  if (saved) for (const m of modules) if (saved[m.name] !== undefined) m.restore(saved[m.name]);

  const calls = new CallLog();
  const faults = new FaultInjector(random);
  faults.set(options.faults ?? []);
  const quotas = RateQuotas.forScale(scale, options.rateQuotas);

  const inventory = () => modules.flatMap((m) => m.inventory());
  const reset = () => {
    for (const m of modules) m.reset();
    faults.clear();
    calls.reset();
    quotas.reset();
    stateFile?.markDirty();
  };

  const moduleAdmin = new Map<string, AdminRoute>();
  for (const m of modules) for (const r of m.adminRoutes?.() ?? []) moduleAdmin.set(`${r.method} ${r.path}`, r);

  const admin = async (req: AdminRequest): Promise<RouteResult> => {
    const key = `${req.method} ${req.path.replace(/\/+$/, '')}`;
    switch (key) {
      case 'GET /inventory':
        return { body: { resources: inventory() } };
      case 'POST /reset':
        reset();
        return { body: {} };
      case 'GET /faults':
        return { body: { rules: faults.list() } };
      case 'POST /faults': {
        let rules: FaultRule[];
        try {
          rules = parseFaultRules(req.body ?? { rules: [] });
        } catch (error) {
          throw adminError((error as Error).message);
        }
        if ((req.body as { append?: unknown } | undefined)?.append === true) faults.add(rules);
        else faults.set(rules);
        return { body: { rules: faults.list() } };
      }
      case 'DELETE /faults':
        faults.clear();
        return { body: { rules: [] } };
      case 'GET /calls':
        return { body: { calls: calls.snapshot() } };
      case 'DELETE /calls':
        calls.reset();
        return { body: { calls: {} } };
      case 'GET /quotas':
        // The window on the emulator's scaled clock: a client pacing itself needs it as much as the limits.
        return { body: { limits: quotas.currentLimits(), windowMs: quotas.windowMs } };
      case 'POST /quotas': {
        const limits = (req.body as { limits?: unknown } | undefined)?.limits;
        if (typeof limits !== 'object' || limits === null || Object.values(limits).some((v) => !(Number.isInteger(v) && (v as number) >= 0))) {
          throw adminError('quotas: expected { "limits": { "<group>": <whole number per 60 s> } }');
        }
        quotas.setLimits(limits as Record<string, number>);
        return { body: { limits: quotas.currentLimits(), windowMs: quotas.windowMs } };
      }
      default: {
        const route = moduleAdmin.get(key);
        if (!route) throw new ApiError(404, 'NOT_FOUND', `No admin endpoint ${req.method} /__emulator${req.path}.`, 'notFound');
        return route.handle({ body: req.body, query: req.query });
      }
    }
  };

  const server: Server = createPipelineServer({ router, calls, latency, clock, quotas, faults, admin });
  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, options.port ?? 0, host);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closed = false;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    inventory,
    reset,
    setFaults: (rules) => faults.set(parseFaultRules([...rules])),
    faults: () => faults.list(),
    calls: () => calls.snapshot(),
    async admin(path, body) {
      const result = await admin({ method: 'POST', path: path.startsWith('/') ? path : `/${path}`, query: new URLSearchParams(), body });
      return result.body;
    },
    async close() {
      if (closed) return;
      closed = true;
      clock.stop();
      for (const m of modules) m.close?.();
      terminateWebSockets(server);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await stateFile?.close();
    },
  };
}
