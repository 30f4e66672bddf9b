/**
 * The dashboard's view of GCP: the project's Google clients (clients.ts, the one place that builds them)
 * behind a guard that lets through only the describe/list calls the dashboard makes — instance status and
 * guest attributes, and the snapshot list for backups. Secret Manager, IAM, and every mutation are out of
 * reach by construction: touching them throws, so no code path of the dashboard can read a secret
 * version, whatever a later change to the status code might try.
 */
import { createGcpClients, type GcpClients, type GcpEndpoint } from '../gcp/clients.js';

/** What the dashboard may call, per client. Everything else on GcpClients is refused. */
const ALLOWED: Readonly<Partial<Record<keyof GcpClients, readonly string[]>>> = {
  instances: ['get', 'getGuestAttributes', 'list', 'listAsync'],
  snapshots: ['list', 'listAsync'],
  // The cost report (planes cost-report) lists the plane's disks as well.
  disks: ['list', 'listAsync'],
};

export class DescribeOnlyViolation extends Error {
  constructor(what: string) {
    super(`the dashboard reads GCP through describe/list calls only; ${what} is not available to it`);
    this.name = 'DescribeOnlyViolation';
  }
}

function guardClient<T extends object>(client: T, name: string, methods: readonly string[]): T {
  return new Proxy(client, {
    get(target, property) {
      if (typeof property === 'string' && methods.includes(property)) {
        const value = Reflect.get(target, property) as unknown;
        // Bound to the real client: its internals (initialize, innerApiCalls) never pass the guard.
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      // Promise resolution and inspection probe `then` and symbols; answering undefined keeps them harmless.
      if (typeof property === 'symbol' || property === 'then') return undefined;
      throw new DescribeOnlyViolation(`gcp.${name}.${property}`);
    },
    set(_target, property) {
      throw new DescribeOnlyViolation(`setting gcp.${name}.${String(property)}`);
    },
  });
}

/**
 * Google clients for the dashboard. Typed as GcpClients so the shared status code (planeStatusView)
 * takes them unchanged; at run time only the ALLOWED methods answer.
 */
export function describeOnlyGcpClients(endpoint: GcpEndpoint): GcpClients {
  const full = createGcpClients(endpoint);
  const guarded = new Map<string, unknown>([
    ['endpoint', full.endpoint],
    ['close', () => full.close()],
  ]);
  for (const [name, methods] of Object.entries(ALLOWED)) {
    guarded.set(name, guardClient(full[name as keyof GcpClients] as object, name, methods ?? []));
  }
  return new Proxy({} as GcpClients, {
    get(_target, property) {
      if (typeof property === 'string' && guarded.has(property)) return guarded.get(property);
      if (typeof property === 'symbol' || property === 'then') return undefined;
      throw new DescribeOnlyViolation(`gcp.${property}`);
    },
    set(_target, property) {
      throw new DescribeOnlyViolation(`setting gcp.${String(property)}`);
    },
  });
}
