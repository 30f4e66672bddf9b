/**
 * Regional capacity quotas (allocation, not rate): vCPUs of instances that are not TERMINATED,
 * instances, and persistent disk GB (SSD-class: pd-balanced, pd-ssd; standard: pd-standard).
 * Defaults are a new project's (gcp-latency-quota.md); benchmarks of large fleets raise them, as a
 * real project would by a quota increase. Usage is kept as running totals (state.usage), never summed
 * over the fleet.
 */
import { DISK_TYPES } from './catalog.js';
import { quotaExceeded } from './errors.js';
import type { ComputeState } from './state.js';

export interface CapacityQuotas {
  readonly CPUS: number;
  readonly INSTANCES: number;
  readonly SSD_TOTAL_GB: number;
  readonly DISKS_TOTAL_GB: number;
}

export const DEFAULT_CAPACITY_QUOTAS: CapacityQuotas = { CPUS: 24, INSTANCES: 24, SSD_TOTAL_GB: 500, DISKS_TOTAL_GB: 4096 };

export interface DiskDemand {
  readonly type: string;
  readonly sizeGb: number;
}

export class Capacity {
  readonly quotas: CapacityQuotas;

  constructor(
    private readonly state: ComputeState,
    quotas: Partial<CapacityQuotas> = {},
  ) {
    this.quotas = { ...DEFAULT_CAPACITY_QUOTAS, ...quotas };
  }

  private diskGb(disks: readonly DiskDemand[]): { ssd: number; standard: number } {
    let ssd = 0;
    let standard = 0;
    for (const d of disks) {
      if (DISK_TYPES[d.type]?.ssd) ssd += d.sizeGb;
      else standard += d.sizeGb;
    }
    return { ssd, standard };
  }

  /** Throws 403 QUOTA_EXCEEDED when a new instance (running) with these new disks does not fit. */
  checkNewInstance(project: string, region: string, cpus: number, disks: readonly DiskDemand[]): void {
    const u = this.state.regionUsage(project, region);
    const gb = this.diskGb(disks);
    if (u.cpus + cpus > this.quotas.CPUS) throw quotaExceeded('CPUS', this.quotas.CPUS, region);
    if (u.instances + 1 > this.quotas.INSTANCES) throw quotaExceeded('INSTANCES', this.quotas.INSTANCES, region);
    if (u.ssdGb + gb.ssd > this.quotas.SSD_TOTAL_GB) throw quotaExceeded('SSD_TOTAL_GB', this.quotas.SSD_TOTAL_GB, region);
    if (u.standardGb + gb.standard > this.quotas.DISKS_TOTAL_GB) throw quotaExceeded('DISKS_TOTAL_GB', this.quotas.DISKS_TOTAL_GB, region);
  }

  /** Throws when starting a TERMINATED instance would exceed CPUS. */
  checkStart(project: string, region: string, cpus: number): void {
    const u = this.state.regionUsage(project, region);
    if (u.cpus + cpus > this.quotas.CPUS) throw quotaExceeded('CPUS', this.quotas.CPUS, region);
  }

  addInstance(project: string, region: string, delta: 1 | -1): void {
    this.state.regionUsage(project, region).instances += delta;
  }

  addCpus(project: string, region: string, cpus: number): void {
    this.state.regionUsage(project, region).cpus += cpus;
  }

  addDisk(project: string, region: string, disk: DiskDemand, sign: 1 | -1): void {
    const u = this.state.regionUsage(project, region);
    if (DISK_TYPES[disk.type]?.ssd) u.ssdGb += sign * disk.sizeGb;
    else u.standardGb += sign * disk.sizeGb;
  }
}
