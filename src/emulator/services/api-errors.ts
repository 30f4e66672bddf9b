/**
 * The canonical errors the IAM, Secret Manager, Resource Manager and IAP modules raise, with the
 * `errors[].reason` and `google.rpc` details GCP attaches to each, so clients (and our own error
 * normaliser) see what they would see from Google. Messages name resources, never payloads.
 */
import { ApiError } from '../core/contract.js';

const TYPE = 'type.googleapis.com/google.rpc';

export function invalidArgument(message: string, field?: string): ApiError {
  const details = field ? [{ '@type': `${TYPE}.BadRequest`, fieldViolations: [{ field, description: message }] }] : undefined;
  return new ApiError(400, 'INVALID_ARGUMENT', message, 'badRequest', details);
}

export function failedPrecondition(message: string): ApiError {
  return new ApiError(400, 'FAILED_PRECONDITION', message, 'failedPrecondition');
}

export function notFound(message: string, resourceName?: string): ApiError {
  const details = resourceName ? [{ '@type': `${TYPE}.ResourceInfo`, resourceName }] : undefined;
  return new ApiError(404, 'NOT_FOUND', message, 'notFound', details);
}

export function alreadyExists(message: string, resourceName: string): ApiError {
  return new ApiError(409, 'ALREADY_EXISTS', message, 'alreadyExists', [{ '@type': `${TYPE}.ResourceInfo`, resourceName }]);
}

export function permissionDenied(message: string): ApiError {
  return new ApiError(403, 'PERMISSION_DENIED', message, 'forbidden');
}

/** IAM's answer to a write based on a stale etag: re-read and retry the whole cycle. */
export function concurrentPolicyChange(): ApiError {
  return new ApiError(
    409,
    'ABORTED',
    'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.',
    'aborted',
  );
}

/**
 * 429 RESOURCE_EXHAUSTED. `retryDelaySeconds` mirrors GCP's RetryInfo: an allocation quota (service
 * accounts per project) says 86401s, i.e. "not before a human raises the quota".
 */
export function resourceExhausted(message: string, retryDelaySeconds?: number, errorInfo?: { reason: string; domain: string; metadata?: Record<string, string> }): ApiError {
  const details: unknown[] = [];
  if (errorInfo) details.push({ '@type': `${TYPE}.ErrorInfo`, ...errorInfo });
  if (retryDelaySeconds !== undefined) details.push({ '@type': `${TYPE}.RetryInfo`, retryDelay: `${retryDelaySeconds}s` });
  return new ApiError(429, 'RESOURCE_EXHAUSTED', message, 'rateLimitExceeded', details.length ? details : undefined);
}
