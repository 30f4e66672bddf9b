/** IPv4 CIDR arithmetic for subnet ranges, overlap checks and address allocation. */

export interface Cidr {
  readonly base: number;
  readonly prefix: number;
  readonly size: number;
}

function parseIp(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Parses `a.b.c.d/n`; undefined when malformed. `strict` also requires the host bits to be zero. */
export function parseCidr(text: string, strict = true): Cidr | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const ip = parseIp(m[1]!);
  const prefix = Number(m[2]);
  if (ip === undefined || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  const base = ip - (ip % size);
  if (strict && base !== ip) return undefined;
  return { base, prefix, size };
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

/** True for an IPv6 CIDR in plain form (firewall ranges may be IPv6; not checked further). */
export function looksLikeIpv6Cidr(text: string): boolean {
  return /^[0-9a-f:]+\/\d{1,3}$/i.test(text) && text.includes(':');
}
