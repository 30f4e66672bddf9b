/**
 * Compute's errors, in its own words (the core renders them with `errors[{ message, domain, reason }]`).
 */
import { ApiError } from '../../core/contract.js';

export function notFound(relativeName: string): ApiError {
  return new ApiError(404, 'NOT_FOUND', `The resource '${relativeName}' was not found`, 'notFound');
}

export function alreadyExists(relativeName: string): ApiError {
  return new ApiError(409, 'ALREADY_EXISTS', `The resource '${relativeName}' already exists`, 'alreadyExists');
}

/** `kind` as GCP words it: network, subnetwork, resource_policy, ... */
export function resourceInUse(kind: string, relativeName: string, usedBy: string): ApiError {
  return new ApiError(
    400,
    'FAILED_PRECONDITION',
    `The ${kind} resource '${relativeName}' is already being used by '${usedBy}'`,
    'resourceInUseByAnotherResource',
  );
}

export function resourceNotReady(relativeName: string): ApiError {
  return new ApiError(400, 'FAILED_PRECONDITION', `The resource '${relativeName}' is not ready`, 'resourceNotReady');
}

export function invalidField(field: string, value: unknown, why: string): ApiError {
  const shown = typeof value === 'string' ? value : JSON.stringify(value ?? '');
  return new ApiError(400, 'INVALID_ARGUMENT', `Invalid value for field '${field}': '${shown}'. ${why}`.trimEnd(), 'invalid');
}

export function requiredField(field: string): ApiError {
  return new ApiError(400, 'INVALID_ARGUMENT', `Required field '${field}' not specified`, 'required');
}

export function conditionNotMet(message: string): ApiError {
  return new ApiError(412, 'FAILED_PRECONDITION', message, 'conditionNotMet');
}

export function badRequest(message: string, reason = 'invalid'): ApiError {
  return new ApiError(400, 'INVALID_ARGUMENT', message, reason);
}

/** A capacity quota (CPUS, INSTANCES, SSD_TOTAL_GB, ...) of a region. */
export function quotaExceeded(metric: string, limit: number, region: string): ApiError {
  return new ApiError(403, 'RESOURCE_EXHAUSTED', `Quota '${metric}' exceeded.  Limit: ${limit.toFixed(1)} in region ${region}.`, 'quotaExceeded', [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'QUOTA_EXCEEDED',
      domain: 'compute.googleapis.com',
      metadata: { quota_metric: metric, quota_limit: String(limit), region },
    },
  ]);
}
