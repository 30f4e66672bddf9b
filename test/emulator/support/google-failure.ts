/**
 * What a failed call through an official Google client says, read the same way whichever client
 * generation threw it: gax 6 (secret manager: gRPC code + httpStatusCode), gax 5 (resource manager) and
 * gaxios (@googleapis/iam, whose error carries the HTTP response). The emulator suites assert GCP's
 * answer (HTTP status, canonical status, message), not our own error normaliser's reading of it.
 */
import { expect } from 'vitest';

const GRPC_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE',
  'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
];

export interface GoogleFailure {
  readonly http: number | undefined;
  readonly status: string | undefined;
  readonly message: string;
  /** `google.rpc` details (gaxios: as sent; gax: statusDetails), for RetryInfo / ResourceInfo checks. */
  readonly details: unknown[];
}

interface JsonError {
  code?: number;
  status?: string;
  message?: string;
  details?: unknown[];
}

function jsonBody(text: unknown): JsonError | undefined {
  if (typeof text !== 'string' || !text.trimStart().startsWith('{')) return undefined;
  try {
    return (JSON.parse(text) as { error?: JsonError }).error;
  } catch {
    return undefined;
  }
}

export function readFailure(error: unknown): GoogleFailure {
  const e = error as {
    code?: unknown;
    httpStatusCode?: number;
    status?: number;
    message?: string;
    details?: unknown;
    statusDetails?: unknown[];
    response?: { status?: number; data?: { error?: JsonError } };
  };
  const fromResponse = e.response?.data?.error;
  if (fromResponse) {
    return { http: e.response?.status, status: fromResponse.status, message: fromResponse.message ?? '', details: fromResponse.details ?? [] };
  }
  const fromMessage = jsonBody(e.message);
  if (fromMessage) return { http: fromMessage.code, status: fromMessage.status, message: fromMessage.message ?? '', details: fromMessage.details ?? [] };
  const grpc = typeof e.code === 'number' && e.code < 100 ? GRPC_NAMES[e.code] : undefined;
  return {
    http: e.httpStatusCode ?? (typeof e.code === 'number' && e.code >= 100 ? e.code : undefined),
    status: grpc,
    message: e.message ?? String(error),
    details: e.statusDetails ?? [],
  };
}

/** Awaits `call`, which must fail, and returns what GCP said. */
export async function failure(call: Promise<unknown>): Promise<GoogleFailure> {
  try {
    await call;
  } catch (error) {
    return readFailure(error);
  }
  expect.fail('the call succeeded, but a failure was expected');
}
