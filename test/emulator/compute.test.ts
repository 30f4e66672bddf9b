/**
 * Compute through the official client (@google-cloud/compute over REST), for every method the product
 * uses: the plane's network (VPC, subnetwork, firewalls, router with Cloud NAT, snapshot schedule) and an
 * agent's VM (instance, boot disk, snapshot, IAM policy, labels, metadata, power operations), with GCP's
 * answers for duplicates, missing resources, bad input, stale fingerprints and etags, requestId replays,
 * resources in use and capacity quotas.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcpClients, type GcpClients } from '../../src/gcp/clients.js';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.js';
import { computeFailure } from './support/compute-failure.js';
import { createNetwork, createServiceAccount, done, instanceBody, type NetworkFixture, type Operation } from './support/compute-fixtures.js';

const PROJECT = 'compute-suite';
const REGION = 'us-central1';
const ZONE = 'us-central1-a';
const IMAGE = 'projects/debian-cloud/global/images/family/debian-12';

let emulator: EmulatorHandle;
let gcp: GcpClients;
let net: NetworkFixture;
let serviceAccount: string;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, latencyScale: 0.001, seed: 7, computeQuotas: { CPUS: 8, INSTANCES: 4 } });
  gcp = createGcpClients({ emulatorUrl: emulator.url }, { resilient: false });
  net = await createNetwork(gcp, PROJECT, 'suite-vpc');
  serviceAccount = await createServiceAccount(gcp, PROJECT, 'agent-runner');
});

afterAll(async () => {
  await gcp?.close();
  await emulator?.close();
});

const UUID_A = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';

describe('networks', () => {
  it('creates a custom-mode VPC through a global operation, gets, lists and deletes it', async () => {
    const [started] = await gcp.networks.insert({ project: PROJECT, networkResource: { name: 'lifecycle-vpc', autoCreateSubnetworks: false, routingConfig: { routingMode: 'REGIONAL' } } });
    const op = started.latestResponse as { status?: string; operationType?: string; targetLink?: string; zone?: string; region?: string };
    expect(op).toMatchObject({ operationType: 'insert', targetLink: `https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/networks/lifecycle-vpc` });
    expect(op.zone ?? op.region).toBeFalsy();
    const finished = await done(gcp, PROJECT, started);
    expect(finished.status).toBe('DONE');
    expect(finished.error).toBeFalsy();

    const [network] = await gcp.networks.get({ project: PROJECT, network: 'lifecycle-vpc' });
    expect(network).toMatchObject({
      name: 'lifecycle-vpc',
      autoCreateSubnetworks: false,
      mtu: 1460,
      selfLink: `https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/networks/lifecycle-vpc`,
      routingConfig: { routingMode: 'REGIONAL' },
    });
    expect(network.id).toMatch(/^\d{19}$/);
    const [list] = await gcp.networks.list({ project: PROJECT });
    expect(list.map((n) => n.name)).toEqual(expect.arrayContaining(['lifecycle-vpc', 'suite-vpc']));

    await done(gcp, PROJECT, (await gcp.networks.delete({ project: PROJECT, network: 'lifecycle-vpc' }))[0]);
    const missing = await computeFailure(gcp.networks.get({ project: PROJECT, network: 'lifecycle-vpc' }));
    expect(missing.http).toBe(404);
    expect(missing.body.error).toEqual({
      code: 404,
      message: `The resource 'projects/${PROJECT}/global/networks/lifecycle-vpc' was not found`,
      errors: [{ message: `The resource 'projects/${PROJECT}/global/networks/lifecycle-vpc' was not found`, domain: 'global', reason: 'notFound' }],
    });
  });

  it('answers a duplicate create with 409 alreadyExists, in compute’s shape', async () => {
    const f = await computeFailure(gcp.networks.insert({ project: PROJECT, networkResource: { name: 'suite-vpc', autoCreateSubnetworks: false } }));
    expect(f.http).toBe(409);
    expect(f.body.error.status).toBeUndefined();
    expect(f.body.error.errors).toEqual([
      { message: `The resource 'projects/${PROJECT}/global/networks/suite-vpc' already exists`, domain: 'global', reason: 'alreadyExists' },
    ]);
  });

  it('refuses to delete a network that still has a subnetwork (400 resourceInUseByAnotherResource)', async () => {
    const f = await computeFailure(gcp.networks.delete({ project: PROJECT, network: 'suite-vpc' }));
    expect(f.http).toBe(400);
    expect(f.body.error.errors?.[0]?.reason).toBe('resourceInUseByAnotherResource');
    expect(f.body.error.message).toBe(
      `The network resource 'projects/${PROJECT}/global/networks/suite-vpc' is already being used by 'projects/${PROJECT}/regions/${REGION}/subnetworks/suite-vpc-sub'`,
    );
  });

  it('refuses an overlapping subnetwork range and a reference to a missing network', async () => {
    const overlap = await computeFailure(
      gcp.subnetworks.insert({ project: PROJECT, region: 'us-east1', subnetworkResource: { name: 'overlap', network: 'global/networks/suite-vpc', ipCidrRange: '10.128.8.0/24' } }),
    );
    expect(overlap.http).toBe(400);
    expect(overlap.body.error.message).toContain("conflicts with existing subnetwork 'suite-vpc-sub' in region 'us-central1'");
    const dangling = await computeFailure(
      gcp.subnetworks.insert({ project: PROJECT, region: REGION, subnetworkResource: { name: 'dangling', network: 'global/networks/nope', ipCidrRange: '10.200.0.0/24' } }),
    );
    expect(dangling.body.error.message).toBe("Invalid value for field 'resource.network': 'global/networks/nope'. The referenced network resource cannot be found.");
  });
});

describe("the plane's network resources", () => {
  it('creates firewall rules (deny within the subnet, allow SSH from IAP), a router with Cloud NAT and a snapshot schedule', async () => {
    const network = `projects/${PROJECT}/global/networks/suite-vpc`;
    await done(gcp, PROJECT, (await gcp.firewalls.insert({
      project: PROJECT,
      firewallResource: { name: 'deny-agent-ingress', network, direction: 'INGRESS', priority: 900, sourceRanges: ['10.128.0.0/20'], denied: [{ IPProtocol: 'all' }] },
    }))[0]);
    await done(gcp, PROJECT, (await gcp.firewalls.insert({
      project: PROJECT,
      firewallResource: { name: 'allow-iap-ssh', network, direction: 'INGRESS', priority: 1000, sourceRanges: ['35.235.240.0/20'], allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] },
    }))[0]);
    const [fw] = await gcp.firewalls.get({ project: PROJECT, firewall: 'allow-iap-ssh' });
    expect(fw).toMatchObject({ direction: 'INGRESS', priority: 1000, sourceRanges: ['35.235.240.0/20'], allowed: [{ IPProtocol: 'tcp', ports: ['22'] }], disabled: false });
    const [fws] = await gcp.firewalls.list({ project: PROJECT });
    expect(fws.map((f) => f.name).sort()).toEqual(['allow-iap-ssh', 'deny-agent-ingress']);

    const bad = await computeFailure(gcp.firewalls.insert({ project: PROJECT, firewallResource: { name: 'both', network, allowed: [{ IPProtocol: 'tcp' }], denied: [{ IPProtocol: 'udp' }] } }));
    expect(bad.http).toBe(400);
    expect(bad.body.error.message).toContain('Exactly one of allowed or denied');

    await done(gcp, PROJECT, (await gcp.routers.insert({
      project: PROJECT,
      region: REGION,
      routerResource: {
        name: 'suite-router',
        network,
        nats: [
          {
            name: 'suite-nat',
            natIpAllocateOption: 'AUTO_ONLY',
            sourceSubnetworkIpRangesToNat: 'LIST_OF_SUBNETWORKS',
            subnetworks: [{ name: `projects/${PROJECT}/regions/${REGION}/subnetworks/suite-vpc-sub`, sourceIpRangesToNat: ['ALL_IP_RANGES'] }],
            logConfig: { enable: true, filter: 'ERRORS_ONLY' },
          },
        ],
      },
    }))[0]);
    const [router] = await gcp.routers.get({ project: PROJECT, region: REGION, router: 'suite-router' });
    expect(router.nats?.[0]).toMatchObject({ name: 'suite-nat', sourceSubnetworkIpRangesToNat: 'LIST_OF_SUBNETWORKS' });
    expect(router.nats?.[0]?.subnetworks?.[0]?.name).toBe(`https://www.googleapis.com/compute/v1/projects/${PROJECT}/regions/${REGION}/subnetworks/suite-vpc-sub`);

    await done(gcp, PROJECT, (await gcp.resourcePolicies.insert({
      project: PROJECT,
      region: REGION,
      resourcePolicyResource: {
        name: 'suite-snapshots',
        snapshotSchedulePolicy: {
          schedule: { dailySchedule: { daysInCycle: 1, startTime: '04:00' } },
          retentionPolicy: { maxRetentionDays: 14, onSourceDiskDelete: 'APPLY_RETENTION_POLICY' },
          snapshotProperties: { labels: { 'managed-by': 'agents-plane' }, storageLocations: [REGION] },
        },
      },
    }))[0]);
    const [policy] = await gcp.resourcePolicies.get({ project: PROJECT, region: REGION, resourcePolicy: 'suite-snapshots' });
    expect(policy.snapshotSchedulePolicy?.schedule?.dailySchedule).toMatchObject({ daysInCycle: 1, startTime: '04:00' });
    const offHour = await computeFailure(gcp.resourcePolicies.insert({
      project: PROJECT,
      region: REGION,
      resourcePolicyResource: { name: 'bad-schedule', snapshotSchedulePolicy: { schedule: { dailySchedule: { daysInCycle: 1, startTime: '04:30' } }, retentionPolicy: { maxRetentionDays: 1 } } },
    }));
    expect(offHour.http).toBe(400);

    // The subnetwork is now used by the NAT: it cannot go.
    const inUse = await computeFailure(gcp.subnetworks.delete({ project: PROJECT, region: REGION, subnetwork: 'suite-vpc-sub' }));
    expect(inUse.body.error.errors?.[0]?.reason).toBe('resourceInUseByAnotherResource');
  });
});

describe('instances', () => {
  it('refuses a service account that does not exist (400), an unknown machine type and an unknown zone', async () => {
    const sa = await computeFailure(gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: instanceBody(PROJECT, 'ghost', net, { serviceAccount: `nobody-here@${PROJECT}.iam.gserviceaccount.com` }) }));
    expect(sa.http).toBe(400);
    expect(sa.body.error.message).toContain(`'resource.serviceAccounts[0].email': 'nobody-here@${PROJECT}.iam.gserviceaccount.com'`);

    const type = await computeFailure(gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: instanceBody(PROJECT, 'big', net, { machineType: 'e2-gigantic' }) }));
    expect(type.body.error.message).toBe(
      `Invalid value for field 'resource.machineType': 'zones/${ZONE}/machineTypes/e2-gigantic'. Machine type with name 'e2-gigantic' does not exist in zone '${ZONE}'.`,
    );
    const zone = await computeFailure(gcp.instances.insert({ project: PROJECT, zone: 'us-central1-z', instanceResource: instanceBody(PROJECT, 'nowhere', net, { zone: 'us-central1-z' }) }));
    expect(zone.body.error.message).toBe("Invalid value for field 'zone': 'us-central1-z'. Unknown zone.");
    const [list] = await gcp.instances.list({ project: PROJECT, zone: ZONE });
    expect(list).toEqual([]);
  });

  it('creates a VM as its service account, with a boot disk on the schedule; gets, lists and deletes it', async () => {
    const body = instanceBody(PROJECT, 'agent-one', net, { serviceAccount, metadata: { 'enable-oslogin': 'TRUE' }, labels: { 'managed-by': 'agents-plane', agent: 'one' } });
    body.disks![0]!.initializeParams!.resourcePolicies = [`projects/${PROJECT}/regions/${REGION}/resourcePolicies/suite-snapshots`];
    body.disks![0]!.initializeParams!.labels = { agent: 'one' };
    const [started] = await gcp.instances.insert({ project: PROJECT, zone: ZONE, requestId: UUID_A, instanceResource: body });
    expect((started.latestResponse as { zone?: string }).zone).toBe(`https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${ZONE}`);
    await done(gcp, PROJECT, started);

    const [vm] = await gcp.instances.get({ project: PROJECT, zone: ZONE, instance: 'agent-one' });
    expect(vm).toMatchObject({
      name: 'agent-one',
      status: 'RUNNING',
      machineType: `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${ZONE}/machineTypes/e2-small`,
      labels: { 'managed-by': 'agents-plane', agent: 'one' },
      serviceAccounts: [{ email: serviceAccount, scopes: ['https://www.googleapis.com/auth/cloud-platform'] }],
      shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
    });
    expect(vm.networkInterfaces?.[0]).toMatchObject({
      subnetwork: `https://www.googleapis.com/compute/v1/projects/${PROJECT}/regions/${REGION}/subnetworks/suite-vpc-sub`,
      networkIP: '10.128.0.2',
    });
    expect(vm.networkInterfaces?.[0]?.accessConfigs ?? []).toEqual([]);
    expect(vm.metadata?.items?.map(({ key, value }) => ({ key, value }))).toEqual([{ key: 'enable-oslogin', value: 'TRUE' }]);

    const [disk] = await gcp.disks.get({ project: PROJECT, zone: ZONE, disk: 'agent-one' });
    expect(disk).toMatchObject({ status: 'READY', sizeGb: '20', labels: { agent: 'one' } });
    expect(disk.users).toEqual([`https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${ZONE}/instances/agent-one`]);
    expect(disk.resourcePolicies).toEqual([`https://www.googleapis.com/compute/v1/projects/${PROJECT}/regions/${REGION}/resourcePolicies/suite-snapshots`]);
    const [disks] = await gcp.disks.list({ project: PROJECT, zone: ZONE });
    expect(disks.map((d) => d.name)).toContain('agent-one');

    // In use: the disk, the subnetwork and the snapshot schedule cannot be deleted.
    expect((await computeFailure(gcp.disks.delete({ project: PROJECT, zone: ZONE, disk: 'agent-one' }))).body.error.errors?.[0]?.reason).toBe('resourceInUseByAnotherResource');
    expect((await computeFailure(gcp.resourcePolicies.delete({ project: PROJECT, region: REGION, resourcePolicy: 'suite-snapshots' }))).body.error.message).toBe(
      `The resource_policy resource 'projects/${PROJECT}/regions/${REGION}/resourcePolicies/suite-snapshots' is already being used by 'projects/${PROJECT}/zones/${ZONE}/disks/agent-one'`,
    );

    const dup = await computeFailure(gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: instanceBody(PROJECT, 'agent-one', net) }));
    expect(dup.http).toBe(409);
    expect(dup.body.error.errors?.[0]?.reason).toBe('alreadyExists');

    const [list] = await gcp.instances.list({ project: PROJECT, zone: ZONE });
    expect(list.map((i) => i.name)).toEqual(['agent-one']);
  });

  it('replays a requestId: the same operation, one resource', async () => {
    const requestId = '0b7d4c9e-1f2a-4b3c-8d4e-5f6a7b8c9d0e';
    const [first] = await gcp.instances.insert({ project: PROJECT, zone: ZONE, requestId, instanceResource: instanceBody(PROJECT, 'agent-twice', net) });
    const [second] = await gcp.instances.insert({ project: PROJECT, zone: ZONE, requestId, instanceResource: instanceBody(PROJECT, 'agent-twice', net) });
    const a = first.latestResponse as Operation;
    const b = second.latestResponse as Operation;
    expect(b.name).toBe(a.name);
    expect(b.id).toBe(a.id);
    await done(gcp, PROJECT, first);
    // After DONE as well: still that operation, still one instance.
    const [third] = await gcp.instances.insert({ project: PROJECT, zone: ZONE, requestId, instanceResource: instanceBody(PROJECT, 'agent-twice', net) });
    expect(third.latestResponse as Operation).toMatchObject({ name: a.name, status: 'DONE' });
    const rows = emulator.inventory().filter((r) => r.kind === 'compute.instances' && r.name.endsWith('/agent-twice'));
    expect(rows).toHaveLength(1);
    // A delete replayed the same way is one delete.
    const delId = '1c8e5d0f-2a3b-4c4d-9e5f-6a7b8c9d0e1f';
    const [d1] = await gcp.instances.delete({ project: PROJECT, zone: ZONE, instance: 'agent-twice', requestId: delId });
    const [d2] = await gcp.instances.delete({ project: PROJECT, zone: ZONE, instance: 'agent-twice', requestId: delId });
    expect((d2.latestResponse as { name: string }).name).toBe((d1.latestResponse as { name: string }).name);
    await done(gcp, PROJECT, d1);
    expect((await computeFailure(gcp.instances.get({ project: PROJECT, zone: ZONE, instance: 'agent-twice' }))).http).toBe(404);
    // Its boot disk went with it (autoDelete).
    expect((await computeFailure(gcp.disks.get({ project: PROJECT, zone: ZONE, disk: 'agent-twice' }))).http).toBe(404);
  });

  it('keeps a boot disk without autoDelete after its instance, then deletes it', async () => {
    const body = instanceBody(PROJECT, 'keeps-disk', net);
    body.disks![0]!.autoDelete = false;
    await done(gcp, PROJECT, (await gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: body }))[0]);
    await done(gcp, PROJECT, (await gcp.instances.delete({ project: PROJECT, zone: ZONE, instance: 'keeps-disk' }))[0]);
    const [disk] = await gcp.disks.get({ project: PROJECT, zone: ZONE, disk: 'keeps-disk' });
    expect(disk.users ?? []).toEqual([]);
    const op = await done(gcp, PROJECT, (await gcp.disks.delete({ project: PROJECT, zone: ZONE, disk: 'keeps-disk', requestId: '2d9f6e1a-3b4c-4d5e-8f6a-7b8c9d0e1f2a' }))[0]);
    expect(op).toMatchObject({ operationType: 'delete', status: 'DONE' });
    expect((await computeFailure(gcp.disks.get({ project: PROJECT, zone: ZONE, disk: 'keeps-disk' }))).http).toBe(404);
  });

  it('guards labels and metadata with fingerprints: a stale one is 412 conditionNotMet', async () => {
    const [vm] = await gcp.instances.get({ project: PROJECT, zone: ZONE, instance: 'agent-one' });
    const labelFingerprint = vm.labelFingerprint!;
    await done(gcp, PROJECT, (await gcp.instances.setLabels({
      project: PROJECT,
      zone: ZONE,
      instance: 'agent-one',
      instancesSetLabelsRequestResource: { labels: { ...vm.labels, tier: 'gold' }, labelFingerprint },
    }))[0]);
    const stale = await computeFailure(gcp.instances.setLabels({
      project: PROJECT,
      zone: ZONE,
      instance: 'agent-one',
      instancesSetLabelsRequestResource: { labels: { tier: 'silver' }, labelFingerprint },
    }));
    expect(stale.http).toBe(412);
    expect(stale.body.error.errors).toEqual([{ message: 'Labels fingerprint either invalid or resource labels have changed', domain: 'global', reason: 'conditionNotMet' }]);

    const metadataFingerprint = vm.metadata!.fingerprint!;
    await done(gcp, PROJECT, (await gcp.instances.setMetadata({
      project: PROJECT,
      zone: ZONE,
      instance: 'agent-one',
      metadataResource: { fingerprint: metadataFingerprint, items: [...vm.metadata!.items!, { key: 'agents-plane-agent-version', value: '1.2.3' }] },
    }))[0]);
    const staleMeta = await computeFailure(gcp.instances.setMetadata({
      project: PROJECT,
      zone: ZONE,
      instance: 'agent-one',
      metadataResource: { fingerprint: metadataFingerprint, items: [] },
    }));
    expect(staleMeta.http).toBe(412);
    expect(staleMeta.body.error.message).toBe('Supplied fingerprint does not match current metadata fingerprint.');
    const [after] = await gcp.instances.get({ project: PROJECT, zone: ZONE, instance: 'agent-one' });
    expect(after.labels).toMatchObject({ tier: 'gold' });
    expect(after.metadata?.items?.map((i) => i.key)).toEqual(['enable-oslogin', 'agents-plane-agent-version']);
  });

  it('guards the instance IAM policy with its etag: a stale one is 409 ABORTED', async () => {
    const ref = { project: PROJECT, zone: ZONE, resource: 'agent-one' };
    const [empty] = await gcp.instances.getIamPolicy(ref);
    expect(empty.etag).toBe('ACAB');
    const [written] = await gcp.instances.setIamPolicy({
      ...ref,
      zoneSetPolicyRequestResource: { policy: { etag: empty.etag, bindings: [{ role: 'roles/compute.osLogin', members: ['user:owner@example.com'] }] } },
    });
    expect(written.bindings).toEqual([expect.objectContaining({ role: 'roles/compute.osLogin', members: ['user:owner@example.com'] })]);
    const stale = await computeFailure(gcp.instances.setIamPolicy({
      ...ref,
      zoneSetPolicyRequestResource: { policy: { etag: empty.etag, bindings: [{ role: 'roles/compute.osLogin', members: ['user:intruder@example.com'] }] } },
    }));
    expect(stale.http).toBe(409);
    expect(stale.code).toBe(10); // ABORTED
    const [read] = await gcp.instances.getIamPolicy(ref);
    expect(read.bindings?.[0]?.members).toEqual(['user:owner@example.com']);
    const row = emulator.inventory().find((r) => r.name === `projects/${PROJECT}/zones/${ZONE}/instances/agent-one`);
    expect(row?.iamPolicy?.bindings).toEqual([{ role: 'roles/compute.osLogin', members: ['user:owner@example.com'] }]);
  });

  it('stops, starts and resets an instance through zone operations', async () => {
    const ref = { project: PROJECT, zone: ZONE, instance: 'agent-one' };
    await done(gcp, PROJECT, (await gcp.instances.stop(ref))[0]);
    expect((await gcp.instances.get(ref))[0].status).toBe('TERMINATED');
    const resetStopped = await computeFailure(gcp.instances.reset(ref));
    expect(resetStopped.http).toBe(400);
    await done(gcp, PROJECT, (await gcp.instances.start(ref))[0]);
    expect((await gcp.instances.get(ref))[0].status).toBe('RUNNING');
    const op = await done(gcp, PROJECT, (await gcp.instances.reset(ref))[0]);
    expect(op).toMatchObject({ status: 'DONE', operationType: 'reset' });
    const [ops] = await gcp.zoneOperations.list({ project: PROJECT, zone: ZONE });
    expect(ops.map((o) => o.operationType)).toEqual(expect.arrayContaining(['insert', 'stop', 'start', 'reset', 'setLabels', 'setMetadata']));
    const [got] = await gcp.zoneOperations.get({ project: PROJECT, zone: ZONE, operation: op.name! });
    expect(got).toMatchObject({ name: op.name, status: 'DONE', progress: 100 });
  });

  it('snapshots the boot disk, labels and deletes the snapshot, and attaches a resource policy to a disk', async () => {
    const snap = await done(gcp, PROJECT, (await gcp.disks.createSnapshot({ project: PROJECT, zone: ZONE, disk: 'agent-one', snapshotResource: { name: 'agent-one-backup', labels: { agent: 'one' } } }))[0]);
    expect(snap.operationType).toBe('createSnapshot');
    const [snapshot] = await gcp.snapshots.get({ project: PROJECT, snapshot: 'agent-one-backup' });
    expect(snapshot).toMatchObject({ status: 'READY', labels: { agent: 'one' }, sourceDisk: `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${ZONE}/disks/agent-one` });
    const [snapshots] = await gcp.snapshots.list({ project: PROJECT });
    expect(snapshots.map((s) => s.name)).toEqual(['agent-one-backup']);
    await done(gcp, PROJECT, (await gcp.snapshots.setLabels({
      project: PROJECT,
      resource: 'agent-one-backup',
      globalSetLabelsRequestResource: { labels: { agent: 'one', kept: 'yes' }, labelFingerprint: snapshot.labelFingerprint! },
    }))[0]);
    const stale = await computeFailure(gcp.snapshots.setLabels({
      project: PROJECT,
      resource: 'agent-one-backup',
      globalSetLabelsRequestResource: { labels: {}, labelFingerprint: snapshot.labelFingerprint! },
    }));
    expect(stale.http).toBe(412);
    await done(gcp, PROJECT, (await gcp.snapshots.delete({ project: PROJECT, snapshot: 'agent-one-backup' }))[0]);
    expect((await computeFailure(gcp.snapshots.get({ project: PROJECT, snapshot: 'agent-one-backup' }))).http).toBe(404);

    await done(gcp, PROJECT, (await gcp.resourcePolicies.insert({
      project: PROJECT,
      region: REGION,
      resourcePolicyResource: { name: 'hourly', snapshotSchedulePolicy: { schedule: { hourlySchedule: { hoursInCycle: 4, startTime: '00:00' } }, retentionPolicy: { maxRetentionDays: 2 } } },
    }))[0]);
    const twoSchedules = await computeFailure(gcp.disks.addResourcePolicies({
      project: PROJECT,
      zone: ZONE,
      disk: 'agent-one',
      disksAddResourcePoliciesRequestResource: { resourcePolicies: [`projects/${PROJECT}/regions/${REGION}/resourcePolicies/hourly`] },
    }));
    expect(twoSchedules.http).toBe(400);
  });

  it('charges regional capacity quotas: over CPUS is 403 QUOTA_EXCEEDED', async () => {
    // Quota CPUS 8: agent-one (2) + two e2-standard-2 (4) fit, a further e2-standard-4 does not.
    for (const name of ['cap-a', 'cap-b']) {
      await done(gcp, PROJECT, (await gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: instanceBody(PROJECT, name, net, { machineType: 'e2-standard-2' }) }))[0]);
    }
    const f = await computeFailure(gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: instanceBody(PROJECT, 'cap-c', net, { machineType: 'e2-standard-4' }) }));
    expect(f.http).toBe(403);
    expect(f.body.error.message).toBe(`Quota 'CPUS' exceeded.  Limit: 8.0 in region ${REGION}.`);
    expect(f.body.error.errors?.[0]).toMatchObject({ reason: 'quotaExceeded', domain: 'usageLimits' });
    // A stopped instance frees its vCPUs (not its INSTANCES slot).
    await done(gcp, PROJECT, (await gcp.instances.stop({ project: PROJECT, zone: ZONE, instance: 'cap-a' }))[0]);
    await done(gcp, PROJECT, (await gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: instanceBody(PROJECT, 'cap-c', net, { machineType: 'e2-small' }) }))[0]);
    const instances = await computeFailure(gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: instanceBody(PROJECT, 'cap-d', net, { machineType: 'e2-micro' }) }));
    expect(instances.body.error.message).toBe(`Quota 'INSTANCES' exceeded.  Limit: 4.0 in region ${REGION}.`);
    for (const name of ['cap-a', 'cap-b', 'cap-c']) await done(gcp, PROJECT, (await gcp.instances.delete({ project: PROJECT, zone: ZONE, instance: name }))[0]);
  });

  it('answers catalog reads: machine types of a zone', async () => {
    const [mt] = await gcp.instances.get({ project: PROJECT, zone: ZONE, instance: 'agent-one' });
    expect(mt.cpuPlatform).toBeTruthy();
    const res = await fetch(`${emulator.url}/compute/v1/projects/${PROJECT}/zones/${ZONE}/machineTypes/n2-standard-4`);
    expect(await res.json()).toMatchObject({ name: 'n2-standard-4', guestCpus: 4, memoryMb: 16384 });
  });

  it('deletes the VM and its boot disk, then the plane network in reverse order', async () => {
    await done(gcp, PROJECT, (await gcp.instances.delete({ project: PROJECT, zone: ZONE, instance: 'agent-one' }))[0]);
    expect((await computeFailure(gcp.disks.get({ project: PROJECT, zone: ZONE, disk: 'agent-one' }))).http).toBe(404);
    for (const name of ['suite-snapshots', 'hourly']) {
      await done(gcp, PROJECT, (await gcp.resourcePolicies.delete({ project: PROJECT, region: REGION, resourcePolicy: name }))[0]);
    }
    await done(gcp, PROJECT, (await gcp.routers.delete({ project: PROJECT, region: REGION, router: 'suite-router' }))[0]);
    for (const name of ['deny-agent-ingress', 'allow-iap-ssh']) await done(gcp, PROJECT, (await gcp.firewalls.delete({ project: PROJECT, firewall: name }))[0]);
    await done(gcp, PROJECT, (await gcp.subnetworks.delete({ project: PROJECT, region: REGION, subnetwork: 'suite-vpc-sub' }))[0]);
    await done(gcp, PROJECT, (await gcp.networks.delete({ project: PROJECT, network: 'suite-vpc' }))[0]);
    expect(emulator.inventory().filter((r) => r.kind.startsWith('compute.'))).toEqual([]);
  });
});
