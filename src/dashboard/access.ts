/**
 * Who may see the dashboard. By default it listens on loopback only and answers only requests whose Host
 * header names loopback (so a web page cannot reach it through DNS rebinding). Listening on any other
 * address requires a token, and then every request must carry it: `Authorization: Bearer <token>`, or the
 * cookie the server sets when the page is opened once as `/?token=<token>`. Tokens are compared in
 * constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { InvalidInputError } from '../domain/invalid-input.js';

export const TOKEN_ENV = 'AGENTS_PLANE_DASHBOARD_TOKEN';
export const TOKEN_COOKIE = 'agents_plane_dashboard';
const MIN_TOKEN_LENGTH = 16;
/** Cookie- and URL-safe without escaping, so the token survives every way it can be sent. */
const TOKEN_CHARS = /^[A-Za-z0-9._~-]+$/;

export interface AccessSettings {
  readonly host: string;
  readonly token: string | null;
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
  return false;
}

/** Validates --host and --token together (bad input names the flag, exit 2). */
export function accessSettings(host: string, token: string | undefined): AccessSettings {
  if (host.trim() === '') throw new InvalidInputError('--host', 'must be an address to listen on, e.g. 127.0.0.1');
  const given = token?.trim() ? token.trim() : null;
  if (given !== null) {
    if (given.length < MIN_TOKEN_LENGTH) throw new InvalidInputError('--token', `must be at least ${MIN_TOKEN_LENGTH} characters`);
    if (!TOKEN_CHARS.test(given)) throw new InvalidInputError('--token', 'may contain only letters, digits and . _ ~ -');
  }
  if (!isLoopbackHost(host) && given === null) {
    throw new InvalidInputError('--token', `is required (or ${TOKEN_ENV}) when --host is not a loopback address; got --host ${host}`);
  }
  return { host, token: given };
}

export type GateDecision =
  | { readonly kind: 'allow' }
  /** The token came in the query string: set the cookie and send the browser to the same URL without it. */
  | { readonly kind: 'redirect'; readonly location: string; readonly setCookie: string }
  | { readonly kind: 'deny'; readonly status: 401 | 403; readonly message: string };

export class RequestGate {
  private readonly digest: Buffer | null;

  constructor(
    private readonly settings: AccessSettings,
    private readonly port: () => number,
  ) {
    this.digest = settings.token === null ? null : sha256(settings.token);
  }

  get requiresToken(): boolean {
    return this.digest !== null;
  }

  decide(request: IncomingMessage, url: URL): GateDecision {
    if (this.digest === null) {
      // Loopback without a token: only loopback names may be in the Host header.
      const host = request.headers.host ?? '';
      if (!this.loopbackHostHeader(host)) return { kind: 'deny', status: 403, message: 'this dashboard answers only on its loopback address' };
      return { kind: 'allow' };
    }
    if (this.matches(bearer(request)) || this.matches(cookie(request, TOKEN_COOKIE))) return { kind: 'allow' };
    const fromQuery = url.searchParams.get('token');
    if (fromQuery !== null && request.method === 'GET' && this.matches(fromQuery)) {
      const clean = new URL(url);
      clean.searchParams.delete('token');
      return {
        kind: 'redirect',
        location: `${clean.pathname}${clean.search}`,
        setCookie: `${TOKEN_COOKIE}=${fromQuery}; HttpOnly; SameSite=Strict; Path=/`,
      };
    }
    return { kind: 'deny', status: 401, message: 'a dashboard token is required: open /?token=<token> once, or send Authorization: Bearer <token>' };
  }

  private matches(candidate: string | undefined): boolean {
    if (candidate === undefined || this.digest === null) return false;
    // Equal-length digests, so the comparison time says nothing about the token.
    return timingSafeEqual(sha256(candidate), this.digest);
  }

  private loopbackHostHeader(host: string): boolean {
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
    if (!match) return false;
    const port = match[2] === undefined ? 80 : Number(match[2]);
    return isLoopbackHost(match[1]!) && port === this.port();
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function bearer(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

function cookie(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}
