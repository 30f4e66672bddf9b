/**
 * The guest's OpenClaw gateway as a client on the VM's loopback sees it (gateway-protocol.ts): one
 * session answers the `connect.challenge` event, checks the `connect` request's protocol range and
 * shared-secret token (`auth.token`, token mode, openclaw-config.ts), then serves, in order:
 * - `web.login.start { channel, force? }` → ChannelLoginWithQrStartResult: a QR (PNG data URL) and a
 *   `sessionKey`, or `connected: true` when the channel is already linked and `force` is not set;
 * - `web.login.wait { channel, sessionKey?, timeoutMs? }` → ChannelLoginWithQrWaitResult;
 * - `channels.status` → `{ channels: { <kind>: { accountId, configured, linked?, running, connected } } }`,
 *   the profile's channels only (ChannelAccountSnapshot's fields).
 * Anything else answers the gateway's `INVALID_REQUEST` "unknown method". Scopes, device identity and
 * pairing of the operator device are not modelled (the token alone admits the client).
 */
import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import {
  GATEWAY_PROTOCOL_VERSION,
  QR_CHANNELS,
  type GatewayErrorShape,
  type GatewayFrame,
  type RequestFrame,
  type WebLoginStartResult,
  type WebLoginWaitResult,
} from '../../domain/gateway-protocol.js';
import type { ChannelKind } from '../../domain/runtime-profile.js';
import type { InstanceRecord } from '../services/compute/state.js';
import { isChannelKind, type ChannelModel } from './channels.js';

/** OpenClaw's default for `web.login.wait` when the client gives none. */
const DEFAULT_WAIT_MS = 120_000;

export interface GatewayHost {
  readonly channels: ChannelModel;
  /** The instance while its gateway is up (running, not hung), else undefined. */
  live(): InstanceRecord | undefined;
}

class RequestError extends Error {
  constructor(readonly shape: GatewayErrorShape) {
    super(shape.message);
  }
}

const invalid = (message: string, details?: unknown) => new RequestError({ code: 'INVALID_REQUEST', message, ...(details ? { details } : {}) });

function channelParam(i: InstanceRecord, host: GatewayHost, params: unknown): ChannelKind {
  const channel = (params as { channel?: unknown } | undefined)?.channel;
  if (!isChannelKind(channel)) throw invalid('web login: params.channel must name an installed channel');
  if (!host.channels.configured(i).includes(channel)) throw invalid(`channel ${channel} is not configured`);
  if (!QR_CHANNELS.includes(channel)) throw invalid(`channel ${channel} does not support QR login`);
  return channel;
}

async function loginStart(host: GatewayHost, i: InstanceRecord, params: unknown): Promise<WebLoginStartResult> {
  const channel = channelParam(i, host, params);
  if (host.channels.isLinked(i, channel) && (params as { force?: unknown }).force !== true) {
    return { connected: true, message: `${channel} is already linked.` };
  }
  const pairing = host.channels.startPairing(i, channel);
  const qrDataUrl = await QRCode.toDataURL(pairing.payload, { errorCorrectionLevel: 'L', margin: 4, scale: 4 });
  const app = channel === 'whatsapp' ? 'WhatsApp → Settings → Linked Devices → Link a device' : 'Signal → Settings → Linked devices → Link new device';
  return { qrDataUrl, message: `Scan this QR in ${app}.`, sessionKey: pairing.sessionKey };
}

async function loginWait(host: GatewayHost, i: InstanceRecord, params: unknown): Promise<WebLoginWaitResult> {
  const channel = channelParam(i, host, params);
  const p = params as { sessionKey?: unknown; timeoutMs?: unknown };
  if (!host.channels.isLinked(i, channel)) {
    const pairing = host.channels.pairingOf(i, channel);
    if (!pairing || (p.sessionKey !== undefined && p.sessionKey !== pairing.sessionKey)) {
      return { connected: false, message: `No active ${channel} login; start one with web.login.start.` };
    }
  }
  const timeoutMs = typeof p.timeoutMs === 'number' && p.timeoutMs > 0 ? p.timeoutMs : DEFAULT_WAIT_MS;
  const linked = await host.channels.waitLinked(i, channel, timeoutMs);
  return linked ? { connected: true, message: `Linked! ${channel} is ready.` } : { connected: false, message: 'Still waiting for the QR scan.' };
}

function channelsStatus(host: GatewayHost, i: InstanceRecord): unknown {
  const states = host.channels.states(i);
  const channels = Object.fromEntries(
    Object.entries(states).map(([kind, state]) => [
      kind,
      {
        accountId: 'default',
        configured: state !== 'unconfigured' || QR_CHANNELS.includes(kind as ChannelKind),
        ...(QR_CHANNELS.includes(kind as ChannelKind) ? { linked: state === 'connected' } : {}),
        running: state === 'connected',
        connected: state === 'connected',
      },
    ]),
  );
  return { channels };
}

async function dispatch(host: GatewayHost, i: InstanceRecord, frame: RequestFrame): Promise<unknown> {
  switch (frame.method) {
    case 'web.login.start':
      return loginStart(host, i, frame.params);
    case 'web.login.wait':
      return loginWait(host, i, frame.params);
    case 'channels.status':
      return channelsStatus(host, i);
    default:
      throw invalid(`unknown method: ${frame.method}`);
  }
}

function isRequest(frame: unknown): frame is RequestFrame {
  const f = frame as Partial<RequestFrame> | undefined;
  return f?.type === 'req' && typeof f.id === 'string' && typeof f.method === 'string';
}

/** One client session, frames in order; an auth failure ends it (the gateway closes the socket). */
export async function gatewaySession(host: GatewayHost, frames: readonly unknown[]): Promise<GatewayFrame[]> {
  const out: GatewayFrame[] = [{ type: 'event', event: 'connect.challenge', payload: { nonce: randomBytes(16).toString('hex'), ts: Date.now() } }];
  const [first, ...rest] = frames;
  if (!isRequest(first) || first.method !== 'connect') {
    return [...out, { type: 'res', id: isRequest(first) ? first.id : '', ok: false, error: { code: 'INVALID_REQUEST', message: 'first frame must be a connect request' } }];
  }
  const params = (first.params ?? {}) as { minProtocol?: unknown; maxProtocol?: unknown; auth?: { token?: unknown } };
  const live = host.live();
  if (!live) return out;
  if (typeof params.minProtocol !== 'number' || typeof params.maxProtocol !== 'number' || params.minProtocol > GATEWAY_PROTOCOL_VERSION || params.maxProtocol < GATEWAY_PROTOCOL_VERSION) {
    return [...out, { type: 'res', id: first.id, ok: false, error: { code: 'INVALID_REQUEST', message: `protocol mismatch: the gateway speaks ${GATEWAY_PROTOCOL_VERSION}` } }];
  }
  const token = params.auth?.token;
  if (typeof token !== 'string' || !host.channels.gatewayTokenMatches(live, token)) {
    const details = { code: 'AUTH_TOKEN_MISMATCH', canRetryWithDeviceToken: false, recommendedNextStep: 'update_auth_credentials' };
    return [...out, { type: 'res', id: first.id, ok: false, error: { code: 'INVALID_REQUEST', message: 'unauthorized: gateway token mismatch', details } }];
  }
  out.push({
    type: 'res',
    id: first.id,
    ok: true,
    payload: {
      type: 'hello-ok',
      protocol: GATEWAY_PROTOCOL_VERSION,
      server: { version: live.guest.version ?? 'unknown', connId: randomBytes(8).toString('hex') },
      features: { methods: ['web.login.start', 'web.login.wait', 'channels.status'], events: [] },
      snapshot: {},
      auth: { role: 'operator', scopes: ['operator.admin'] },
      policy: { maxPayload: 26_214_400, maxBufferedBytes: 52_428_800, tickIntervalMs: 15_000 },
    },
  });
  for (const frame of rest) {
    if (!isRequest(frame)) {
      out.push({ type: 'res', id: '', ok: false, error: { code: 'INVALID_REQUEST', message: 'invalid request frame' } });
      continue;
    }
    const i = host.live();
    if (!i) break;
    try {
      out.push({ type: 'res', id: frame.id, ok: true, payload: await dispatch(host, i, frame) });
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      out.push({ type: 'res', id: frame.id, ok: false, error: error.shape });
    }
  }
  return out;
}
