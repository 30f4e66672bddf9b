/**
 * GCP's JSON error bodies. Compute (a discovery-era API) answers
 * `{ error: { code, message, errors: [{ message, domain, reason }] } }`; the newer APIs (IAM, Secret
 * Manager, Resource Manager, IAP) answer `{ error: { code, message, status, details? } }`. Which one a
 * request gets depends on the API its path belongs to.
 */
import { ApiError, type GrpcStatus } from './contract.js';

export type ErrorStyle = 'compute' | 'google-rpc';

export function errorStyleFor(path: string): ErrorStyle {
  return path.startsWith('/compute/') ? 'compute' : 'google-rpc';
}

/** Compute's `errors[].domain`: quota and rate errors are "usageLimits", the rest "global". */
function computeDomain(reason: string): string {
  return /quota|rateLimit/i.test(reason) ? 'usageLimits' : 'global';
}

const DEFAULT_REASON: Partial<Record<GrpcStatus, string>> = {
  INVALID_ARGUMENT: 'invalid',
  FAILED_PRECONDITION: 'conditionNotMet',
  NOT_FOUND: 'notFound',
  ALREADY_EXISTS: 'alreadyExists',
  PERMISSION_DENIED: 'forbidden',
  UNAUTHENTICATED: 'required',
  ABORTED: 'aborted',
  RESOURCE_EXHAUSTED: 'rateLimitExceeded',
  UNAVAILABLE: 'backendError',
  INTERNAL: 'backendError',
  DEADLINE_EXCEEDED: 'backendError',
};

export function errorBody(error: ApiError, style: ErrorStyle): { error: Record<string, unknown> } {
  if (style === 'compute') {
    const reason = error.reason ?? DEFAULT_REASON[error.status] ?? 'backendError';
    return {
      error: {
        code: error.httpStatus,
        message: error.message,
        errors: [{ message: error.message, domain: computeDomain(reason), reason }],
        ...(error.details?.length ? { details: error.details } : {}),
      },
    };
  }
  return {
    error: {
      code: error.httpStatus,
      message: error.message,
      status: error.status,
      ...(error.details?.length ? { details: error.details } : {}),
    },
  };
}

/** What an unexpected exception in a handler becomes: a 500 that never echoes the exception's text. */
export function internalError(): ApiError {
  return new ApiError(500, 'INTERNAL', 'Internal error encountered.', 'backendError');
}
