/**
 * What the plane knows about GCP's offer: regions with their zones, and machine types with the
 * on-demand list prices used for cost estimates (us-central1, USD, 730 h/month; documented in the
 * README's cost section). Kept as data so validation and pricing read from one place.
 */

export const REGIONS: Readonly<Record<string, readonly string[]>> = {
  'us-central1': ['a', 'b', 'c', 'f'],
  'us-east1': ['b', 'c', 'd'],
  'us-east4': ['a', 'b', 'c'],
  'us-west1': ['a', 'b', 'c'],
  'us-west2': ['a', 'b', 'c'],
  'northamerica-northeast1': ['a', 'b', 'c'],
  'southamerica-east1': ['a', 'b', 'c'],
  'europe-west1': ['b', 'c', 'd'],
  'europe-west2': ['a', 'b', 'c'],
  'europe-west3': ['a', 'b', 'c'],
  'europe-west4': ['a', 'b', 'c'],
  'europe-north1': ['a', 'b', 'c'],
  'asia-east1': ['a', 'b', 'c'],
  'asia-northeast1': ['a', 'b', 'c'],
  'asia-south1': ['a', 'b', 'c'],
  'asia-southeast1': ['a', 'b', 'c'],
  'australia-southeast1': ['a', 'b', 'c'],
};

export interface MachineTypeInfo {
  readonly vcpus: number;
  readonly memoryGb: number;
  /** On-demand USD per month (730 h), us-central1 list price. */
  readonly monthlyUsd: number;
}

export const MACHINE_TYPES: Readonly<Record<string, MachineTypeInfo>> = {
  'e2-micro': { vcpus: 2, memoryGb: 1, monthlyUsd: 6.11 },
  'e2-small': { vcpus: 2, memoryGb: 2, monthlyUsd: 12.23 },
  'e2-medium': { vcpus: 2, memoryGb: 4, monthlyUsd: 24.46 },
  'e2-standard-2': { vcpus: 2, memoryGb: 8, monthlyUsd: 48.92 },
  'e2-standard-4': { vcpus: 4, memoryGb: 16, monthlyUsd: 97.84 },
  'e2-standard-8': { vcpus: 8, memoryGb: 32, monthlyUsd: 195.67 },
  'n2-standard-2': { vcpus: 2, memoryGb: 8, monthlyUsd: 70.9 },
  'n2-standard-4': { vcpus: 4, memoryGb: 16, monthlyUsd: 141.79 },
  'n2-standard-8': { vcpus: 8, memoryGb: 32, monthlyUsd: 283.58 },
  'n2d-standard-2': { vcpus: 2, memoryGb: 8, monthlyUsd: 61.68 },
  'n2d-standard-4': { vcpus: 4, memoryGb: 16, monthlyUsd: 123.37 },
  'c3-standard-4': { vcpus: 4, memoryGb: 16, monthlyUsd: 152.48 },
};

/** Other monthly prices behind the estimate (USD, us-central1 list prices). */
export const PRICES = {
  /** pd-balanced per GB-month. */
  balancedDiskGbMonth: 0.1,
  /** Boot disk size every agent gets. */
  bootDiskGb: 20,
  /** Snapshot storage per GB-month (standard, regional; multi-regional is $0.065: COST_REPORT_PRICES). */
  snapshotGbMonth: 0.05,
  /** Cloud NAT gateway: $0.0014 per VM-hour (up to 32 VMs), 730 h. */
  natPerVmMonth: 0.0014 * 730,
} as const;

/**
 * The price table behind `planes cost-report`: hourly and per-GB-month list prices (USD, us-central1,
 * on-demand), the source pages, and the date this table was last compared with them. GCP bills disks and
 * snapshots per GiB (2^30 bytes) and everything per second; a month is 730 hours.
 */
export const COST_REPORT_PRICES = {
  source: [
    'https://cloud.google.com/compute/vm-instance-pricing',
    'https://cloud.google.com/compute/disks-image-pricing',
    'https://cloud.google.com/nat/pricing',
  ],
  asOf: '2026-11-30',
  region: 'us-central1',
  currency: 'USD',
  hoursPerMonth: 730,
  /** Persistent disk capacity per GiB-month, by disk type. */
  diskGbMonth: { 'pd-standard': 0.04, 'pd-balanced': 0.1, 'pd-ssd': 0.17 } as Readonly<Record<string, number>>,
  /** Standard snapshot storage per GiB-month: stored in one region, or in a multi-region (us, eu, asia). */
  regionalSnapshotGbMonth: 0.05,
  multiRegionalSnapshotGbMonth: 0.065,
  /** Cloud NAT gateway: per VM using it per hour, up to this many VMs; above, a flat hourly rate. */
  natPerVmHour: 0.0014,
  natVmCap: 32,
  natGatewayCappedHour: 0.044,
  /** Each external IP the NAT uses (AUTO_ONLY allocates one for a plane of this size) per hour. */
  natIpHour: 0.005,
} as const;
