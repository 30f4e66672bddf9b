/**
 * The rules Secret Manager applies to a secret's own fields (id, labels, annotations, replication),
 * beyond what the proto schema checks. Each failure is a 400 naming the field and the rule.
 */
import { invalidArgument } from '../api-errors.js';

const SECRET_ID = /^[a-zA-Z0-9_-]{1,255}$/;
/** Label keys: start with a lowercase letter; lowercase letters, digits, `_` and `-`; international letters allowed. */
const LABEL_KEY = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
const LABEL_VALUE = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;
const MAX_LABELS = 64;
/** Annotation keys: 1–63 characters, alphanumerics at both ends, `-` `_` `.` between. */
const ANNOTATION_KEY = /^[a-zA-Z0-9](?:[a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])?$/;
const MAX_ANNOTATIONS_BYTES = 16 * 1024;

export function validateSecretId(secretId: string | null): string {
  if (!secretId) throw invalidArgument('Field [secret_id] is required.', 'secret_id');
  if (!SECRET_ID.test(secretId)) {
    throw invalidArgument(
      `Secret ID [${secretId}] is invalid: it must be 1-255 characters of letters, digits, underscores (_) and hyphens (-).`,
      'secret_id',
    );
  }
  return secretId;
}

export function validateLabels(labels: Record<string, string> | undefined): Record<string, string> {
  const entries = Object.entries(labels ?? {});
  if (entries.length > MAX_LABELS) throw invalidArgument(`A secret can have at most ${MAX_LABELS} labels.`, 'secret.labels');
  for (const [key, value] of entries) {
    if (!LABEL_KEY.test(key)) {
      throw invalidArgument(
        `Label key [${key}] is invalid: it must start with a lowercase letter and contain at most 63 lowercase letters, digits, underscores and hyphens.`,
        'secret.labels',
      );
    }
    if (!LABEL_VALUE.test(value)) {
      throw invalidArgument(
        `Label value [${value}] of key [${key}] is invalid: it must contain at most 63 lowercase letters, digits, underscores and hyphens.`,
        'secret.labels',
      );
    }
  }
  return Object.fromEntries(entries);
}

export function validateAnnotations(annotations: Record<string, string> | undefined): Record<string, string> {
  const entries = Object.entries(annotations ?? {});
  let bytes = 0;
  for (const [key, value] of entries) {
    if (!ANNOTATION_KEY.test(key)) {
      throw invalidArgument(
        `Annotation key [${key}] is invalid: it must be 1-63 characters, begin and end with a letter or digit, with dashes, underscores and dots between.`,
        'secret.annotations',
      );
    }
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (bytes > MAX_ANNOTATIONS_BYTES) throw invalidArgument('The total size of annotations must be at most 16 KiB.', 'secret.annotations');
  return Object.fromEntries(entries);
}

export interface Replication {
  automatic?: Record<string, unknown>;
  userManaged?: { replicas?: { location?: string; customerManagedEncryption?: unknown }[] };
}

/** A global secret needs exactly one replication policy; user-managed replicas need distinct locations. */
export function validateReplication(replication: Replication | undefined): Replication {
  if (!replication || (!replication.automatic && !replication.userManaged)) {
    throw invalidArgument('Field [replication] is required.', 'secret.replication');
  }
  if (replication.automatic && replication.userManaged) {
    throw invalidArgument('Only one of replication.automatic and replication.user_managed may be set.', 'secret.replication');
  }
  if (replication.userManaged) {
    const locations = (replication.userManaged.replicas ?? []).map((r) => r.location ?? '');
    if (locations.length === 0) throw invalidArgument('Field [replication.user_managed.replicas] is required.', 'secret.replication.user_managed.replicas');
    if (locations.some((l) => !/^[a-z]+-[a-z]+\d+$/.test(l))) {
      throw invalidArgument('Every replica needs a valid location, e.g. us-central1.', 'secret.replication.user_managed.replicas.location');
    }
    if (new Set(locations).size !== locations.length) {
      throw invalidArgument('Replica locations must be distinct.', 'secret.replication.user_managed.replicas.location');
    }
  }
  return structuredClone(replication);
}

/** `SecretVersion.replicationStatus` mirrors the secret's replication (without encryption details). */
export function replicationStatus(replication: Replication): unknown {
  if (replication.userManaged) {
    return { userManaged: { replicas: (replication.userManaged.replicas ?? []).map((r) => ({ location: r.location })) } };
  }
  return { automatic: {} };
}
