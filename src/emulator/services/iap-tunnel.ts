/**
 * The IAP TCP tunnel, emulated: `POST /v4/connect?project&zone&instance&interface=nic0&port=22`.
 *
 * Real IAP (gcloud's `start-iap-tunnel`, `compute ssh --tunnel-through-iap`) opens a WebSocket to
 * wss://tunnel.cloudproxy.app/v4/connect with the same query, authorised by the caller's OAuth token:
 * IAP allows it only when the caller holds roles/iap.tunnelResourceAccessor on that instance's tunnel
 * resource, with any condition (e.g. `destination.port == 22`) satisfied; otherwise the handshake is
 * refused with 403. The bytes then carry an SSH session, whose local forward reaches the gateway on the
 * VM's loopback.
 *
 * Simplified here, and only here: the emulator has no OAuth server, so the bearer token IS the caller's
 * email (`Authorization: Bearer alice@example.com`, read as `user:alice@example.com`); and one HTTP
 * exchange stands for one tunnelled session: the body names the SSH forward's target and carries the
 * request frames, the answer carries the frames the listener sent back (see gateway-protocol.ts). The
 * SSH hop itself (OS Login) is not modelled: IAP's check is the one that keeps non-owners out.
 */
import { TUNNEL_PATH, type TunnelExchange } from '../../domain/gateway-protocol.js';
import { ApiError, type Route, type ServiceContext } from '../core/contract.js';
import { invalidArgument, permissionDenied } from './api-errors.js';
import type { StoredPolicy } from './iam-policy.js';

const TUNNEL_ACCESSOR = 'roles/iap.tunnelResourceAccessor';
/** Roles whose holders may tunnel (IAP's iap.tunnelInstances.accessViaIAP permission). */
const TUNNEL_ROLES = new Set([TUNNEL_ACCESSOR, 'roles/owner', 'roles/editor']);

export interface TunnelTarget {
  readonly project: string;
  readonly zone: string;
  readonly instance: string;
}

/**
 * CEL, the part IAP tunnel conditions use: `destination.port == N` and `destination.port in [..]`,
 * joined by `&&` / `||`. Anything else does not match: a condition we cannot read grants nothing.
 */
function conditionAllows(expression: string, port: number): boolean {
  return expression.split('||').some((alternative) =>
    alternative.split('&&').every((term) => {
      const t = term.trim().replace(/^\(|\)$/g, '').trim();
      const eq = /^destination\.port\s*==\s*(\d+)$/.exec(t);
      if (eq) return Number(eq[1]) === port;
      const inList = /^destination\.port\s+in\s+\[([\d,\s]+)\]$/.exec(t);
      if (inList) return inList[1]!.split(',').some((p) => Number(p.trim()) === port);
      return false;
    }),
  );
}

export function mayTunnel(policy: StoredPolicy | undefined, member: string, port: number): boolean {
  return (policy?.bindings ?? []).some(
    (b) => TUNNEL_ROLES.has(b.role) && b.members.includes(member) && (!b.condition || conditionAllows(b.condition.expression, port)),
  );
}

function callerOf(headers: Readonly<Record<string, string | undefined>> | undefined): string {
  const m = /^Bearer\s+(\S+)$/i.exec(headers?.authorization ?? '');
  if (!m) throw new ApiError(401, 'UNAUTHENTICATED', 'Request is missing required authentication credential. Expected OAuth 2 access token.', 'unauthorized');
  return m[1]!.includes(':') ? m[1]! : `user:${m[1]!}`;
}

function exchangeOf(body: unknown): TunnelExchange {
  const b = (body ?? {}) as Partial<TunnelExchange>;
  const forward = b.forward;
  if (!forward || typeof forward.host !== 'string' || !Number.isInteger(forward.port)) throw invalidArgument('forward must be { host, port }', 'forward');
  if (!Array.isArray(b.frames)) throw invalidArgument('frames must be a list of gateway frames', 'frames');
  return { forward, frames: b.frames };
}

export function tunnelRoutes(ctx: ServiceContext, policyOf: (t: TunnelTarget) => StoredPolicy | undefined, resolveProject: (segment: string) => string): Route[] {
  return [
    {
      method: 'POST',
      path: TUNNEL_PATH,
      id: 'iap.tunnelInstances.connect',
      async handle(req) {
        const q = req.query;
        const [project, zone, instance] = [q.get('project'), q.get('zone'), q.get('instance')];
        const port = Number(q.get('port'));
        if (!project || !zone || !instance || !Number.isInteger(port) || port <= 0) {
          throw invalidArgument('project, zone, instance and port are required', 'port');
        }
        const member = callerOf(req.headers);
        const target = { project: resolveProject(project), zone, instance };
        const resource = `projects/${project}/iap_tunnel/zones/${zone}/instances/${instance}`;
        // IAP answers 403 for a missing instance too: the caller learns nothing about what exists.
        if (!ctx.services.instanceExists(target.project, zone, instance) || !mayTunnel(policyOf(target), member, port)) {
          throw permissionDenied(`${member} is not authorized to connect to ${resource} on port ${port} (iap.tunnelInstances.accessViaIAP).`);
        }
        const exchange = exchangeOf(req.body);
        if (exchange.forward.host !== '127.0.0.1' && exchange.forward.host !== 'localhost') {
          throw invalidArgument('the forward must target the VM loopback (127.0.0.1)', 'forward.host');
        }
        const frames = await ctx.services.guestLoopbackSession(target.project, zone, instance, exchange.forward.port, exchange.frames);
        return { body: { frames } };
      },
    },
  ];
}
