/**
 * A client of an agent's OpenClaw gateway, reached the way its owner may reach it: an IAP TCP tunnel to
 * the VM's SSH port (the owner's IAP grant is for port 22 only), forwarded to the gateway on the VM's
 * loopback (GATEWAY_PORT), authenticated with the agent's gateway token (gateway-protocol.ts).
 *
 * Against the emulator the tunnel is its `POST /v4/connect` (one exchange per gateway session, the
 * caller's identity as the bearer; src/emulator/services/iap-tunnel.ts). Against real GCP the same
 * calls need `gcloud compute ssh --tunnel-through-iap -- -L` and a WebSocket; not implemented yet.
 * The token lives in this object only: never in an error, a log line or a result.
 */
import { randomUUID } from 'node:crypto';
import {
  GATEWAY_PROTOCOL_VERSION,
  SSH_PORT,
  TUNNEL_PATH,
  type GatewayErrorShape,
  type GatewayFrame,
  type RequestFrame,
  type TunnelAnswer,
  type TunnelExchange,
} from '../domain/gateway-protocol.js';
import { GATEWAY_PORT } from '../domain/openclaw-config.js';
import type { InstanceRef } from './guest-health.js';

export type GatewayTunnelErrorKind =
  /** IAP refused the caller (403) or found no credential (401). */
  | 'PERMISSION_DENIED'
  /** The tunnel opened but nothing listens on the gateway port (VM stopped, gateway down). */
  | 'GATEWAY_UNAVAILABLE'
  /** The gateway refused the token. */
  | 'GATEWAY_AUTH'
  /** The gateway answered the method with an error. */
  | 'GATEWAY_ERROR'
  | 'TUNNEL_ERROR';

export class GatewayTunnelError extends Error {
  constructor(
    readonly kind: GatewayTunnelErrorKind,
    message: string,
    /** The gateway's error (code and message; never the token). */
    readonly gateway?: GatewayErrorShape,
  ) {
    super(message);
    this.name = 'GatewayTunnelError';
  }
}

export interface GatewayClient {
  call<T>(method: string, params: unknown): Promise<T>;
}

export interface EmulatorTunnelOptions {
  readonly emulatorUrl: string;
  /** Who opens the tunnel (an email; the emulator's stand-in for the caller's OAuth token). */
  readonly caller: string;
  readonly target: InstanceRef;
  readonly gatewayToken: string;
}

function connectFrame(token: string): RequestFrame {
  return {
    type: 'req',
    id: randomUUID(),
    method: 'connect',
    params: {
      minProtocol: GATEWAY_PROTOCOL_VERSION,
      maxProtocol: GATEWAY_PROTOCOL_VERSION,
      client: { id: 'cli', version: '1', platform: process.platform, mode: 'operator' },
      role: 'operator',
      scopes: ['operator.admin'],
      caps: [],
      commands: [],
      permissions: {},
      auth: { token },
      userAgent: 'agents-plane',
    },
  };
}

function responseTo(frames: readonly GatewayFrame[], id: string): Extract<GatewayFrame, { type: 'res' }> | undefined {
  return frames.find((f): f is Extract<GatewayFrame, { type: 'res' }> => f.type === 'res' && f.id === id);
}

export function emulatorGatewayClient(o: EmulatorTunnelOptions): GatewayClient {
  const query = new URLSearchParams({
    project: o.target.project,
    zone: o.target.zone,
    instance: o.target.instance,
    interface: 'nic0',
    port: String(SSH_PORT),
  });
  const url = `${o.emulatorUrl}${TUNNEL_PATH}?${query.toString()}`;
  const where = `instance ${o.target.instance}`;

  async function session(frames: readonly RequestFrame[]): Promise<readonly GatewayFrame[]> {
    const exchange: TunnelExchange = { forward: { host: '127.0.0.1', port: GATEWAY_PORT }, frames };
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${o.caller}` },
      body: JSON.stringify(exchange),
    });
    const text = await res.text();
    if (res.status === 401 || res.status === 403) {
      throw new GatewayTunnelError(
        'PERMISSION_DENIED',
        `permission denied: ${o.caller} may not open an IAP tunnel to ${where} (only the agent's owner holds roles/iap.tunnelResourceAccessor on it)`,
      );
    }
    if (res.status === 502) throw new GatewayTunnelError('GATEWAY_UNAVAILABLE', `the agent's gateway does not answer on ${where} (paused, still booting or unhealthy? see planes status)`);
    if (!res.ok) throw new GatewayTunnelError('TUNNEL_ERROR', `the IAP tunnel to ${where} failed with HTTP ${res.status}`);
    return (JSON.parse(text) as TunnelAnswer).frames;
  }

  return {
    async call<T>(method: string, params: unknown): Promise<T> {
      const hello = connectFrame(o.gatewayToken);
      const request: RequestFrame = { type: 'req', id: randomUUID(), method, params };
      const frames = await session([hello, request]);
      const helloRes = responseTo(frames, hello.id);
      if (!helloRes) throw new GatewayTunnelError('GATEWAY_UNAVAILABLE', `the agent's gateway closed the connection on ${where}`);
      if (!helloRes.ok) {
        const kind = (helloRes.error.details as { code?: unknown } | undefined)?.code === 'AUTH_TOKEN_MISMATCH' ? 'GATEWAY_AUTH' : 'GATEWAY_ERROR';
        throw new GatewayTunnelError(kind, `the agent's gateway refused the connection: ${helloRes.error.message}`, helloRes.error);
      }
      const res = responseTo(frames, request.id);
      if (!res) throw new GatewayTunnelError('GATEWAY_UNAVAILABLE', `the agent's gateway closed the connection during ${method}`);
      if (!res.ok) throw new GatewayTunnelError('GATEWAY_ERROR', `${method}: ${res.error.message}`, res.error);
      return res.payload as T;
    },
  };
}
