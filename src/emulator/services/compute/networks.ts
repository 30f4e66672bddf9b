/**
 * VPC networks (global). Custom mode (`autoCreateSubnetworks: false`) starts empty; auto mode gets one
 * subnetwork per region. Legacy networks are refused. A network used by a subnetwork, firewall rule or
 * router cannot be deleted (400 resourceInUseByAnotherResource).
 */
import type { InventoryResource, Route, RouteRequest } from '../../core/contract.js';
import { REGION_ZONES } from './catalog.js';
import { formatIp } from './cidr.js';
import type { ComputeEnv, ComputeKind } from './env.js';
import { alreadyExists, invalidField, notFound, resourceInUse, resourceNotReady } from './errors.js';
import { fingerprintOf, newId, timestamp, validateName } from './fields.js';
import { globalScope, parseRef, regionScope, relativeName, url } from './links.js';
import { listPage } from './listing.js';
import type { NetworkRecord, SubnetworkRecord } from './state.js';

const ROUTING_MODES = new Set(['REGIONAL', 'GLOBAL']);

export const networkName = (project: string, name: string) => `projects/${project}/global/networks/${name}`;

interface NetworkBody {
  name?: string;
  description?: string;
  autoCreateSubnetworks?: boolean;
  IPv4Range?: string;
  routingConfig?: { routingMode?: string };
  mtu?: number;
}

/**
 * The network a dependent resource names (subnetwork, firewall, router, instance), READY; GCP's 400
 * when it cannot be found and resourceNotReady while it is being created or deleted.
 */
export function requireNetwork(env: ComputeEnv, ref: unknown, field: string, project: string): NetworkRecord {
  const parsed = typeof ref === 'string' ? parseRef(ref, 'networks', { project, location: 'global', locationKind: 'global' }) : undefined;
  const record = parsed ? env.state.networks.get(globalScope(parsed.project), parsed.name) : undefined;
  if (!parsed || !record || record.state === 'CREATING') {
    if (record?.state === 'CREATING') throw resourceNotReady(relativeName(parsed!));
    throw invalidField(field, ref ?? '', 'The referenced network resource cannot be found.');
  }
  if (record.state === 'DELETING') throw resourceNotReady(relativeName(parsed));
  return record;
}

/** Auto-mode ranges: 10.128.0.0/20, 10.130.0.0/20, ... one per region, in a stable order. */
function autoSubnetworks(network: NetworkRecord): SubnetworkRecord[] {
  return Object.keys(REGION_ZONES)
    .sort()
    .map((region, i) => {
      const base = ((10 << 24) >>> 0) + ((128 + 2 * i) << 16);
      return {
        id: newId(),
        name: network.name,
        project: network.project,
        creationTimestamp: network.creationTimestamp,
        state: 'READY',
        region,
        network: networkName(network.project, network.name),
        ipCidrRange: `${formatIp(base)}/20`,
        gatewayAddress: formatIp(base + 1),
        privateIpGoogleAccess: false,
        fingerprint: fingerprintOf([network.name, region]),
        purpose: 'PRIVATE',
        stackType: 'IPV4_ONLY',
        auto: true,
        nextHost: 2,
        freedHosts: [],
      };
    });
}

export function networkKind(env: ComputeEnv): ComputeKind {
  const { state } = env;

  function render(n: NetworkRecord) {
    const rel = networkName(n.project, n.name);
    const subnetworks = [...state.networkUsers.usersOf(rel)].filter((u) => u.includes('/subnetworks/')).sort().map(url);
    return {
      kind: 'compute#network',
      id: n.id,
      creationTimestamp: n.creationTimestamp,
      name: n.name,
      ...(n.description ? { description: n.description } : {}),
      selfLink: url(rel),
      selfLinkWithId: url(`projects/${n.project}/global/networks/${n.id}`),
      autoCreateSubnetworks: n.autoCreateSubnetworks,
      ...(subnetworks.length ? { subnetworks } : {}),
      routingConfig: { routingMode: n.routingMode, bgpBestPathSelectionMode: 'LEGACY' },
      mtu: n.mtu,
      networkFirewallPolicyEnforcementOrder: 'AFTER_CLASSIC_FIREWALL',
    };
  }

  function visible(req: RouteRequest): NetworkRecord {
    const { project, network } = req.params as { project: string; network: string };
    const n = state.networks.get(globalScope(project), network);
    if (!n || n.state === 'CREATING') throw notFound(networkName(project, network));
    return n;
  }

  const routes: Route[] = [
    {
      method: 'POST',
      path: '/compute/v1/projects/{project}/global/networks',
      id: 'compute.networks.insert',
      bodyType: 'google.cloud.compute.v1.Network',
      bodyName: 'network',
      operation: true,
      handle(req) {
        const project = req.params.project!;
        const replay = env.ops.replay(req, project);
        if (replay) return { body: env.ops.render(replay) };
        const body = req.body as NetworkBody;
        const name = validateName(body.name);
        if (state.networks.get(globalScope(project), name)) throw alreadyExists(networkName(project, name));
        if (body.IPv4Range !== undefined || body.autoCreateSubnetworks === undefined) {
          throw invalidField('resource.autoCreateSubnetworks', '', 'Legacy networks are not supported: set autoCreateSubnetworks (false for a custom-mode VPC).');
        }
        const routingMode = body.routingConfig?.routingMode ?? 'REGIONAL';
        if (!ROUTING_MODES.has(routingMode)) throw invalidField('resource.routingConfig.routingMode', routingMode, 'Must be REGIONAL or GLOBAL.');
        const mtu = body.mtu ?? 1460;
        if (!Number.isInteger(mtu) || mtu < 1300 || mtu > 8896) throw invalidField('resource.mtu', mtu, 'Must be between 1300 and 8896.');
        const record: NetworkRecord = {
          id: newId(),
          name,
          project,
          creationTimestamp: timestamp(),
          ...(body.description ? { description: body.description } : {}),
          state: 'CREATING',
          autoCreateSubnetworks: body.autoCreateSubnetworks,
          routingMode,
          mtu,
        };
        state.networks.set(globalScope(project), record);
        const op = env.ops.start({
          project,
          scope: globalScope(project),
          methodId: 'compute.networks.insert',
          operationType: 'insert',
          targetLink: networkName(project, name),
          targetId: record.id,
          effect: { kind: 'network.create', args: { project, name, id: record.id } },
        }, req);
        return { body: env.ops.render(op) };
      },
    },
    {
      method: 'GET',
      path: '/compute/v1/projects/{project}/global/networks/{network}',
      id: 'compute.networks.get',
      handle: (req) => ({ body: render(visible(req)) }),
    },
    {
      method: 'GET',
      path: '/compute/v1/projects/{project}/global/networks',
      id: 'compute.networks.list',
      handle(req) {
        const scope = globalScope(req.params.project!);
        const items = state.networks.list(scope).filter((n) => n.state !== 'CREATING').map(render);
        return { body: listPage('compute#networkList', url(`${scope}/networks`), items, req.query) };
      },
    },
    {
      method: 'DELETE',
      path: '/compute/v1/projects/{project}/global/networks/{network}',
      id: 'compute.networks.delete',
      operation: true,
      handle(req) {
        const project = req.params.project!;
        const replay = env.ops.replay(req, project);
        if (replay) return { body: env.ops.render(replay) };
        const n = visible(req);
        const rel = networkName(project, n.name);
        if (n.state === 'DELETING') throw resourceNotReady(rel);
        // Auto-mode subnetworks go with their network, unless an instance or NAT uses one.
        const user = state.networkUsers.firstUser(rel, (u) => u.includes('/subnetworks/') && state.subnetworks.get(u.slice(0, u.indexOf('/subnetworks/')), n.name)?.auto === true);
        if (user) throw resourceInUse('network', rel, user);
        if (n.autoCreateSubnetworks) {
          for (const region of Object.keys(REGION_ZONES)) {
            const subnetRel = `projects/${project}/regions/${region}/subnetworks/${n.name}`;
            const subnetUser = state.subnetworkUsers.firstUser(subnetRel);
            if (subnetUser) throw resourceInUse('subnetwork', subnetRel, subnetUser);
          }
        }
        n.state = 'DELETING';
        const op = env.ops.start({
          project,
          scope: globalScope(project),
          methodId: 'compute.networks.delete',
          operationType: 'delete',
          targetLink: rel,
          targetId: n.id,
          effect: { kind: 'network.delete', args: { project, name: n.name, id: n.id } },
        }, req);
        return { body: env.ops.render(op) };
      },
    },
  ];

  const recordOf = (args: Record<string, unknown>) => {
    const n = state.networks.get(globalScope(args.project as string), args.name as string);
    return n && n.id === args.id ? n : undefined;
  };

  return {
    routes,
    effects: {
      'network.create': {
        apply(args) {
          const n = recordOf(args);
          if (!n) return;
          n.state = 'READY';
          if (n.autoCreateSubnetworks) {
            for (const s of autoSubnetworks(n)) {
              state.subnetworks.set(regionScope(s.project, s.region), s);
              state.networkUsers.link(networkName(n.project, n.name), `projects/${s.project}/regions/${s.region}/subnetworks/${s.name}`);
            }
          }
        },
        abort(args) {
          const n = recordOf(args);
          if (n) state.networks.delete(globalScope(n.project), n.name);
        },
      },
      'network.delete': {
        apply(args) {
          const n = recordOf(args);
          if (!n) return;
          const rel = networkName(n.project, n.name);
          if (n.autoCreateSubnetworks) {
            for (const region of Object.keys(REGION_ZONES)) {
              state.subnetworks.delete(regionScope(n.project, region), n.name);
              state.networkUsers.unlink(rel, `projects/${n.project}/regions/${region}/subnetworks/${n.name}`);
            }
          }
          state.networks.delete(globalScope(n.project), n.name);
        },
        abort(args) {
          const n = recordOf(args);
          if (n) n.state = 'READY';
        },
      },
    },
    inventory(): InventoryResource[] {
      return [...state.networks.entries()].map(([, n]) => ({
        kind: 'compute.networks',
        name: networkName(n.project, n.name),
        labels: {},
        attributes: { state: n.state, description: n.description ?? '', autoCreateSubnetworks: n.autoCreateSubnetworks, routingMode: n.routingMode },
      }));
    },
  };
}

