/**
 * Subnetworks (regional) of a network: a primary IPv4 range that may not overlap another subnetwork
 * of the same network, Private Google Access, and the internal addresses handed to instances. A
 * subnetwork used by an instance or by Cloud NAT cannot be deleted.
 */
import type { InventoryResource, Route, RouteRequest } from '../../core/contract.js';
import { formatIp, overlaps, parseCidr } from './cidr.js';
import { knownRegion, type ComputeEnv, type ComputeKind } from './env.js';
import { alreadyExists, badRequest, invalidField, notFound, requiredField, resourceInUse, resourceNotReady } from './errors.js';
import { fingerprintOf, newId, timestamp, validateName } from './fields.js';
import { parseRef, regionScope, relativeName, url } from './links.js';
import { listPage } from './listing.js';
import { networkName, requireNetwork } from './networks.js';
import type { SubnetworkRecord } from './state.js';

export const subnetworkName = (project: string, region: string, name: string) => `projects/${project}/regions/${region}/subnetworks/${name}`;

interface SubnetworkBody {
  name?: string;
  description?: string;
  network?: string;
  ipCidrRange?: string;
  privateIpGoogleAccess?: boolean;
  purpose?: string;
  stackType?: string;
  secondaryIpRanges?: { rangeName?: string; ipCidrRange?: string }[];
}

/** A subnetwork referenced by another resource, READY, in `region`; GCP's 400s otherwise. */
export function requireSubnetwork(env: ComputeEnv, ref: unknown, field: string, project: string, region: string): SubnetworkRecord {
  const parsed = typeof ref === 'string' ? parseRef(ref, 'subnetworks', { project, location: region, locationKind: 'regions' }) : undefined;
  const record = parsed ? env.state.subnetworks.get(regionScope(parsed.project, parsed.location), parsed.name) : undefined;
  if (!parsed || !record) throw invalidField(field, ref ?? '', 'The referenced subnetwork resource cannot be found.');
  if (record.state !== 'READY') throw resourceNotReady(relativeName(parsed));
  if (parsed.location !== region) {
    throw invalidField(field, ref, `Subnetwork must be in the same region as the resource (${region}).`);
  }
  return record;
}

/** Hands out the next free internal address of a subnetwork. */
export function allocateAddress(subnet: SubnetworkRecord): string {
  const cidr = parseCidr(subnet.ipCidrRange)!;
  let host = subnet.freedHosts.pop();
  if (host === undefined) {
    // The last two addresses are reserved by GCP, as are the first two.
    if (subnet.nextHost >= cidr.size - 2) {
      throw badRequest(`IP space of '${subnetworkName(subnet.project, subnet.region, subnet.name)}' is exhausted.`, 'ipSpaceExhausted');
    }
    host = subnet.nextHost++;
  }
  return formatIp(cidr.base + host);
}

export function releaseAddress(subnet: SubnetworkRecord, address: string): void {
  const cidr = parseCidr(subnet.ipCidrRange)!;
  const ip = parseCidr(`${address}/32`)!.base;
  const host = ip - cidr.base;
  if (host >= 2 && host < cidr.size - 2) subnet.freedHosts.push(host);
}

export function subnetworkKind(env: ComputeEnv): ComputeKind {
  const { state } = env;

  function render(s: SubnetworkRecord) {
    return {
      kind: 'compute#subnetwork',
      id: s.id,
      creationTimestamp: s.creationTimestamp,
      name: s.name,
      ...(s.description ? { description: s.description } : {}),
      network: url(s.network),
      ipCidrRange: s.ipCidrRange,
      gatewayAddress: s.gatewayAddress,
      region: url(`projects/${s.project}/regions/${s.region}`),
      selfLink: url(subnetworkName(s.project, s.region, s.name)),
      privateIpGoogleAccess: s.privateIpGoogleAccess,
      fingerprint: s.fingerprint,
      purpose: s.purpose,
      stackType: s.stackType,
      privateIpv6GoogleAccess: 'DISABLE_GOOGLE_ACCESS',
    };
  }

  function visible(req: RouteRequest): SubnetworkRecord {
    const { project, region, subnetwork } = req.params as { project: string; region: string; subnetwork: string };
    const s = state.subnetworks.get(regionScope(project, region), subnetwork);
    if (!s || s.state === 'CREATING') throw notFound(subnetworkName(project, region, subnetwork));
    return s;
  }

  const base = '/compute/v1/projects/{project}/regions/{region}/subnetworks';
  const routes: Route[] = [
    {
      method: 'POST',
      path: base,
      id: 'compute.subnetworks.insert',
      bodyType: 'google.cloud.compute.v1.Subnetwork',
      bodyName: 'subnetwork',
      operation: true,
      handle(req) {
        const project = req.params.project!;
        const region = knownRegion(req.params.region!);
        const replay = env.ops.replay(req, project);
        if (replay) return { body: env.ops.render(replay) };
        const body = req.body as SubnetworkBody;
        const name = validateName(body.name);
        const scope = regionScope(project, region);
        const rel = subnetworkName(project, region, name);
        if (state.subnetworks.get(scope, name)) throw alreadyExists(rel);
        if (body.network === undefined) throw requiredField('resource.network');
        const network = requireNetwork(env, body.network, 'resource.network', project);
        const networkRel = networkName(network.project, network.name);
        if (body.ipCidrRange === undefined) throw requiredField('resource.ipCidrRange');
        const cidr = parseCidr(body.ipCidrRange);
        if (!cidr || cidr.prefix < 8 || cidr.prefix > 29) {
          throw invalidField('resource.ipCidrRange', body.ipCidrRange, `Invalid IPCidrRange: ${body.ipCidrRange}.`);
        }
        for (const userRel of state.networkUsers.usersOf(networkRel)) {
          if (!userRel.includes('/subnetworks/')) continue;
          const [, p, , r, , n] = userRel.split('/') as [string, string, string, string, string, string];
          const other = state.subnetworks.get(regionScope(p, r), n);
          const otherCidr = other ? parseCidr(other.ipCidrRange) : undefined;
          if (other && otherCidr && overlaps(cidr, otherCidr)) {
            throw invalidField(
              'resource.ipCidrRange',
              body.ipCidrRange,
              `Invalid IPCidrRange: ${body.ipCidrRange} conflicts with existing subnetwork '${other.name}' in region '${other.region}'.`,
            );
          }
        }
        const purpose = body.purpose ?? 'PRIVATE';
        const stackType = body.stackType ?? 'IPV4_ONLY';
        const record: SubnetworkRecord = {
          id: newId(),
          name,
          project,
          creationTimestamp: timestamp(),
          ...(body.description ? { description: body.description } : {}),
          state: 'CREATING',
          region,
          network: networkRel,
          ipCidrRange: body.ipCidrRange,
          gatewayAddress: formatIp(cidr.base + 1),
          privateIpGoogleAccess: body.privateIpGoogleAccess ?? false,
          fingerprint: fingerprintOf([name, body.ipCidrRange, Date.now()]),
          purpose,
          stackType,
          auto: false,
          nextHost: 2,
          freedHosts: [],
        };
        state.subnetworks.set(scope, record);
        // Linked at once: the network cannot go away while its subnetwork is being made.
        state.networkUsers.link(networkRel, rel);
        const op = env.ops.start(
          {
            project,
            scope,
            methodId: 'compute.subnetworks.insert',
            operationType: 'insert',
            targetLink: rel,
            targetId: record.id,
            effect: { kind: 'subnetwork.create', args: { project, region, name, id: record.id } },
          },
          req,
        );
        return { body: env.ops.render(op) };
      },
    },
    {
      method: 'GET',
      path: `${base}/{subnetwork}`,
      id: 'compute.subnetworks.get',
      handle: (req) => ({ body: render(visible(req)) }),
    },
    {
      method: 'GET',
      path: base,
      id: 'compute.subnetworks.list',
      handle(req) {
        const scope = regionScope(req.params.project!, knownRegion(req.params.region!));
        const items = state.subnetworks.list(scope).filter((s) => s.state !== 'CREATING').map(render);
        return { body: listPage('compute#subnetworkList', url(`${scope}/subnetworks`), items, req.query) };
      },
    },
    {
      method: 'DELETE',
      path: `${base}/{subnetwork}`,
      id: 'compute.subnetworks.delete',
      operation: true,
      handle(req) {
        const project = req.params.project!;
        const replay = env.ops.replay(req, project);
        if (replay) return { body: env.ops.render(replay) };
        const s = visible(req);
        const rel = subnetworkName(project, s.region, s.name);
        if (s.state === 'DELETING') throw resourceNotReady(rel);
        if (s.auto) throw badRequest(`The subnetwork resource '${rel}' belongs to an auto mode network and cannot be deleted on its own.`, 'invalid');
        const user = state.subnetworkUsers.firstUser(rel);
        if (user) throw resourceInUse('subnetwork', rel, user);
        s.state = 'DELETING';
        const op = env.ops.start(
          {
            project,
            scope: regionScope(project, s.region),
            methodId: 'compute.subnetworks.delete',
            operationType: 'delete',
            targetLink: rel,
            targetId: s.id,
            effect: { kind: 'subnetwork.delete', args: { project, region: s.region, name: s.name, id: s.id } },
          },
          req,
        );
        return { body: env.ops.render(op) };
      },
    },
  ];

  const recordOf = (args: Record<string, unknown>) => {
    const s = state.subnetworks.get(regionScope(args.project as string, args.region as string), args.name as string);
    return s && s.id === args.id ? s : undefined;
  };
  const remove = (s: SubnetworkRecord) => {
    state.subnetworks.delete(regionScope(s.project, s.region), s.name);
    state.networkUsers.unlink(s.network, subnetworkName(s.project, s.region, s.name));
  };

  return {
    routes,
    effects: {
      'subnetwork.create': {
        apply(args) {
          const s = recordOf(args);
          if (s) s.state = 'READY';
        },
        abort(args) {
          const s = recordOf(args);
          if (s) remove(s);
        },
      },
      'subnetwork.delete': {
        apply(args) {
          const s = recordOf(args);
          if (s) remove(s);
        },
        abort(args) {
          const s = recordOf(args);
          if (s) s.state = 'READY';
        },
      },
    },
    inventory(): InventoryResource[] {
      const rows: InventoryResource[] = [];
      for (const [, s] of state.subnetworks.entries()) {
        // Auto-mode subnetworks are part of their network's row.
        if (s.auto) continue;
        rows.push({
          kind: 'compute.subnetworks',
          name: subnetworkName(s.project, s.region, s.name),
          labels: {},
          attributes: {
            state: s.state,
            description: s.description ?? '',
            network: s.network,
            ipCidrRange: s.ipCidrRange,
            privateIpGoogleAccess: s.privateIpGoogleAccess,
          },
        });
      }
      return rows;
    },
    reindex() {
      for (const [, s] of state.subnetworks.entries()) state.networkUsers.link(s.network, subnetworkName(s.project, s.region, s.name));
    },
  };
}
