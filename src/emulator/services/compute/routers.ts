/**
 * Cloud Routers (regional) with Cloud NAT. A NAT that lists subnetworks makes them "used" (they cannot
 * be deleted while it does); `patch` replaces the router's NATs (how NAT is added to an existing
 * router).
 */
import type { InventoryResource, Route, RouteRequest } from '../../core/contract.js';
import { knownRegion, type ComputeEnv, type ComputeKind } from './env.js';
import { alreadyExists, invalidField, notFound, requiredField, resourceNotReady } from './errors.js';
import { newId, timestamp, validateName } from './fields.js';
import { regionScope, url } from './links.js';
import { listPage } from './listing.js';
import { networkName, requireNetwork } from './networks.js';
import type { RouterNat, RouterRecord } from './state.js';
import { requireSubnetwork, subnetworkName } from './subnetworks.js';

export const routerName = (project: string, region: string, name: string) => `projects/${project}/regions/${region}/routers/${name}`;

interface RouterBody {
  name?: string;
  description?: string;
  network?: string;
  nats?: RouterNat[];
  bgp?: unknown;
}

const ALLOCATE = new Set(['AUTO_ONLY', 'MANUAL_ONLY']);
const SOURCES = new Set(['ALL_SUBNETWORKS_ALL_IP_RANGES', 'ALL_SUBNETWORKS_ALL_PRIMARY_IP_RANGES', 'LIST_OF_SUBNETWORKS']);
const SUBNET_RANGES = new Set(['ALL_IP_RANGES', 'PRIMARY_IP_RANGE', 'LIST_OF_SECONDARY_IP_RANGES']);
const LOG_FILTERS = new Set(['ALL', 'ERRORS_ONLY', 'TRANSLATIONS_ONLY']);

export function routerKind(env: ComputeEnv): ComputeKind {
  const { state } = env;

  /** Validates NATs against the router's network and region; answers them with subnetworks as relative names. */
  function validateNats(nats: RouterNat[], project: string, region: string, network: string): RouterNat[] {
    const names = new Set<string>();
    return nats.map((nat, i) => {
      const field = `resource.nats[${i}]`;
      if (!nat.name) throw requiredField(`${field}.name`);
      if (!/^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/.test(nat.name)) throw invalidField(`${field}.name`, nat.name, 'Must be a valid RFC1035 name.');
      if (names.has(nat.name)) throw invalidField(`${field}.name`, nat.name, 'Duplicate NAT name.');
      names.add(nat.name);
      if (!nat.natIpAllocateOption) throw requiredField(`${field}.natIpAllocateOption`);
      if (!ALLOCATE.has(nat.natIpAllocateOption)) throw invalidField(`${field}.natIpAllocateOption`, nat.natIpAllocateOption, '');
      if (nat.natIpAllocateOption === 'MANUAL_ONLY' && !(nat.natIps as unknown[] | undefined)?.length) {
        throw invalidField(`${field}.natIps`, '', 'At least one NAT IP is required with MANUAL_ONLY.');
      }
      if (!nat.sourceSubnetworkIpRangesToNat) throw requiredField(`${field}.sourceSubnetworkIpRangesToNat`);
      if (!SOURCES.has(nat.sourceSubnetworkIpRangesToNat)) throw invalidField(`${field}.sourceSubnetworkIpRangesToNat`, nat.sourceSubnetworkIpRangesToNat, '');
      const logFilter = (nat.logConfig as { filter?: string } | undefined)?.filter;
      if (logFilter !== undefined && !LOG_FILTERS.has(logFilter)) throw invalidField(`${field}.logConfig.filter`, logFilter, '');
      let subnetworks: RouterNat['subnetworks'];
      if (nat.sourceSubnetworkIpRangesToNat === 'LIST_OF_SUBNETWORKS') {
        if (!nat.subnetworks?.length) throw invalidField(`${field}.subnetworks`, '', 'At least one subnetwork is required with LIST_OF_SUBNETWORKS.');
        subnetworks = nat.subnetworks.map((s, j) => {
          const subnet = requireSubnetwork(env, s.name, `${field}.subnetworks[${j}].name`, project, region);
          if (subnet.network !== network) {
            throw invalidField(`${field}.subnetworks[${j}].name`, s.name, "The subnetwork does not belong to the router's network.");
          }
          for (const r of s.sourceIpRangesToNat ?? []) {
            if (!SUBNET_RANGES.has(r)) throw invalidField(`${field}.subnetworks[${j}].sourceIpRangesToNat`, r, '');
          }
          return {
            name: subnetworkName(subnet.project, subnet.region, subnet.name),
            sourceIpRangesToNat: s.sourceIpRangesToNat?.length ? [...s.sourceIpRangesToNat] : ['ALL_IP_RANGES'],
            ...(s.secondaryIpRangeNames?.length ? { secondaryIpRangeNames: [...s.secondaryIpRangeNames] } : {}),
          };
        });
      } else if (nat.subnetworks?.length) {
        throw invalidField(`${field}.subnetworks`, '', 'Subnetworks may only be listed with LIST_OF_SUBNETWORKS.');
      }
      return { ...structuredClone(nat), ...(subnetworks ? { subnetworks } : {}) };
    });
  }

  const natSubnets = (r: RouterRecord) => r.nats.flatMap((n) => (n.subnetworks ?? []).map((s) => s.name));

  function index(r: RouterRecord): void {
    const rel = routerName(r.project, r.region, r.name);
    state.networkUsers.link(r.network, rel);
    for (const s of natSubnets(r)) state.subnetworkUsers.link(s, rel);
  }

  function unindex(r: RouterRecord): void {
    const rel = routerName(r.project, r.region, r.name);
    state.networkUsers.unlink(r.network, rel);
    for (const s of natSubnets(r)) state.subnetworkUsers.unlink(s, rel);
  }

  function render(r: RouterRecord) {
    return {
      kind: 'compute#router',
      id: r.id,
      creationTimestamp: r.creationTimestamp,
      name: r.name,
      ...(r.description ? { description: r.description } : {}),
      region: url(`projects/${r.project}/regions/${r.region}`),
      network: url(r.network),
      ...(r.nats.length ? { nats: r.nats.map((n) => ({ ...n, ...(n.subnetworks ? { subnetworks: n.subnetworks.map((s) => ({ ...s, name: url(s.name) })) } : {}) })) } : {}),
      ...(r.bgp ? { bgp: r.bgp } : {}),
      selfLink: url(routerName(r.project, r.region, r.name)),
    };
  }

  function visible(req: RouteRequest): RouterRecord {
    const { project, region, router } = req.params as { project: string; region: string; router: string };
    const r = state.routers.get(regionScope(project, region), router);
    if (!r || r.state === 'CREATING') throw notFound(routerName(project, region, router));
    return r;
  }

  const base = '/compute/v1/projects/{project}/regions/{region}/routers';
  const routes: Route[] = [
    {
      method: 'POST',
      path: base,
      id: 'compute.routers.insert',
      bodyType: 'google.cloud.compute.v1.Router',
      bodyName: 'router',
      operation: true,
      handle(req) {
        const project = req.params.project!;
        const region = knownRegion(req.params.region!);
        const replay = env.ops.replay(req, project);
        if (replay) return { body: env.ops.render(replay) };
        const body = req.body as RouterBody;
        const name = validateName(body.name);
        const scope = regionScope(project, region);
        const rel = routerName(project, region, name);
        if (state.routers.get(scope, name)) throw alreadyExists(rel);
        if (body.network === undefined) throw requiredField('resource.network');
        const network = requireNetwork(env, body.network, 'resource.network', project);
        const networkRel = networkName(network.project, network.name);
        const record: RouterRecord = {
          id: newId(),
          name,
          project,
          creationTimestamp: timestamp(),
          ...(body.description ? { description: body.description } : {}),
          state: 'CREATING',
          region,
          network: networkRel,
          nats: validateNats(body.nats ?? [], project, region, networkRel),
          ...(body.bgp ? { bgp: structuredClone(body.bgp) } : {}),
        };
        state.routers.set(scope, record);
        index(record);
        const op = env.ops.start(
          {
            project,
            scope,
            methodId: 'compute.routers.insert',
            operationType: 'insert',
            targetLink: rel,
            targetId: record.id,
            effect: { kind: 'router.create', args: { project, region, name, id: record.id } },
          },
          req,
        );
        return { body: env.ops.render(op) };
      },
    },
    {
      method: 'PATCH',
      path: `${base}/{router}`,
      id: 'compute.routers.patch',
      bodyType: 'google.cloud.compute.v1.Router',
      bodyName: 'router',
      operation: true,
      handle(req) {
        const project = req.params.project!;
        const replay = env.ops.replay(req, project);
        if (replay) return { body: env.ops.render(replay) };
        const r = visible(req);
        const rel = routerName(project, r.region, r.name);
        if (r.state !== 'READY') throw resourceNotReady(rel);
        const body = req.body as RouterBody;
        if (body.name !== undefined && body.name !== r.name) throw invalidField('resource.name', body.name, 'The name of a router cannot be changed.');
        const nats = body.nats !== undefined ? validateNats(body.nats, project, r.region, r.network) : undefined;
        const op = env.ops.start(
          {
            project,
            scope: regionScope(project, r.region),
            methodId: 'compute.routers.patch',
            operationType: 'patch',
            targetLink: rel,
            targetId: r.id,
            effect: {
              kind: 'router.patch',
              args: {
                project,
                region: r.region,
                name: r.name,
                id: r.id,
                ...(nats ? { nats } : {}),
                ...(body.description !== undefined ? { description: body.description } : {}),
                ...(body.bgp !== undefined ? { bgp: body.bgp } : {}),
              },
            },
          },
          req,
        );
        return { body: env.ops.render(op) };
      },
    },
    {
      method: 'GET',
      path: `${base}/{router}`,
      id: 'compute.routers.get',
      handle: (req) => ({ body: render(visible(req)) }),
    },
    {
      method: 'GET',
      path: base,
      id: 'compute.routers.list',
      handle(req) {
        const scope = regionScope(req.params.project!, knownRegion(req.params.region!));
        const items = state.routers.list(scope).filter((r) => r.state !== 'CREATING').map(render);
        return { body: listPage('compute#routerList', url(`${scope}/routers`), items, req.query) };
      },
    },
    {
      method: 'DELETE',
      path: `${base}/{router}`,
      id: 'compute.routers.delete',
      operation: true,
      handle(req) {
        const project = req.params.project!;
        const replay = env.ops.replay(req, project);
        if (replay) return { body: env.ops.render(replay) };
        const r = visible(req);
        const rel = routerName(project, r.region, r.name);
        if (r.state === 'DELETING') throw resourceNotReady(rel);
        r.state = 'DELETING';
        const op = env.ops.start(
          {
            project,
            scope: regionScope(project, r.region),
            methodId: 'compute.routers.delete',
            operationType: 'delete',
            targetLink: rel,
            targetId: r.id,
            effect: { kind: 'router.delete', args: { project, region: r.region, name: r.name, id: r.id } },
          },
          req,
        );
        return { body: env.ops.render(op) };
      },
    },
  ];

  const recordOf = (args: Record<string, unknown>) => {
    const r = state.routers.get(regionScope(args.project as string, args.region as string), args.name as string);
    return r && r.id === args.id ? r : undefined;
  };
  const remove = (r: RouterRecord) => {
    unindex(r);
    state.routers.delete(regionScope(r.project, r.region), r.name);
  };

  return {
    routes,
    effects: {
      'router.create': {
        apply(args) {
          const r = recordOf(args);
          if (r) r.state = 'READY';
        },
        abort(args) {
          const r = recordOf(args);
          if (r) remove(r);
        },
      },
      'router.patch': {
        apply(args) {
          const r = recordOf(args);
          if (!r) return;
          unindex(r);
          if (args.nats) r.nats = structuredClone(args.nats as RouterNat[]);
          if (typeof args.description === 'string') r.description = args.description;
          if (args.bgp !== undefined) r.bgp = structuredClone(args.bgp);
          index(r);
        },
      },
      'router.delete': {
        apply(args) {
          const r = recordOf(args);
          if (r) remove(r);
        },
        abort(args) {
          const r = recordOf(args);
          if (r) r.state = 'READY';
        },
      },
    },
    inventory(): InventoryResource[] {
      return [...state.routers.entries()].map(([, r]) => ({
        kind: 'compute.routers',
        name: routerName(r.project, r.region, r.name),
        labels: {},
        attributes: { state: r.state, description: r.description ?? '', network: r.network, nats: r.nats },
      }));
    },
    reindex() {
      for (const [, r] of state.routers.entries()) index(r);
    },
  };
}
