/**
 * NOTE FOR H3 (from H2, who owns this file now). All changes are additive and optional:
 * - Route.bodyName: the request field a compute-style body binds to ('instance', 'secret'), used only in
 *   the path of "Unknown name ... at '<path>'" messages; omit it when the body is the whole request.
 * - Route.operation: true on compute mutations that answer with a long-running operation (only those
 *   can receive the `operationError` fault kind).
 * - RouteRequest.operationFault: set by the core on such routes when a fault rule says the operation
 *   must end DONE with an error.
 * - RouteRequest.methodId: the id of the matched route (handy for shared handlers).
 * - Rendering: a path under /compute/ is answered in compute's error shape (`errors[]`, no `status`);
 *   every other path in the newer shape (`status`, `details`, no `errors[]`). ApiError.reason is
 *   therefore only visible on compute routes; newer APIs carry reasons in `details` (ErrorInfo).
 * - EmulatorClock.sleepReal: optional real-time sleep.
 * - ServiceContext.timing: the latency model's operation durations (compute uses it).
 * - ServiceModule.adminRoutes / ServiceModule.close: optional; compute uses them for the guest simulator.
 * - The emulator starts with NO default network in any project (as with the org policy
 *   compute.skipDefaultNetworkCreation): a test that creates an instance must first create a network
 *   and a subnetwork in the instance's region (see test/emulator/compute*.test.ts for a helper).
 *
 * The contract between the emulator's HTTP core (server, router, latency, faults, persistence) and its
 * service modules (compute, iam, secretmanager, resourcemanager, iap). Each service module owns the
 * state of its resources and exposes routes; the core owns everything cross-cutting.
 */
import type { WebSocket } from 'ws';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** gRPC canonical status names, as GCP's JSON error bodies carry them in `error.status`. */
export type GrpcStatus =
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'OUT_OF_RANGE'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'ABORTED'
  | 'ALREADY_EXISTS'
  | 'RESOURCE_EXHAUSTED'
  | 'CANCELLED'
  | 'DATA_LOSS'
  | 'UNKNOWN'
  | 'INTERNAL'
  | 'NOT_IMPLEMENTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED';

/**
 * An error a route throws; the core renders it in GCP's JSON error shape
 * (`{ error: { code, message, status, errors: [{ message, domain, reason }], details } }`).
 * `reason` is the compute-style reason (alreadyExists, notFound, conditionNotMet, rateLimitExceeded,
 * QUOTA_EXCEEDED, invalid, ...).
 */
export class ApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly status: GrpcStatus,
    message: string,
    readonly reason?: string,
    readonly details?: unknown[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface RouteRequest {
  /** Path parameters named in the route's pattern, e.g. { project, zone, instance }. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Parsed JSON body (already validated against `requestType` when the route names one). */
  readonly body: unknown;
  /** The matched route's method id. */
  readonly methodId?: string;
  /**
   * Set on `operation` routes when fault injection decided that this call's long-running operation
   * must finish DONE with this error (the resource is then not created/changed).
   */
  readonly operationFault?: ApiError;
  /** Request headers, names lower-cased (the IAP tunnel reads the caller from `authorization`). */
  readonly headers?: Readonly<Record<string, string | undefined>>;
}

export interface RouteResult {
  /** Defaults to 200. */
  readonly status?: number;
  readonly body: unknown;
}

export interface Route {
  readonly method: HttpMethod;
  /**
   * Path pattern; `{name}` matches one segment, and a trailing `:verb` is literal, e.g.
   * `/compute/v1/projects/{project}/zones/{zone}/instances/{instance}/setLabels` or
   * `/v1/projects/{project}/secrets/{secret}:addVersion`.
   */
  readonly path: string;
  /**
   * Stable method id used by the latency model, fault injection and rate quotas,
   * e.g. `compute.instances.insert`, `iam.serviceAccounts.create`, `secretmanager.secrets.create`.
   */
  readonly id: string;
  /** Fully-qualified proto message of the JSON body, validated by the core (unknown fields → 400). */
  readonly bodyType?: string;
  /**
   * The request field the body binds to, as GCP names it in error paths (`instance` for
   * InsertInstanceRequest.instance_resource). Absent: the body is the whole request message.
   */
  readonly bodyName?: string;
  /** True when the route answers with a compute long-running operation (see RouteRequest.operationFault). */
  readonly operation?: boolean;
  /** For APIs whose npm client ships no proto (IAM admin): a validator that throws ApiError(400). */
  readonly validate?: (body: unknown) => void;
  handle(req: RouteRequest): RouteResult | Promise<RouteResult>;
  /**
   * A route that takes a WebSocket upgrade (a GET with `Upgrade: websocket`): checked like any call
   * first, an ApiError being the HTTP answer before the upgrade; the function it returns gets the socket.
   */
  readonly upgrade?: (req: RouteRequest) => Promise<(socket: WebSocket) => void>;
}

export interface IamBinding {
  role: string;
  members: string[];
  condition?: { title?: string; description?: string; expression: string };
}

export interface IamPolicy {
  version?: number;
  etag?: string;
  bindings?: IamBinding[];
}

/** One row of `GET /__emulator/inventory`. Never carries a secret payload. */
export interface InventoryResource {
  /** e.g. compute.instances, iam.serviceAccounts, secretmanager.secrets, iap.tunnelInstances. */
  readonly kind: string;
  /** Full resource name, e.g. projects/p/zones/z/instances/i. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly iamPolicy?: IamPolicy;
  /** Resource-specific facts an auditor needs (status, service account, network interfaces, rules...). */
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/** An admin endpoint (`/__emulator<path>`): no latency, quotas, faults or call counting. */
export interface AdminRoute {
  readonly method: HttpMethod;
  /** Below /__emulator, e.g. `/guest`. */
  readonly path: string;
  handle(req: { readonly body: unknown; readonly query: URLSearchParams }): RouteResult | Promise<RouteResult>;
}

/** What a service module needs from the rest of the emulator. */
export interface EmulatorServices {
  /** True when the service account exists and is already visible (eventual consistency). */
  serviceAccountVisible(email: string): boolean;
  /** True when `member` holds secretAccessor on the secret (used by the guest simulator at boot). */
  canAccessSecret(secretName: string, member: string): boolean;
  /** Reads a secret's latest enabled payload for the guest simulator; never exposed over HTTP by admin views. */
  readSecretForGuest(secretName: string, member: string): Buffer | undefined;
  /** The version number readSecretForGuest would read (what a guest records it loaded; never the value). */
  secretVersionForGuest(secretName: string, member: string): number | undefined;
  /** Compute instance lookup, for the IAP module (a tunnel policy needs an existing instance). */
  instanceExists(project: string, zone: string, instance: string): boolean;
  /**
   * A live connection to whatever listens on `port` of the instance's loopback (the guest simulator's
   * gateway): frames in through the returned session, frames out through `peer`. Throws an ApiError
   * when nothing listens there. For the IAP tunnel module.
   */
  guestLoopbackConnect(project: string, zone: string, instance: string, port: number, peer: LoopbackPeer): LoopbackSession;
}

/** The tunnel's side of a loopback connection (frames are parsed JSON messages). */
export interface LoopbackPeer {
  send(frame: unknown): void;
  close(code: number, reason: string): void;
  /** The listener went away without a close frame. */
  drop(): void;
}

/** The listener's side: frames from the tunnel, and the tunnel closing. */
export interface LoopbackSession {
  receive(frame: unknown): void;
  closed(): void;
}

export interface EmulatorClock {
  now(): number;
  /** Resolves after `ms` of emulated time (scaled by the latency scale factor). */
  sleep(ms: number): Promise<void>;
  /** Resolves after `ms` of real time (floors for periodic work); cancelled with the emulator. */
  sleepReal?(ms: number): Promise<void>;
}

export interface ServiceContext {
  readonly clock: EmulatorClock;
  readonly services: EmulatorServices;
  readonly config: EmulatorConfig;
  /** Call after every mutation so the state file (when configured) is rewritten. */
  markDirty(): void;
  /** The latency model's durations (emulated ms, before scaling; sleep them with `clock.sleep`). */
  readonly timing?: EmulatorTiming;
}

export interface EmulatorTiming {
  /** How long a long-running operation of this method takes until DONE. */
  operationMs(methodId: string): number;
}

export interface EmulatorConfig {
  /** Multiplies every modelled delay (latency, operation duration, SA visibility, guest boot). 0 = instant. */
  latencyScale: number;
  /** Service accounts per project (GCP default 100). */
  serviceAccountQuota: number;
  /** How long a new service account stays invisible to policies and VMs, before scaling. */
  serviceAccountVisibilityMs: number;
  /** Optional JSON state file; state survives a restart when set. */
  stateFile?: string;
}

/**
 * A service module may implement parts of EmulatorServices (iam: serviceAccountVisible; secretmanager:
 * canAccessSecret, readSecretForGuest; compute: instanceExists); the core composes them.
 */
export interface ServiceModule extends Partial<EmulatorServices> {
  readonly name: string;
  routes(): Route[];
  /** Extra admin endpoints under /__emulator (e.g. `/guest`), outside the API pipeline. */
  adminRoutes?(): AdminRoute[];
  /** Stops the module's own timers when the emulator closes. */
  close?(): void;
  inventory(): InventoryResource[];
  /** JSON-serialisable state for the state file. */
  snapshot(): unknown;
  restore(state: unknown): void;
  reset(): void;
}

export type ServiceFactory = (ctx: ServiceContext) => ServiceModule;
