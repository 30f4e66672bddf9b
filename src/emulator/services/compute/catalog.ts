/**
 * GCP's public geography and machine types, as compute answers about them: which zones exist (and
 * their region), which machine types a zone offers. Kept independent of the plane's own catalog: the
 * emulator stands for GCP, not for what our code happens to accept.
 */

/** Regions with their zone suffixes (public GCP regions, 2025). */
export const REGION_ZONES: Readonly<Record<string, readonly string[]>> = {
  'africa-south1': ['a', 'b', 'c'],
  'asia-east1': ['a', 'b', 'c'],
  'asia-east2': ['a', 'b', 'c'],
  'asia-northeast1': ['a', 'b', 'c'],
  'asia-northeast2': ['a', 'b', 'c'],
  'asia-northeast3': ['a', 'b', 'c'],
  'asia-south1': ['a', 'b', 'c'],
  'asia-south2': ['a', 'b', 'c'],
  'asia-southeast1': ['a', 'b', 'c'],
  'asia-southeast2': ['a', 'b', 'c'],
  'australia-southeast1': ['a', 'b', 'c'],
  'australia-southeast2': ['a', 'b', 'c'],
  'europe-central2': ['a', 'b', 'c'],
  'europe-north1': ['a', 'b', 'c'],
  'europe-southwest1': ['a', 'b', 'c'],
  'europe-west1': ['b', 'c', 'd'],
  'europe-west2': ['a', 'b', 'c'],
  'europe-west3': ['a', 'b', 'c'],
  'europe-west4': ['a', 'b', 'c'],
  'europe-west6': ['a', 'b', 'c'],
  'europe-west8': ['a', 'b', 'c'],
  'europe-west9': ['a', 'b', 'c'],
  'europe-west10': ['a', 'b', 'c'],
  'europe-west12': ['a', 'b', 'c'],
  'me-central1': ['a', 'b', 'c'],
  'me-central2': ['a', 'b', 'c'],
  'me-west1': ['a', 'b', 'c'],
  'northamerica-northeast1': ['a', 'b', 'c'],
  'northamerica-northeast2': ['a', 'b', 'c'],
  'northamerica-south1': ['a', 'b', 'c'],
  'southamerica-east1': ['a', 'b', 'c'],
  'southamerica-west1': ['a', 'b', 'c'],
  'us-central1': ['a', 'b', 'c', 'f'],
  'us-east1': ['b', 'c', 'd'],
  'us-east4': ['a', 'b', 'c'],
  'us-east5': ['a', 'b', 'c'],
  'us-south1': ['a', 'b', 'c'],
  'us-west1': ['a', 'b', 'c'],
  'us-west2': ['a', 'b', 'c'],
  'us-west3': ['a', 'b', 'c'],
  'us-west4': ['a', 'b', 'c'],
};

const ZONE_REGION = new Map<string, string>(
  Object.entries(REGION_ZONES).flatMap(([region, suffixes]) => suffixes.map((s) => [`${region}-${s}`, region] as [string, string])),
);

export function regionOfZone(zone: string): string | undefined {
  return ZONE_REGION.get(zone);
}

export function isRegion(region: string): boolean {
  return region in REGION_ZONES;
}

export function zonesOf(region: string): string[] {
  return (REGION_ZONES[region] ?? []).map((s) => `${region}-${s}`);
}

export function allZones(): string[] {
  return [...ZONE_REGION.keys()];
}

export interface MachineTypeSpec {
  readonly guestCpus: number;
  readonly memoryMb: number;
  /** Shared-core types (e2-micro/small/medium) run on a fraction of their vCPUs. */
  readonly sharedCpu?: boolean;
  readonly description: string;
  /** Series available only in some zones; absent = every zone. */
  readonly zones?: ReadonlySet<string>;
}

/** Zones that do not offer the C3 series (a sample of GCP's partial availability). */
const C3_ZONES = new Set(allZones().filter((z) => !['us-central1-f', 'us-east1-d', 'europe-west1-d'].includes(z)));

export const MACHINE_TYPES: Readonly<Record<string, MachineTypeSpec>> = {
  'e2-micro': { guestCpus: 2, memoryMb: 1024, sharedCpu: true, description: 'Efficient Instance, 2 vCPU (1/8 shared physical core) and 1 GB RAM' },
  'e2-small': { guestCpus: 2, memoryMb: 2048, sharedCpu: true, description: 'Efficient Instance, 2 vCPU (1/4 shared physical core) and 2 GB RAM' },
  'e2-medium': { guestCpus: 2, memoryMb: 4096, sharedCpu: true, description: 'Efficient Instance, 2 vCPU (1/2 shared physical core) and 4 GB RAM' },
  'e2-standard-2': { guestCpus: 2, memoryMb: 8192, description: 'Efficient Instance, 2 vCPUs, 8 GB RAM' },
  'e2-standard-4': { guestCpus: 4, memoryMb: 16384, description: 'Efficient Instance, 4 vCPUs, 16 GB RAM' },
  'e2-standard-8': { guestCpus: 8, memoryMb: 32768, description: 'Efficient Instance, 8 vCPUs, 32 GB RAM' },
  'e2-standard-16': { guestCpus: 16, memoryMb: 65536, description: 'Efficient Instance, 16 vCPUs, 64 GB RAM' },
  'e2-highmem-2': { guestCpus: 2, memoryMb: 16384, description: 'Efficient Instance, 2 vCPUs, 16 GB RAM' },
  'e2-highcpu-2': { guestCpus: 2, memoryMb: 2048, description: 'Efficient Instance, 2 vCPUs, 2 GB RAM' },
  'n1-standard-1': { guestCpus: 1, memoryMb: 3840, description: '1 vCPU, 3.75 GB RAM' },
  'n1-standard-2': { guestCpus: 2, memoryMb: 7680, description: '2 vCPUs, 7.5 GB RAM' },
  'n1-standard-4': { guestCpus: 4, memoryMb: 15360, description: '4 vCPUs, 15 GB RAM' },
  'n2-standard-2': { guestCpus: 2, memoryMb: 8192, description: '2 vCPUs 8 GB RAM' },
  'n2-standard-4': { guestCpus: 4, memoryMb: 16384, description: '4 vCPUs 16 GB RAM' },
  'n2-standard-8': { guestCpus: 8, memoryMb: 32768, description: '8 vCPUs 32 GB RAM' },
  'n2-standard-16': { guestCpus: 16, memoryMb: 65536, description: '16 vCPUs 64 GB RAM' },
  'n2d-standard-2': { guestCpus: 2, memoryMb: 8192, description: '2 vCPUs 8 GB RAM' },
  'n2d-standard-4': { guestCpus: 4, memoryMb: 16384, description: '4 vCPUs 16 GB RAM' },
  'n2d-standard-8': { guestCpus: 8, memoryMb: 32768, description: '8 vCPUs 32 GB RAM' },
  't2d-standard-1': { guestCpus: 1, memoryMb: 4096, description: '1 vCPU, 4 GB RAM' },
  'c3-standard-4': { guestCpus: 4, memoryMb: 16384, description: '4 vCPUs, 16 GB RAM', zones: C3_ZONES },
  'c3-standard-8': { guestCpus: 8, memoryMb: 32768, description: '8 vCPUs, 32 GB RAM', zones: C3_ZONES },
};

export function machineTypeIn(zone: string, name: string): MachineTypeSpec | undefined {
  const spec = MACHINE_TYPES[name];
  if (!spec || (spec.zones && !spec.zones.has(zone))) return undefined;
  return spec;
}

/** Disk types a zone offers, and whether they count as SSD capacity. */
export const DISK_TYPES: Readonly<Record<string, { readonly ssd: boolean; readonly minGb: number; readonly maxGb: number }>> = {
  'pd-standard': { ssd: false, minGb: 10, maxGb: 65536 },
  'pd-balanced': { ssd: true, minGb: 10, maxGb: 65536 },
  'pd-ssd': { ssd: true, minGb: 10, maxGb: 65536 },
  'pd-extreme': { ssd: true, minGb: 500, maxGb: 65536 },
};

/** Size of the public images (GB): a boot disk cannot be smaller than its image. */
export const DEFAULT_IMAGE_SIZE_GB = 10;
