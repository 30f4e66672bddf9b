/**
 * The one place that builds Google clients. Either real GCP (Application Default Credentials) or the
 * project's emulator when AGENTS_PLANE_GCP_ENDPOINT=http://127.0.0.1:PORT is set. Every client goes
 * over REST (`fallback: true`) so that the emulator sees the same requests real GCP would.
 */
import compute from '@google-cloud/compute';
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { ProjectsClient } from '@google-cloud/resource-manager';
import { iam_v1 } from '@googleapis/iam';
import { GoogleAuth, PassThroughClient } from 'google-auth-library';
import { RateLimiter } from './rate-limiter.js';
import { resilient, retryTransient } from './resilient.js';

export interface GcpEndpoint {
  /** e.g. http://127.0.0.1:8085; undefined means real GCP. */
  readonly emulatorUrl: string | undefined;
}

export function gcpEndpointFromEnv(env: NodeJS.ProcessEnv = process.env): GcpEndpoint {
  const url = env.AGENTS_PLANE_GCP_ENDPOINT?.trim();
  return { emulatorUrl: url ? url.replace(/\/+$/, '') : undefined };
}

export interface GcpClients {
  readonly endpoint: GcpEndpoint;
  readonly instances: InstanceType<typeof compute.InstancesClient>;
  readonly disks: InstanceType<typeof compute.DisksClient>;
  readonly snapshots: InstanceType<typeof compute.SnapshotsClient>;
  readonly networks: InstanceType<typeof compute.NetworksClient>;
  readonly subnetworks: InstanceType<typeof compute.SubnetworksClient>;
  readonly firewalls: InstanceType<typeof compute.FirewallsClient>;
  readonly routers: InstanceType<typeof compute.RoutersClient>;
  readonly resourcePolicies: InstanceType<typeof compute.ResourcePoliciesClient>;
  readonly zoneOperations: InstanceType<typeof compute.ZoneOperationsClient>;
  readonly regionOperations: InstanceType<typeof compute.RegionOperationsClient>;
  readonly globalOperations: InstanceType<typeof compute.GlobalOperationsClient>;
  readonly secrets: SecretManagerServiceClient;
  readonly projects: ProjectsClient;
  readonly iam: iam_v1.Iam;
  /** For the APIs without a client library (IAP): an authorised fetch against `baseUrl`. */
  readonly rest: RestClient;
  /** The pacer every call of these clients goes through (undefined for raw clients). */
  readonly limiter: RateLimiter | undefined;
  close(): Promise<void>;
}

export interface RestClient {
  /** Base URL of IAP's REST API (real: https://iap.googleapis.com). */
  readonly iapBaseUrl: string;
  request<T>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<T>;
}

interface EmulatorTarget {
  apiEndpoint: string;
  port: number;
  protocol: 'http';
}

function emulatorTarget(url: string): EmulatorTarget {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:') throw new Error(`AGENTS_PLANE_GCP_ENDPOINT must be http://host:port, got ${url}`);
  return { apiEndpoint: parsed.hostname, port: Number(parsed.port || 80), protocol: 'http' };
}

export interface GcpClientOptions {
  /**
   * Retry transient errors and normalise every error into a GcpError (default). Off gives the official
   * clients exactly as they are, with Google's raw errors: for tests of the emulator's fidelity.
   */
  readonly resilient?: boolean;
  /**
   * Paces the clients' calls under the project's rate quotas (resilient clients only). Default: one
   * limiter per createGcpClients call, configured from the environment (RateLimiter.fromEnv).
   */
  readonly limiter?: RateLimiter;
}

export function createGcpClients(endpoint: GcpEndpoint = gcpEndpointFromEnv(), options: GcpClientOptions = {}): GcpClients {
  const emulator = endpoint.emulatorUrl;
  const limiter = options.resilient === false ? undefined : (options.limiter ?? RateLimiter.fromEnv());
  const wrap: typeof resilient =
    options.resilient === false ? (target) => target : (target, name, o = {}) => resilient(target, name, { ...o, limiter });
  // Against the emulator no credentials exist: a pass-through auth client adds no header.
  const authClient = emulator ? new PassThroughClient() : undefined;
  const common = emulator
    ? { ...emulatorTarget(emulator), fallback: true as const, authClient }
    : { fallback: true as const };
  const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });

  const rest: RestClient = {
    iapBaseUrl: emulator ? `${emulator}` : 'https://iap.googleapis.com',
    request<T>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<T> {
      if (options.resilient === false) return rawRequest<T>(method, url, body);
      // IAP's REST methods are the URL's `:verb` (getIamPolicy, setIamPolicy).
      const pacer = limiter?.pacerFor('iap', url.slice(url.lastIndexOf(':') + 1), { name: new URL(url).pathname });
      return (pacer ? pacer.acquire() : Promise.resolve()).then(() => retryTransient(`rest ${method}`, () => rawRequest<T>(method, url, body), undefined, pacer));
    },
  };

  // IAP has no client library: plain REST, authorised by ADC (or nothing, against the emulator).
  async function rawRequest<T>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<T> {
    if (emulator) {
      const res = await fetch(url, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw restError(res.status, text);
      return (text ? JSON.parse(text) : {}) as T;
    }
    const client = await auth.getClient();
    const res = await client.request<T>({ url, method, data: body });
    return res.data;
  }

  const clients: GcpClients = {
    endpoint,
    instances: wrap(new compute.InstancesClient(common), 'compute.instances'),
    disks: wrap(new compute.DisksClient(common), 'compute.disks'),
    snapshots: wrap(new compute.SnapshotsClient(common), 'compute.snapshots'),
    networks: wrap(new compute.NetworksClient(common), 'compute.networks'),
    subnetworks: wrap(new compute.SubnetworksClient(common), 'compute.subnetworks'),
    firewalls: wrap(new compute.FirewallsClient(common), 'compute.firewalls'),
    routers: wrap(new compute.RoutersClient(common), 'compute.routers'),
    resourcePolicies: wrap(new compute.ResourcePoliciesClient(common), 'compute.resourcePolicies'),
    zoneOperations: wrap(new compute.ZoneOperationsClient(common), 'compute.zoneOperations'),
    regionOperations: wrap(new compute.RegionOperationsClient(common), 'compute.regionOperations'),
    globalOperations: wrap(new compute.GlobalOperationsClient(common), 'compute.globalOperations'),
    secrets: wrap(new SecretManagerServiceClient(common), 'secretmanager'),
    // resource-manager still pins an older google-auth-library; its PassThroughClient type differs but
    // behaves identically, hence the cast.
    projects: wrap(new ProjectsClient(common as ConstructorParameters<typeof ProjectsClient>[0]), 'resourcemanager.projects'),
    // @googleapis/iam bundles its own google-auth-library; the instances are compatible at run time.
    iam: wrap(new iam_v1.Iam({
      ...(emulator ? { rootUrl: `${emulator}/` } : {}),
      auth: (emulator ? new GoogleAuth({ authClient: new PassThroughClient() }) : auth) as unknown as iam_v1.Options['auth'],
    }), 'iam', { deep: true }),
    rest,
    limiter,
    async close() {
      await Promise.allSettled(
        [
          clients.instances, clients.disks, clients.snapshots, clients.networks, clients.subnetworks,
          clients.firewalls, clients.routers, clients.resourcePolicies, clients.zoneOperations,
          clients.regionOperations, clients.globalOperations, clients.secrets, clients.projects,
        ].map((c) => c.close()),
      );
    },
  };
  return clients;
}

/** A REST failure in the same shape gax gives (code = HTTP status, message = body). */
function restError(status: number, body: string): Error & { code: number } {
  return Object.assign(new Error(body || `HTTP ${status}`), { code: status });
}
