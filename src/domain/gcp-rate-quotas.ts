/**
 * GCP's default rate quotas, per project per 60-second window, by quota group (design's
 * gcp-latency-quota.md, "Quotas and limits"). One table for the two sides that need it: the worker's
 * rate limiter paces calls under them, and the emulator enforces them.
 */
export const GCP_RATE_QUOTAS = {
  'compute.mutations': 1_500,
  'compute.reads': 1_500,
  'compute.lists': 1_500,
  'compute.operations': 1_500,
  'iam.reads': 6_000,
  'iam.writes': 600,
  'secretmanager.access': 90_000,
  'secretmanager.reads': 600,
  'secretmanager.writes': 600,
  'resourcemanager.reads': 600,
  'resourcemanager.writes': 600,
  // Not in the table: IAP's admin API is modelled like Resource Manager's.
  'iap.reads': 600,
  'iap.writes': 600,
} as const satisfies Record<string, number>;

export type QuotaGroup = keyof typeof GCP_RATE_QUOTAS;

/** GCP's quota window. */
export const QUOTA_WINDOW_MS = 60_000;
