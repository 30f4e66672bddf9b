/**
 * The one place Google's errors are understood. Three client generations answer differently:
 * google-gax 6 (compute, secret manager) throws GoogleError with a gRPC code and httpStatusCode;
 * google-gax 5 (resource manager) throws the raw HTTP status as `code` and the JSON body as `message`;
 * gaxios (@googleapis/iam, plain REST) puts the status on `status`/`response`. All become a GcpError
 * with a kind, and a message that says what happened without the raw provider body.
 */

export type GcpErrorKind =
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  /** IAM etag conflict (409 ABORTED): re-read and retry. */
  | 'CONFLICT'
  /** Stale fingerprint (412) or FAILED_PRECONDITION: re-read and retry. */
  | 'PRECONDITION'
  | 'RATE_LIMITED'
  | 'QUOTA_EXCEEDED'
  | 'PERMISSION_DENIED'
  | 'INVALID'
  | 'TRANSIENT';

const PERMANENT: ReadonlySet<GcpErrorKind> = new Set(['QUOTA_EXCEEDED', 'PERMISSION_DENIED', 'INVALID', 'ALREADY_EXISTS', 'NOT_FOUND']);

export class GcpError extends Error {
  constructor(
    readonly kind: GcpErrorKind,
    message: string,
    readonly httpStatus: number | undefined,
    readonly reason: string | undefined,
  ) {
    super(message);
    this.name = 'GcpError';
  }

  /** Whether retrying the same call can succeed (callers may still special-case NOT_FOUND etc.). */
  get retryable(): boolean {
    return !PERMANENT.has(this.kind);
  }
}

/** gRPC canonical codes by number, for gax 6 errors. */
const GRPC_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE',
  'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
] as const;

const HTTP_BY_GRPC: Readonly<Record<string, number>> = {
  INVALID_ARGUMENT: 400, FAILED_PRECONDITION: 400, OUT_OF_RANGE: 400, UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403, NOT_FOUND: 404, ALREADY_EXISTS: 409, ABORTED: 409, RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499, INTERNAL: 500, UNKNOWN: 500, DATA_LOSS: 500, UNIMPLEMENTED: 501, UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

interface Facts {
  http?: number;
  status?: string;
  reason?: string;
  message: string;
  /** Node-level network failure (connection refused or reset, socket hang up). */
  network?: boolean;
}

interface GoogleJsonError {
  code?: number;
  message?: string;
  status?: string;
  errors?: { reason?: string; message?: string }[];
  details?: { reason?: string; '@type'?: string }[];
}

function parseBody(text: unknown): GoogleJsonError | undefined {
  if (typeof text !== 'string' || !text.trimStart().startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(text) as { error?: GoogleJsonError };
    return parsed.error;
  } catch {
    return undefined;
  }
}

function factsFromBody(body: GoogleJsonError, facts: Facts): Facts {
  return {
    http: body.code ?? facts.http,
    status: body.status ?? facts.status,
    reason: body.errors?.[0]?.reason ?? body.details?.find((d) => d.reason)?.reason ?? facts.reason,
    message: body.message ?? facts.message,
  };
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

function facts(error: unknown): Facts {
  if (typeof error !== 'object' || error === null) return { message: String(error) };
  const e = error as Record<string, unknown> & { response?: { status?: number; data?: unknown } };
  let f: Facts = { message: typeof e.message === 'string' ? e.message : String(error) };
  const code = e.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return { ...f, network: true };
  if (typeof e.cause === 'object' && e.cause && NETWORK_CODES.has(String((e.cause as { code?: unknown }).code))) {
    return { ...f, network: true };
  }
  if (typeof code === 'number' && code < 100) {
    // gax 6: a gRPC code, with the HTTP status alongside.
    f.status = GRPC_NAMES[code];
    f.http = typeof e.httpStatusCode === 'number' ? e.httpStatusCode : HTTP_BY_GRPC[f.status ?? ''];
  } else if (typeof code === 'number') {
    f.http = code;
  }
  if (typeof e.status === 'number') f.http = e.status;
  if (typeof e.reason === 'string') f.reason = e.reason;
  const body = parseBody(e.message) ?? (e.response?.data as { error?: GoogleJsonError } | undefined)?.error;
  if (body && typeof body === 'object') f = factsFromBody(body, f);
  if (f.http === undefined && typeof e.response?.status === 'number') f.http = e.response.status;
  return f;
}

const QUOTA_REASONS = /quota|QUOTA_EXCEEDED|limitExceeded/i;
const RATE_REASONS = /rateLimitExceeded|userRateLimitExceeded|RATE_LIMIT_EXCEEDED|CONCURRENT_OPERATIONS/i;

function classify(f: Facts): GcpErrorKind {
  if (f.network) return 'TRANSIENT';
  const { http, status, reason = '' } = f;
  if (status === 'NOT_FOUND' || http === 404) return 'NOT_FOUND';
  if (status === 'ALREADY_EXISTS' || reason === 'alreadyExists') return 'ALREADY_EXISTS';
  if (status === 'ABORTED') return 'CONFLICT';
  if (http === 412 || reason === 'conditionNotMet') return 'PRECONDITION';
  if (http === 409) return 'CONFLICT';
  if (RATE_REASONS.test(reason)) return 'RATE_LIMITED';
  if (QUOTA_REASONS.test(reason) || /quota|Maximum number of/i.test(f.message)) {
    // A per-minute rate quota (429) clears by itself; an allocation quota (CPUs, service accounts) does not.
    return http === 429 && !/Maximum number of/i.test(f.message) && !/QUOTA_EXCEEDED/.test(reason) ? 'RATE_LIMITED' : 'QUOTA_EXCEEDED';
  }
  if (status === 'RESOURCE_EXHAUSTED' || http === 429) return 'RATE_LIMITED';
  if (status === 'PERMISSION_DENIED' || status === 'UNAUTHENTICATED' || http === 401 || http === 403) return 'PERMISSION_DENIED';
  if (status === 'FAILED_PRECONDITION') return 'PRECONDITION';
  if (status === 'INVALID_ARGUMENT' || status === 'OUT_OF_RANGE' || http === 400) return 'INVALID';
  return 'TRANSIENT';
}

/** Provider messages are useful ("The resource ... already exists") but bounded and single-line. */
function tidy(message: string): string {
  const line = message.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

export function normalizeGcpError(error: unknown, action?: string): GcpError {
  if (error instanceof GcpError) return error;
  const f = facts(error);
  const kind = classify(f);
  const what = action ? `${action}: ` : '';
  return new GcpError(kind, `${what}${kind} (${f.http ?? f.status ?? 'network'}) ${tidy(f.message)}`, f.http, f.reason ?? f.status);
}

/** True when the error says the resource is not there (deletes treat it as done). */
export function isNotFound(error: unknown): boolean {
  return normalizeGcpError(error).kind === 'NOT_FOUND';
}

export function isAlreadyExists(error: unknown): boolean {
  return normalizeGcpError(error).kind === 'ALREADY_EXISTS';
}

/**
 * Runs a Google call and turns whatever it throws into a GcpError naming the action, so callers
 * catch one type.
 */
export async function gcpCall<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw normalizeGcpError(error, action);
  }
}

/** A compute operation that was accepted and then finished with an error. */
export class OperationError extends GcpError {
  override name = 'OperationError';
}

/**
 * A compute operation that finished with an error does not throw: its `error.errors[]` codes say why.
 * QUOTA_EXCEEDED and invalid-resource codes are permanent; capacity stock-outs and internal errors are not.
 */
export function operationError(
  action: string,
  errors: readonly { code?: string | null; message?: string | null }[],
  httpStatus: number | undefined,
): OperationError {
  const first = errors[0] ?? {};
  const code = first.code ?? 'UNKNOWN';
  let kind: GcpErrorKind;
  if (/QUOTA/.test(code)) kind = 'QUOTA_EXCEEDED';
  else if (/RATE_LIMIT|CONCURRENT_OPERATIONS/.test(code)) kind = 'RATE_LIMITED';
  else if (/ALREADY_EXISTS/.test(code)) kind = 'ALREADY_EXISTS';
  else if (/NOT_FOUND/.test(code) && httpStatus === 404) kind = 'NOT_FOUND';
  else if (/PERMISSION|FORBIDDEN/.test(code)) kind = 'PERMISSION_DENIED';
  else if (/INVALID|NOT_FOUND|BAD_REQUEST|UNSUPPORTED/.test(code) || httpStatus === 400) kind = 'INVALID';
  else kind = 'TRANSIENT';
  return new OperationError(kind, `${action}: ${kind} (operation ${code}) ${tidy(first.message ?? '')}`, httpStatus, code);
}
