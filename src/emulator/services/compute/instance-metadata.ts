/**
 * Instance metadata and labels: validation, fingerprints, and the readers the guest simulator uses.
 * setMetadata and setLabels need the current fingerprint (stale or missing → 412 conditionNotMet).
 */
import { invalidField } from './errors.js';
import { fingerprintOf } from './fields.js';
import type { InstanceRecord } from './state.js';

const KEY = /^[a-zA-Z0-9_-]{1,128}$/;
const MAX_VALUE_BYTES = 256 * 1024;
const MAX_TOTAL_BYTES = 512 * 1024;

export const STALE_METADATA = 'Supplied fingerprint does not match current metadata fingerprint.';

export function validateMetadataItems(items: unknown, field: string): { key: string; value: string }[] {
  const list = (items ?? []) as { key?: string; value?: string }[];
  const seen = new Set<string>();
  let total = 0;
  return list.map((item, i) => {
    const key = item.key ?? '';
    if (!KEY.test(key)) throw invalidField(`${field}.items[${i}].key`, key, 'Metadata keys must be 1-128 characters of letters, digits, - and _.');
    if (seen.has(key)) throw invalidField(`${field}.items[${i}].key`, key, `Duplicate metadata key '${key}'.`);
    seen.add(key);
    const value = item.value ?? '';
    const bytes = Buffer.byteLength(value, 'utf8') + Buffer.byteLength(key, 'utf8');
    if (Buffer.byteLength(value, 'utf8') > MAX_VALUE_BYTES) throw invalidField(`${field}.items[${i}].value`, `${value.slice(0, 32)}...`, 'Metadata values are limited to 256 KB.');
    total += bytes;
    if (total > MAX_TOTAL_BYTES) throw invalidField(field, '', 'Metadata is limited to 512 KB in total.');
    return { key, value };
  });
}

export function metadataFingerprint(items: readonly { key: string; value: string }[], salt: string): string {
  // Salted with the instance id: equal metadata on two instances still gets two fingerprints.
  return fingerprintOf([salt, items]);
}

export function metadataValue(instance: InstanceRecord, key: string): string | undefined {
  return instance.metadata.find((i) => i.key === key)?.value;
}

/** GCP reads boolean metadata values case-insensitively ("TRUE", "true"). */
export function metadataFlag(instance: InstanceRecord, key: string): boolean {
  return (metadataValue(instance, key) ?? '').trim().toLowerCase() === 'true';
}
