/**
 * Identity-Aware Proxy (iap.googleapis.com/v1), the part the plane uses: the IAM policy of an IAP
 * tunnel instance resource, `projects/{project}/iap_tunnel/zones/{zone}/instances/{instance}`, read
 * and written with plain REST (`:getIamPolicy` / `:setIamPolicy`, both POST).
 *
 * The resource exists only while its compute instance does (services.instanceExists): a policy on a
 * missing instance answers 404, and the policy of a deleted instance goes with it, so a re-created
 * instance of the same name starts with no grants. Conditions (e.g. `destination.port == 22`) need
 * policy version 3, as everywhere.
 */
import type { InventoryResource, Route, RouteRequest, ServiceContext, ServiceFactory, ServiceModule } from '../core/contract.js';
import { notFound } from './api-errors.js';
import { inventoryPolicy, policyRoutes, type PolicyRules, type StoredPolicy } from './iam-policy.js';
import { tunnelRoutes } from './iap-tunnel.js';
import { resolveProjectId } from './project-number.js';

const TUNNEL_INSTANCE_POLICY: PolicyRules = {
  grantableRoles: new Set(['roles/owner', 'roles/editor', 'roles/viewer', 'roles/iap.admin', 'roles/iap.tunnelResourceAccessor']),
};

interface TunnelInstance {
  project: string;
  zone: string;
  instance: string;
}

interface TunnelPolicyRecord extends TunnelInstance {
  policy: StoredPolicy;
}

interface IapState {
  policies: TunnelPolicyRecord[];
}

const keyOf = (t: TunnelInstance) => `${t.project}/${t.zone}/${t.instance}`;
const resourceOf = (t: TunnelInstance) => `projects/${t.project}/iap_tunnel/zones/${t.zone}/instances/${t.instance}`;

export const createIapService: ServiceFactory = (ctx: ServiceContext): ServiceModule => {
  const policies = new Map<string, TunnelPolicyRecord>();

  const exists = (t: TunnelInstance) => ctx.services.instanceExists(t.project, t.zone, t.instance);

  /**
   * Drops the policies of instances that are gone: the tunnel resource went with its instance, so this
   * changes nothing observable and needs no markDirty (the next snapshot simply leaves them out).
   */
  function prune(): void {
    for (const [k, record] of policies) if (!exists(record)) policies.delete(k);
  }

  function tunnelInstanceOf(req: RouteRequest): TunnelInstance {
    const { project: segment, zone, instance } = req.params as { project: string; zone: string; instance: string };
    const project = resolveProjectId(segment, [...policies.values()].map((p) => p.project)) ?? segment;
    const target = { project, zone, instance };
    if (!exists(target)) {
      policies.delete(keyOf(target));
      throw notFound(`Resource ${resourceOf({ project: segment, zone, instance })} not found.`, resourceOf(target));
    }
    return target;
  }

  const base = '/v1/projects/{project}/iap_tunnel/zones/{zone}/instances/{instance}';
  const routes: Route[] = policyRoutes(
    {
      path: base,
      idPrefix: 'iap.tunnelInstances',
      getMethod: 'POST',
      getBody: { bodyType: 'google.iam.v1.GetIamPolicyRequest' },
      rules: TUNNEL_INSTANCE_POLICY,
      holder(req) {
        const target = tunnelInstanceOf(req);
        return {
          policy: policies.get(keyOf(target))?.policy,
          save: (policy) => {
            policies.set(keyOf(target), { ...target, policy });
            ctx.markDirty();
          },
        };
      },
    },
    ctx,
  );
  routes.push(
    ...tunnelRoutes(
      ctx,
      (t) => (exists(t) ? policies.get(keyOf(t))?.policy : undefined),
      (segment) => resolveProjectId(segment, [...policies.values()].map((p) => p.project)) ?? segment,
    ),
  );

  return {
    name: 'iap',
    routes: () => routes,

    inventory(): InventoryResource[] {
      prune();
      return [...policies.values()].flatMap((record): InventoryResource[] => {
        const iamPolicy = inventoryPolicy(record.policy);
        if (!iamPolicy) return [];
        return [
          {
            kind: 'iap.tunnelInstances',
            name: resourceOf(record),
            labels: {},
            iamPolicy,
            attributes: { instance: `projects/${record.project}/zones/${record.zone}/instances/${record.instance}` },
          },
        ];
      });
    },

    snapshot(): IapState {
      prune();
      return { policies: structuredClone([...policies.values()]) };
    },

    restore(state: unknown): void {
      policies.clear();
      for (const p of (state as IapState | undefined)?.policies ?? []) policies.set(keyOf(p), structuredClone(p));
    },

    reset(): void {
      policies.clear();
    },
  };
};
