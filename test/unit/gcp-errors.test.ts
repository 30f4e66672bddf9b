import { describe, expect, it } from 'vitest';
import { normalizeGcpError, operationError } from '../../src/gcp/errors.js';

describe('normalizeGcpError', () => {
  it('reads gax 6 errors (gRPC code + HTTP status)', () => {
    const e = normalizeGcpError(Object.assign(new Error("The resource 'x' already exists"), { code: 6, httpStatusCode: 409, reason: 'alreadyExists' }));
    expect(e.kind).toBe('ALREADY_EXISTS');
    expect(e.retryable).toBe(false);
  });

  it('reads gax 5 errors (HTTP status as code, JSON body as message) without echoing the body', () => {
    const body = JSON.stringify({ error: { code: 409, message: 'There were concurrent policy changes.', status: 'ABORTED' } });
    const e = normalizeGcpError(Object.assign(new Error(body), { code: 409 }));
    expect(e.kind).toBe('CONFLICT');
    expect(e.retryable).toBe(true);
    expect(e.message).toContain('concurrent policy changes');
    expect(e.message).not.toContain('{');
  });

  it('reads gaxios errors', () => {
    const e = normalizeGcpError(Object.assign(new Error('Maximum number of service accounts on project reached.'), { code: 429, status: 429 }));
    expect(e.kind).toBe('QUOTA_EXCEEDED');
    expect(e.retryable).toBe(false);
  });

  it.each([
    [{ code: 14, message: 'unavailable' }, 'TRANSIENT', true],
    [{ code: 8, message: 'Rate Limit Exceeded', reason: 'rateLimitExceeded' }, 'RATE_LIMITED', true],
    [{ code: 403, message: JSON.stringify({ error: { code: 403, message: 'Rate Limit Exceeded', errors: [{ reason: 'rateLimitExceeded' }] } }) }, 'RATE_LIMITED', true],
    [{ code: 403, message: JSON.stringify({ error: { code: 403, message: "Quota 'CPUS' exceeded.", errors: [{ reason: 'quotaExceeded' }] } }) }, 'QUOTA_EXCEEDED', false],
    [{ code: 7, message: 'denied' }, 'PERMISSION_DENIED', false],
    [{ code: 3, message: 'bad' }, 'INVALID', false],
    [{ code: 9, httpStatusCode: 412, message: 'fingerprint' }, 'PRECONDITION', true],
    [{ code: 5, message: 'gone' }, 'NOT_FOUND', false],
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, 'TRANSIENT', true],
  ])('classifies %j', (raw, kind, retryable) => {
    const e = normalizeGcpError(Object.assign(new Error(raw.message), raw));
    expect(e.kind).toBe(kind);
    expect(e.retryable).toBe(retryable);
  });

  it('classifies failed compute operations by their error code', () => {
    expect(operationError('create instance', [{ code: 'QUOTA_EXCEEDED', message: "Quota 'CPUS' exceeded" }], 403).kind).toBe('QUOTA_EXCEEDED');
    expect(operationError('create instance', [{ code: 'ZONE_RESOURCE_POOL_EXHAUSTED' }], 503).kind).toBe('TRANSIENT');
    expect(operationError('create instance', [{ code: 'RESOURCE_NOT_FOUND' }], 400).kind).toBe('INVALID');
  });
});
