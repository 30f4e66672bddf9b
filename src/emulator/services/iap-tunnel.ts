/**
 * The IAP TCP tunnel, emulated: a WebSocket upgrade of `GET /v4/connect?project&zone&instance&interface=nic0&port=22`.
 *
 * Real IAP (gcloud's `start-iap-tunnel`, `compute ssh --tunnel-through-iap`) opens a WebSocket to
 * wss://tunnel.cloudproxy.app/v4/connect with the same query, authorised by the caller's OAuth token:
 * IAP allows it only when the caller holds roles/iap.tunnelResourceAccessor on that instance's tunnel
 * resource, with any condition (e.g. `destination.port == 22`) satisfied; otherwise the handshake is
 * refused with 403. The bytes then carry an SSH session, whose local forward reaches the gateway on the
 * VM's loopback.
 *
 * Simplified here, and only here: the emulator has no OAuth server, so the bearer token IS the caller's
 * email (`Authorization: Bearer alice@example.com`, read as `user:alice@example.com`); and the
 * WebSocket carries the gateway's own frames instead of SSH bytes: it stands for the SSH session with
 * its local forward (`gcloud compute ssh --tunnel-through-iap -- -N -L <port>:127.0.0.1:18789`) that
 * planes connect opens against real GCP. The forward's target is the query's `forward=127.0.0.1:<port>`
 * (emulator only; default the gateway port). When nothing listens there the upgrade is answered 502
 * (real ssh would open and then fail the channel). The SSH hop itself (OS Login) is not modelled: IAP's
 * check is the one that keeps non-owners out. 401/403 are answered before the upgrade, as IAP does.
 */
import type { RawData, WebSocket } from 'ws';
import { TUNNEL_PATH } from '../../domain/gateway-protocol.js';
import { GATEWAY_PORT } from '../../domain/openclaw-config.js';
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

/** The emulated SSH forward's target: `127.0.0.1:<port>` on the VM (default the gateway's port). */
function forwardPortOf(query: URLSearchParams): number {
  const forward = query.get('forward') ?? `127.0.0.1:${GATEWAY_PORT}`;
  const m = /^(127\.0\.0\.1|localhost):(\d+)$/.exec(forward);
  if (!m) throw invalidArgument('forward must target the VM loopback (127.0.0.1:<port>)', 'forward');
  return Number(m[2]);
}

function parseFrame(data: RawData): unknown {
  try {
    return JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8'));
  } catch {
    return undefined;
  }
}

export function tunnelRoutes(ctx: ServiceContext, policyOf: (t: TunnelTarget) => StoredPolicy | undefined, resolveProject: (segment: string) => string): Route[] {
  return [
    {
      method: 'GET',
      path: TUNNEL_PATH,
      id: 'iap.tunnelInstances.connect',
      handle() {
        throw new ApiError(400, 'INVALID_ARGUMENT', 'the tunnel is a WebSocket: send Upgrade: websocket', 'badRequest');
      },
      async upgrade(req) {
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
        const forwardPort = forwardPortOf(q);
        // Connecting first: a refused port is the 502 before the upgrade; frames the gateway sends
        // before the socket exists (its challenge) wait in `early`.
        let socket: WebSocket | undefined;
        const early: unknown[] = [];
        let ended: (() => void) | undefined;
        const session = ctx.services.guestLoopbackConnect(target.project, zone, instance, forwardPort, {
          send(frame) {
            if (socket) socket.send(JSON.stringify(frame));
            else early.push(frame);
          },
          close(code, reason) {
            if (socket) socket.close(code, reason);
            else ended = () => socket?.close(code, reason);
          },
          drop() {
            if (socket) socket.terminate();
            else ended = () => socket?.terminate();
          },
        });
        return (ws) => {
          socket = ws;
          for (const frame of early.splice(0)) ws.send(JSON.stringify(frame));
          ended?.();
          ws.on('message', (data) => session.receive(parseFrame(data)));
          ws.on('close', () => session.closed());
          ws.on('error', () => session.closed());
        };
      },
    },
  ];
}
