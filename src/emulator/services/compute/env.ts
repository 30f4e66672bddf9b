/**
 * What every compute resource kind shares: the service context, the store, operations, capacity and
 * the guest simulator's hooks. Each kind file contributes its routes, operation effects and inventory
 * rows (a ComputeKind); compute/index.ts assembles them.
 */
import type { InventoryResource, Route, ServiceContext } from '../../core/contract.js';
import type { Capacity } from './capacity.js';
import { regionOfZone, isRegion } from './catalog.js';
import { invalidField } from './errors.js';
import type { EffectHandler, Operations } from './operations.js';
import type { ComputeState, InstanceRecord } from './state.js';

/** How the guest simulator learns about an instance's life (compute calls these; the guest acts). */
export interface GuestHooks {
  /** The instance became RUNNING (insert or start done): boot. */
  started(instance: InstanceRecord): void;
  /** Stop or delete requested: the guest shuts down at once, heartbeats stop. */
  stopped(instance: InstanceRecord): void;
  /** Hard reset: reboot now. */
  reset(instance: InstanceRecord): void;
  /** setMetadata done: the guest reads its metadata again. */
  metadataChanged(instance: InstanceRecord): void;
  /** After a state load: pick up where the guest was. */
  restored(instance: InstanceRecord): void;
}

export interface ComputeEnv {
  readonly ctx: ServiceContext;
  readonly state: ComputeState;
  readonly capacity: Capacity;
  readonly guest: GuestHooks;
  /** Set once every kind has contributed its effects. */
  ops: Operations;
}

export interface ComputeKind {
  readonly routes: Route[];
  readonly effects: Readonly<Record<string, EffectHandler>>;
  inventory(): InventoryResource[];
  /** Rebuilds reverse indexes and capacity totals from restored records. */
  reindex?(): void;
}

/** The region of a zone in a request path, or GCP's 400 for an unknown zone. */
export function regionOfKnownZone(zone: string): string {
  const region = regionOfZone(zone);
  if (!region) throw invalidField('zone', zone, 'Unknown zone.');
  return region;
}

export function knownRegion(region: string): string {
  if (!isRegion(region)) throw invalidField('region', region, 'Unknown region.');
  return region;
}
