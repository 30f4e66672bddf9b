/**
 * VPC firewall rules (global): direction, priority, source/destination ranges, allowed XOR denied
 * protocols and ports, validated as GCP does. Ingress rules without a source apply to 0.0.0.0/0,
 * egress rules without a destination likewise.
 */
import type { InventoryResource, Route, RouteRequest } from '../../core/contract.js';
import { looksLikeIpv6Cidr, parseCidr } from './cidr.js';
import type { ComputeEnv, ComputeKind } from './env.js';
import { alreadyExists, invalidField, notFound, resourceNotReady } from './errors.js';
import { newId, timestamp, validateName } from './fields.js';
import { globalScope, url } from './links.js';
import { listPage } from './listing.js';
import { networkName, requireNetwork } from './networks.js';
import type { FirewallRecord } from './state.js';

export const firewallName = (project: string, name: string) => `projects/${project}/global/firewalls/${name}`;

type Rule = { IPProtocol?: string; ports?: string[] };

interface FirewallBody {
  name?: string;
  description?: string;
  network?: string;
  priority?: number;
  direction?: string;
  sourceRanges?: string[];
  destinationRanges?: string[];
  sourceTags?: string[];
  targetTags?: string[];
  sourceServiceAccounts?: string[];
  targetServiceAccounts?: string[];
  allowed?: Rule[];
  denied?: Rule[];
  disabled?: boolean;
  logConfig?: { enable?: boolean; metadata?: string };
}

const PROTOCOLS = new Set(['tcp', 'udp', 'icmp', 'esp', 'ah', 'sctp', 'ipip', 'all']);
const PORTED = new Set(['tcp', 'udp', 'sctp']);
const PORT = /^(\d{1,5})(?:-(\d{1,5}))?$/;

function validateRules(rules: Rule[], field: string): { IPProtocol: string; ports?: string[] }[] {
  return rules.map((rule, i) => {
    const protocol = rule.IPProtocol;
    if (!protocol) throw invalidField(`${field}[${i}].IPProtocol`, '', 'IPProtocol is required.');
    const numeric = /^\d{1,3}$/.test(protocol) && Number(protocol) <= 255;
    if (!PROTOCOLS.has(protocol) && !numeric) throw invalidField(`${field}[${i}].IPProtocol`, protocol, 'Invalid IP protocol.');
    for (const port of rule.ports ?? []) {
      const m = PORT.exec(port);
      const lo = m ? Number(m[1]) : NaN;
      const hi = m?.[2] ? Number(m[2]) : lo;
      if (!m || lo > 65535 || hi > 65535 || lo > hi) throw invalidField(`${field}[${i}].ports`, port, 'Invalid port range.');
      if (!PORTED.has(protocol)) {
        throw invalidField(`${field}[${i}].ports`, port, `Ports may only be specified for tcp, udp and sctp, not ${protocol}.`);
      }
    }
    return { IPProtocol: protocol, ...(rule.ports?.length ? { ports: [...rule.ports] } : {}) };
  });
}

function validateRanges(ranges: string[] | undefined, field: string): string[] | undefined {
  if (!ranges) return undefined;
  for (const r of ranges) {
    if (!parseCidr(r, false) && !parseCidr(`${r}/32`, false) && !looksLikeIpv6Cidr(r)) throw invalidField(field, r, 'Invalid IP CIDR range.');
  }
  return [...ranges];
}

export function firewallKind(env: ComputeEnv): ComputeKind {
  const { state } = env;

  function render(f: FirewallRecord) {
    return {
      kind: 'compute#firewall',
      id: f.id,
      creationTimestamp: f.creationTimestamp,
      name: f.name,
      ...(f.description ? { description: f.description } : {}),
      network: url(f.network),
      priority: f.priority,
      direction: f.direction,
      ...(f.sourceRanges ? { sourceRanges: f.sourceRanges } : {}),
      ...(f.destinationRanges ? { destinationRanges: f.destinationRanges } : {}),
      ...(f.sourceTags ? { sourceTags: f.sourceTags } : {}),
      ...(f.targetTags ? { targetTags: f.targetTags } : {}),
      ...(f.sourceServiceAccounts ? { sourceServiceAccounts: f.sourceServiceAccounts } : {}),
      ...(f.targetServiceAccounts ? { targetServiceAccounts: f.targetServiceAccounts } : {}),
      ...(f.allowed ? { allowed: f.allowed } : {}),
      ...(f.denied ? { denied: f.denied } : {}),
      logConfig: f.logConfig,
      disabled: f.disabled,
      selfLink: url(firewallName(f.project, f.name)),
    };
  }

  function visible(req: RouteRequest): FirewallRecord {
    const { project, firewall } = req.params as { project: string; firewall: string };
    const f = state.firewalls.get(globalScope(project), firewall);
    if (!f || f.state === 'CREATING') throw notFound(firewallName(project, firewall));
    return f;
  }

  const base = '/compute/v1/projects/{project}/global/firewalls';
  const routes: Route[] = [
    {
      method: 'POST',
      path: base,
      id: 'compute.firewalls.insert',
      bodyType: 'google.cloud.compute.v1.Firewall',
      bodyName: 'firewall',
      operation: true,
      handle(req) {
        const project = req.params.project!;
        const replay = env.ops.replay(req, project);
        if (replay) return { body: env.ops.render(replay) };
        const body = req.body as FirewallBody;
        const name = validateName(body.name);
        const rel = firewallName(project, name);
        if (state.firewalls.get(globalScope(project), name)) throw alreadyExists(rel);
        const network = requireNetwork(env, body.network ?? 'global/networks/default', 'resource.network', project);
        const direction = body.direction ?? 'INGRESS';
        if (direction !== 'INGRESS' && direction !== 'EGRESS') throw invalidField('resource.direction', direction, 'Must be INGRESS or EGRESS.');
        const priority = body.priority ?? 1000;
        if (!Number.isInteger(priority) || priority < 0 || priority > 65535) throw invalidField('resource.priority', priority, 'Must be between 0 and 65535.');
        const hasAllowed = (body.allowed?.length ?? 0) > 0;
        const hasDenied = (body.denied?.length ?? 0) > 0;
        if (hasAllowed === hasDenied) {
          throw invalidField('resource', '', 'Exactly one of allowed or denied must be specified.');
        }
        if (body.targetTags?.length && body.targetServiceAccounts?.length) {
          throw invalidField('resource.targetServiceAccounts', '', 'targetTags and targetServiceAccounts cannot both be specified.');
        }
        if (body.sourceTags?.length && body.sourceServiceAccounts?.length) {
          throw invalidField('resource.sourceServiceAccounts', '', 'sourceTags and sourceServiceAccounts cannot both be specified.');
        }
        if (direction === 'EGRESS' && (body.sourceTags?.length || body.sourceServiceAccounts?.length)) {
          throw invalidField('resource.sourceTags', '', 'Source tags and source service accounts cannot be specified for egress rules.');
        }
        let sourceRanges = validateRanges(body.sourceRanges, 'resource.sourceRanges');
        let destinationRanges = validateRanges(body.destinationRanges, 'resource.destinationRanges');
        if (direction === 'INGRESS' && !sourceRanges?.length && !body.sourceTags?.length && !body.sourceServiceAccounts?.length) sourceRanges = ['0.0.0.0/0'];
        if (direction === 'EGRESS' && !destinationRanges?.length) destinationRanges = ['0.0.0.0/0'];
        const record: FirewallRecord = {
          id: newId(),
          name,
          project,
          creationTimestamp: timestamp(),
          ...(body.description ? { description: body.description } : {}),
          state: 'CREATING',
          network: networkName(network.project, network.name),
          priority,
          direction,
          ...(sourceRanges?.length ? { sourceRanges } : {}),
          ...(destinationRanges?.length ? { destinationRanges } : {}),
          ...(body.sourceTags?.length ? { sourceTags: [...body.sourceTags] } : {}),
          ...(body.targetTags?.length ? { targetTags: [...body.targetTags] } : {}),
          ...(body.sourceServiceAccounts?.length ? { sourceServiceAccounts: [...body.sourceServiceAccounts] } : {}),
          ...(body.targetServiceAccounts?.length ? { targetServiceAccounts: [...body.targetServiceAccounts] } : {}),
          ...(hasAllowed ? { allowed: validateRules(body.allowed!, 'resource.allowed') } : {}),
          ...(hasDenied ? { denied: validateRules(body.denied!, 'resource.denied') } : {}),
          disabled: body.disabled ?? false,
          logConfig: { enable: body.logConfig?.enable ?? false, ...(body.logConfig?.metadata ? { metadata: body.logConfig.metadata } : {}) },
        };
        state.firewalls.set(globalScope(project), record);
        state.networkUsers.link(record.network, rel);
        const op = env.ops.start(
          {
            project,
            scope: globalScope(project),
            methodId: 'compute.firewalls.insert',
            operationType: 'insert',
            targetLink: rel,
            targetId: record.id,
            effect: { kind: 'firewall.create', args: { project, name, id: record.id } },
          },
          req,
        );
        return { body: env.ops.render(op) };
      },
    },
    {
      method: 'GET',
      path: `${base}/{firewall}`,
      id: 'compute.firewalls.get',
      handle: (req) => ({ body: render(visible(req)) }),
    },
    {
      method: 'GET',
      path: base,
      id: 'compute.firewalls.list',
      handle(req) {
        const scope = globalScope(req.params.project!);
        const items = state.firewalls.list(scope).filter((f) => f.state !== 'CREATING').map(render);
        return { body: listPage('compute#firewallList', url(`${scope}/firewalls`), items, req.query) };
      },
    },
    {
      method: 'DELETE',
      path: `${base}/{firewall}`,
      id: 'compute.firewalls.delete',
      operation: true,
      handle(req) {
        const project = req.params.project!;
        const replay = env.ops.replay(req, project);
        if (replay) return { body: env.ops.render(replay) };
        const f = visible(req);
        const rel = firewallName(project, f.name);
        if (f.state === 'DELETING') throw resourceNotReady(rel);
        f.state = 'DELETING';
        const op = env.ops.start(
          {
            project,
            scope: globalScope(project),
            methodId: 'compute.firewalls.delete',
            operationType: 'delete',
            targetLink: rel,
            targetId: f.id,
            effect: { kind: 'firewall.delete', args: { project, name: f.name, id: f.id } },
          },
          req,
        );
        return { body: env.ops.render(op) };
      },
    },
  ];

  const recordOf = (args: Record<string, unknown>) => {
    const f = state.firewalls.get(globalScope(args.project as string), args.name as string);
    return f && f.id === args.id ? f : undefined;
  };
  const remove = (f: FirewallRecord) => {
    state.firewalls.delete(globalScope(f.project), f.name);
    state.networkUsers.unlink(f.network, firewallName(f.project, f.name));
  };

  return {
    routes,
    effects: {
      'firewall.create': {
        apply(args) {
          const f = recordOf(args);
          if (f) f.state = 'READY';
        },
        abort(args) {
          const f = recordOf(args);
          if (f) remove(f);
        },
      },
      'firewall.delete': {
        apply(args) {
          const f = recordOf(args);
          if (f) remove(f);
        },
        abort(args) {
          const f = recordOf(args);
          if (f) f.state = 'READY';
        },
      },
    },
    inventory(): InventoryResource[] {
      return [...state.firewalls.entries()].map(([, f]) => ({
        kind: 'compute.firewalls',
        name: firewallName(f.project, f.name),
        labels: {},
        attributes: {
          state: f.state,
          description: f.description ?? '',
          network: f.network,
          direction: f.direction,
          priority: f.priority,
          ...(f.sourceRanges ? { sourceRanges: f.sourceRanges } : {}),
          ...(f.destinationRanges ? { destinationRanges: f.destinationRanges } : {}),
          ...(f.allowed ? { allowed: f.allowed } : {}),
          ...(f.denied ? { denied: f.denied } : {}),
          disabled: f.disabled,
        },
      }));
    },
    reindex() {
      for (const [, f] of state.firewalls.entries()) state.networkUsers.link(f.network, firewallName(f.project, f.name));
    },
  };
}
