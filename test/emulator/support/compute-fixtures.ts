/**
 * Compute fixtures for the emulator suites, made through the official clients: a custom-mode network
 * with one subnetwork (the emulator, like a project under compute.skipDefaultNetworkCreation, has no
 * default network), a visible service account, and an instance body like the plane's.
 */
import type { protos } from '@google-cloud/compute';
import type { GcpClients } from '../../../src/gcp/clients.js';

export type Operation = protos.google.cloud.compute.v1.IOperation;

/** Waits for a compute operation the way the product does (the `wait` method), until DONE. */
export async function done(gcp: GcpClients, project: string, started: { latestResponse?: unknown } | Operation): Promise<Operation> {
  let op = ('latestResponse' in started ? started.latestResponse : started) as Operation;
  while (op.status !== 'DONE') {
    const name = op.name!;
    const zone = op.zone?.split('/').pop();
    const region = op.region?.split('/').pop();
    [op] = zone
      ? await gcp.zoneOperations.wait({ project, zone, operation: name })
      : region
        ? await gcp.regionOperations.wait({ project, region, operation: name })
        : await gcp.globalOperations.wait({ project, operation: name });
  }
  return op;
}

export interface NetworkFixture {
  readonly network: string;
  readonly subnetwork: string;
  readonly region: string;
}

export async function createNetwork(gcp: GcpClients, project: string, name: string, region = 'us-central1', cidr = '10.128.0.0/20'): Promise<NetworkFixture> {
  const [net] = await gcp.networks.insert({ project, networkResource: { name, autoCreateSubnetworks: false } });
  await done(gcp, project, net);
  const [sub] = await gcp.subnetworks.insert({
    project,
    region,
    subnetworkResource: { name: `${name}-sub`, network: `projects/${project}/global/networks/${name}`, ipCidrRange: cidr, privateIpGoogleAccess: true },
  });
  await done(gcp, project, sub);
  return { network: name, subnetwork: `${name}-sub`, region };
}

/** Creates a service account and waits until IAM shows it (eventual consistency). */
export async function createServiceAccount(gcp: GcpClients, project: string, accountId: string): Promise<string> {
  const res = await gcp.iam.projects.serviceAccounts.create({ name: `projects/${project}`, requestBody: { accountId } });
  const email = res.data.email!;
  for (let i = 0; i < 200; i++) {
    try {
      await gcp.iam.projects.serviceAccounts.get({ name: `projects/${project}/serviceAccounts/${email}` });
      return email;
    } catch {
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  throw new Error(`service account ${email} never became visible`);
}

export interface InstanceOptions {
  readonly zone?: string;
  readonly machineType?: string;
  readonly serviceAccount?: string;
  readonly metadata?: Record<string, string>;
  readonly labels?: Record<string, string>;
}

export function instanceBody(project: string, name: string, net: NetworkFixture, o: InstanceOptions = {}): protos.google.cloud.compute.v1.IInstance {
  const zone = o.zone ?? `${net.region}-a`;
  return {
    name,
    machineType: `zones/${zone}/machineTypes/${o.machineType ?? 'e2-small'}`,
    labels: o.labels ?? { 'managed-by': 'agents-plane' },
    metadata: { items: Object.entries(o.metadata ?? {}).map(([key, value]) => ({ key, value })) },
    disks: [
      {
        boot: true,
        autoDelete: true,
        initializeParams: { sourceImage: 'projects/debian-cloud/global/images/family/debian-12', diskSizeGb: '20', diskType: `zones/${zone}/diskTypes/pd-balanced` },
      },
    ],
    networkInterfaces: [{ subnetwork: `projects/${project}/regions/${net.region}/subnetworks/${net.subnetwork}` }],
    ...(o.serviceAccount ? { serviceAccounts: [{ email: o.serviceAccount, scopes: ['https://www.googleapis.com/auth/cloud-platform'] }] } : {}),
    shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
  };
}
