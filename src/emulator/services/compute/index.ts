/**
 * Compute Engine (compute/v1), the parts the plane uses: networks, subnetworks, firewalls, routers with
 * Cloud NAT, resource policies (snapshot schedules), instances (with their IAM policy, guest attributes
 * and serial console), disks, snapshots, zone/region/global operations, and the zone/region/machine
 * type catalog. Method ids are `compute.<collection>.<method>` (e.g. compute.instances.insert,
 * compute.zoneOperations.wait).
 */
import { ApiError, type ServiceContext, type ServiceFactory, type ServiceModule } from '../../core/contract.js';
import { createGuestSimulator, type GuestOptions } from '../../guest/simulator.js';
import { Capacity, type CapacityQuotas } from './capacity.js';
import { diskKind } from './disks.js';
import type { ComputeEnv, ComputeKind } from './env.js';
import { firewallKind } from './firewalls.js';
import { geographyRoutes } from './geography.js';
import { instanceGuestRoutes } from './instance-guest.js';
import { instanceSettingsRoutes } from './instance-settings.js';
import { instanceKind } from './instances.js';
import { zoneScope } from './links.js';
import { networkKind } from './networks.js';
import { Operations, type EffectHandler } from './operations.js';
import { resourcePolicyKind } from './resource-policies.js';
import { routerKind } from './routers.js';
import { snapshotKind } from './snapshots.js';
import { ComputeState, type ComputeSnapshot } from './state.js';
import { subnetworkKind } from './subnetworks.js';

export { DEFAULT_CAPACITY_QUOTAS, type CapacityQuotas } from './capacity.js';

export interface ComputeOptions {
  /** Regional capacity quotas (per project and region), over DEFAULT_CAPACITY_QUOTAS. */
  readonly quotas?: Partial<CapacityQuotas>;
  readonly guest?: GuestOptions;
}

export function computeService(options: ComputeOptions = {}): ServiceFactory {
  return (ctx: ServiceContext): ServiceModule => {
    const state = new ComputeState();
    const capacity = new Capacity(state, options.quotas);
    const find = (project: string, zone: string, name: string) => state.instances.get(zoneScope(project, zone), name);
    const guest = createGuestSimulator(ctx, find, options.guest);
    const env: ComputeEnv = { ctx, state, capacity, guest, ops: undefined as unknown as Operations };
    const instances = instanceKind(env);
    const kinds: ComputeKind[] = [
      networkKind(env),
      subnetworkKind(env),
      firewallKind(env),
      routerKind(env),
      resourcePolicyKind(env),
      diskKind(env),
      snapshotKind(env),
      instances,
    ];
    const sharedEffects: Record<string, EffectHandler> = {
      noop: { apply() {} },
      'instance.metadataChanged': {
        apply(args) {
          const i = find(args.project as string, args.zone as string, args.name as string);
          if (i && i.id === args.id) guest.metadataChanged(i);
        },
      },
    };
    env.ops = new Operations(ctx, state, Object.assign({}, sharedEffects, ...kinds.map((k) => k.effects)));
    const routes = [
      ...kinds.flatMap((k) => k.routes),
      ...instanceSettingsRoutes(env, find),
      ...instanceGuestRoutes(env, find),
      ...geographyRoutes(),
      ...env.ops.routes(),
    ];

    return {
      name: 'compute',
      routes: () => routes,
      adminRoutes: () => guest.adminRoutes(),
      inventory: () => kinds.flatMap((k) => k.inventory()),
      instanceExists: (project, zone, instance) => find(project, zone, instance) !== undefined,
      guestLoopbackConnect(project, zone, instance, port, peer) {
        const i = find(project, zone, instance);
        if (!i) throw new ApiError(404, 'NOT_FOUND', `The resource 'projects/${project}/zones/${zone}/instances/${instance}' was not found`, 'notFound');
        return guest.loopbackConnect(i, port, peer);
      },
      snapshot: () => state.snapshot(),
      restore(saved: unknown) {
        guest.clear();
        env.ops.reset();
        state.clear();
        const s = saved as Partial<ComputeSnapshot> | undefined;
        const load = <T extends { name: string }>(target: { set(scope: string, r: T): void }, rows: [string, T][] | undefined) => {
          for (const [scope, r] of rows ?? []) target.set(scope, r);
        };
        load(state.networks, s?.networks);
        load(state.subnetworks, s?.subnetworks);
        load(state.firewalls, s?.firewalls);
        load(state.routers, s?.routers);
        load(state.resourcePolicies, s?.resourcePolicies);
        load(state.disks, s?.disks);
        load(state.snapshots, s?.snapshots);
        load(state.instances, s?.instances);
        load(state.operations, s?.operations);
        for (const [scope, op] of state.operations.entries()) if (op.requestId) state.requestIds.set(`${op.project}/${op.requestId}`, { scope, name: op.name });
        for (const k of kinds) k.reindex?.();
        // Operations in flight complete (at once when their time has passed), guests pick up again.
        env.ops.resumeAll();
        for (const [, i] of state.instances.entries()) guest.restored(i);
      },
      reset() {
        guest.clear();
        env.ops.reset();
        state.clear();
      },
      close: () => guest.close(),
    };
  };
}
