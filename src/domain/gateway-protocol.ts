/**
 * The part of OpenClaw's gateway protocol `planes connect` speaks, and how it reaches the gateway.
 *
 * Protocol source: the `openclaw` npm package, version 2026.9.6, docs/gateway/protocol/transport.md
 * (frames), handshake.md (`connect.challenge`, `connect`, `hello-ok`), auth.md (shared-secret token in
 * `connect.params.auth.token`), rpc-system-and-channels.md (`web.login.start` / `web.login.wait`), and
 * the result types `ChannelLoginWithQrStartResult` / `ChannelLoginWithQrWaitResult` in its dist/*.d.ts.
 * The gateway listens on loopback only (openclaw-config.ts): the owner reaches it through an IAP TCP
 * tunnel to the VM's SSH port (the only port the owner's IAP grant allows) and a forward to
 * 127.0.0.1:GATEWAY_PORT inside the VM.
 */
import type { ChannelKind } from './runtime-profile.js';

/** The wire protocol version our client speaks (handshake.md: `minProtocol` / `maxProtocol`). */
export const GATEWAY_PROTOCOL_VERSION = 4;

export interface RequestFrame {
  readonly type: 'req';
  readonly id: string;
  readonly method: string;
  readonly params?: unknown;
}

export interface GatewayErrorShape {
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
  readonly retryable?: boolean;
}

export type ResponseFrame =
  | { readonly type: 'res'; readonly id: string; readonly ok: true; readonly payload: unknown }
  | { readonly type: 'res'; readonly id: string; readonly ok: false; readonly error: GatewayErrorShape };

export interface EventFrame {
  readonly type: 'event';
  readonly event: string;
  readonly payload: unknown;
}

export type GatewayFrame = RequestFrame | ResponseFrame | EventFrame;

/** `web.login.start` params (the fields we send). */
export interface WebLoginStartParams {
  readonly channel: ChannelKind;
  readonly force?: boolean;
  readonly timeoutMs?: number;
}

/** ChannelLoginWithQrStartResult: `qrDataUrl` is a `data:image/png;base64,` QR image. */
export interface WebLoginStartResult {
  readonly qrDataUrl?: string;
  readonly message: string;
  readonly connected?: boolean;
  readonly sessionKey?: string;
}

export interface WebLoginWaitParams {
  readonly channel: ChannelKind;
  readonly sessionKey?: string;
  readonly timeoutMs?: number;
}

/** ChannelLoginWithQrWaitResult. */
export interface WebLoginWaitResult {
  readonly connected: boolean;
  readonly message: string;
  readonly qrDataUrl?: string;
}

/** Channels linked by scanning a QR with the phone app; Telegram needs only its bot token. */
export const QR_CHANNELS: readonly ChannelKind[] = ['whatsapp', 'signal'];

/**
 * The emulated IAP tunnel (the real one is a WebSocket relay, wss://tunnel.cloudproxy.app/v4/connect,
 * carrying an SSH session): `POST <endpoint>/v4/connect?project&zone&instance&interface=nic0&port=22`
 * with `Authorization: Bearer <caller>`, body `TunnelExchange`, answers `{ frames }`: one gateway
 * WebSocket session per call (the gateway's challenge, then one response per request frame, in order).
 */
export const TUNNEL_PATH = '/v4/connect';
export const SSH_PORT = 22;

export interface TunnelExchange {
  /** The SSH local forward's target inside the VM (`-L ...:127.0.0.1:18789`). */
  readonly forward: { readonly host: string; readonly port: number };
  readonly frames: readonly RequestFrame[];
}

export interface TunnelAnswer {
  readonly frames: readonly GatewayFrame[];
}
