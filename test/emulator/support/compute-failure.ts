/**
 * What a failed compute call said, as the official client received it: gax keeps the raw HTTP body on
 * the error (Symbol.for('google-gax.rawHttpResponsePayload')), so the suites can assert GCP's exact
 * error shape (`error.code`, `error.message`, `error.errors[{ message, domain, reason }]`).
 */
import { expect } from 'vitest';

const RAW_BODY = Symbol.for('google-gax.rawHttpResponsePayload');

export interface ComputeFailure {
  readonly http: number | undefined;
  /** gRPC code gax derived (compute bodies carry no `status`, so it comes from the HTTP status). */
  readonly code: number | undefined;
  readonly body: { error: { code: number; message: string; status?: string; errors?: { message: string; domain: string; reason: string }[]; details?: unknown[] } };
}

export async function computeFailure(call: Promise<unknown>): Promise<ComputeFailure> {
  try {
    await call;
  } catch (error) {
    const e = error as { httpStatusCode?: number; code?: number; [RAW_BODY]?: string };
    const raw = e[RAW_BODY];
    if (typeof raw !== 'string') throw error;
    return { http: e.httpStatusCode, code: e.code, body: JSON.parse(raw) as ComputeFailure['body'] };
  }
  expect.fail('the call succeeded, but a failure was expected');
}
