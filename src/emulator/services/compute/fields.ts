/**
 * Field rules every compute resource shares: names, labels, fingerprints, ids and timestamps, with
 * GCP's messages.
 */
import { createHash, randomBytes } from 'node:crypto';
import { invalidField, requiredField } from './errors.js';

const NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

export function validateName(name: unknown, field = 'resource.name'): string {
  if (name === undefined || name === null || name === '') throw requiredField(field);
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw invalidField(field, name, "Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'");
  }
  return name;
}

const LABEL_KEY = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
const LABEL_VALUE = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;

export function validateLabels(labels: unknown, field = 'resource.labels'): Record<string, string> {
  if (labels === undefined || labels === null) return {};
  const entries = Object.entries(labels as Record<string, string>);
  if (entries.length > 64) throw invalidField(field, '', 'A resource can have at most 64 labels.');
  for (const [key, value] of entries) {
    if (!LABEL_KEY.test(key)) {
      throw invalidField(
        `${field}.key`,
        key,
        `Label key '${key}' violates format constraints. The key must start with a lowercase character, can only contain lowercase letters, numeric characters, underscores and dashes. The key can be at most 63 characters long. International characters are allowed.`,
      );
    }
    if (!LABEL_VALUE.test(value)) {
      throw invalidField(
        `${field}.value`,
        value,
        `Label value '${value}' violates format constraints. The value can only contain lowercase letters, numeric characters, underscores and dashes. The value can be at most 63 characters long. International characters are allowed.`,
      );
    }
  }
  return Object.fromEntries(entries);
}

/** A content fingerprint in GCP's shape (8 bytes, base64): equal content, equal fingerprint. */
export function fingerprintOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest().subarray(0, 8).toString('base64');
}

export function labelFingerprint(labels: Record<string, string>): string {
  return fingerprintOf(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** An unsigned 64-bit id as compute answers it (a decimal string of up to 19 digits). */
export function newId(): string {
  const n = randomBytes(8).readBigUInt64BE(0) % 9_000_000_000_000_000_000n;
  return (n + 1_000_000_000_000_000_000n).toString();
}

/** RFC 3339 with the offset, as compute writes creationTimestamp (e.g. 2025-01-02T03:04:05.678-08:00). */
export function timestamp(ms = Date.now()): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The requestId query parameter, validated as GCP does; undefined when absent. */
export function requestIdOf(query: URLSearchParams): string | undefined {
  const id = query.get('requestId');
  if (id === null || id === '') return undefined;
  if (!UUID.test(id) || /^0{8}-0{4}-0{4}-0{4}-0{12}$/.test(id)) {
    throw invalidField(
      'requestId',
      id,
      'The requestId must be a valid UUID with the exception that zero UUID is not supported (00000000-0000-0000-0000-000000000000).',
    );
  }
  return id.toLowerCase();
}
