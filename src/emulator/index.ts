/**
 * The GCP emulator's public API: an HTTP server on 127.0.0.1 that the official Google clients talk to
 * unmodified (see src/gcp/clients.ts), with compute (and its guest simulator), IAM, Secret Manager,
 * Resource Manager and IAP, GCP's latencies, quotas and errors, and admin endpoints under /__emulator:
 *
 *   GET  /__emulator/inventory   every resource with labels and IAM policy (never a secret payload)
 *   POST /__emulator/reset       empty everything (resources, faults, call counts, rate windows)
 *   GET|POST|DELETE /__emulator/faults   fault rules `{ rules: [{ method, kind, count?, rate?, project?, message? }] }`
 *   GET|DELETE /__emulator/calls         call counts by method id
 *   GET|POST /__emulator/quotas          per-project rate limits per 60 s window `{ limits: { group: n } }`
 *   POST /__emulator/guest               guest simulator control (see guest/simulator.ts)
 */
import { startCore, type CoreOptions, type EmulatorHandle } from './core/emulator.js';
import type { ServiceFactory } from './core/contract.js';
import type { GuestOptions } from './guest/simulator.js';
import { computeService, type CapacityQuotas } from './services/compute/index.js';
import { createIamService } from './services/iam.js';
import { createIapService } from './services/iap.js';
import { createResourceManagerService } from './services/resource-manager.js';
import { createSecretManagerService } from './services/secret-manager.js';

export type { EmulatorHandle } from './core/emulator.js';
export type { FaultKind, FaultRule, FaultRuleStatus } from './core/faults.js';
export { FAULT_KINDS, parseFaultRules } from './core/faults.js';
export type { InventoryResource } from './core/contract.js';
export { DEFAULT_LATENCIES } from './core/latency.js';
export { DEFAULT_RATE_QUOTAS, quotaGroupOf } from './core/rate-quotas.js';

export { DEFAULT_CAPACITY_QUOTAS, type CapacityQuotas } from './services/compute/index.js';
export type { GuestOptions } from './guest/simulator.js';

export interface EmulatorOptions extends CoreOptions {
  /** Compute's regional capacity quotas per project (defaults: a new project's, see DEFAULT_CAPACITY_QUOTAS). */
  readonly computeQuotas?: Partial<CapacityQuotas>;
  /** Guest simulator timings (emulated ms) and versions that fail their health check. */
  readonly guest?: GuestOptions;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const factories: ServiceFactory[] = [
    computeService({ ...(options.computeQuotas ? { quotas: options.computeQuotas } : {}), ...(options.guest ? { guest: options.guest } : {}) }),
    createIamService,
    createSecretManagerService,
    createResourceManagerService,
    createIapService,
  ];
  return startCore(factories, options);
}
