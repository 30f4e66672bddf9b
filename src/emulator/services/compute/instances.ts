/**
 * VM instances (zonal): insert (with boot disk, network interface, service account and metadata,
 * checked the way GCP checks them), get, list, delete, and the power operations start, stop and reset.
 * Capacity quotas (CPUS, INSTANCES, disk GB) are charged per region; the guest simulator is told when
 * an instance runs, stops or is reset.
 */
import type { InventoryResource, Route, RouteRequest } from '../../core/contract.js';
import { inventoryPolicy } from '../iam-policy.js';
import { projectNumberOf } from '../project-number.js';
import { machineTypeIn, type MachineTypeSpec } from './catalog.js';
import { diskName, dropDisk, planDisk, storeDisk, type InitializeParams } from './disks.js';
import { regionOfKnownZone, type ComputeEnv, type ComputeKind } from './env.js';
import { alreadyExists, badRequest, invalidField, notFound, requiredField, resourceInUse, resourceNotReady } from './errors.js';
import { fingerprintOf, labelFingerprint, newId, timestamp, validateLabels, validateName } from './fields.js';
import { metadataFingerprint, validateMetadataItems } from './instance-metadata.js';
import { parseRef, regionScope, url, zoneScope } from './links.js';
import { listPage } from './listing.js';
import { networkName, requireNetwork } from './networks.js';
import type { AttachedDiskRecord, DiskRecord, InstanceRecord, NetworkInterfaceRecord, SubnetworkRecord } from './state.js';
import { allocateAddress, releaseAddress, requireSubnetwork, subnetworkName } from './subnetworks.js';

export const instanceName = (project: string, zone: string, name: string) => `projects/${project}/zones/${zone}/instances/${name}`;

/** Fields the emulator interprets; every other Instance field given at insert is answered back as given. */
const INTERPRETED = new Set([
  'name', 'description', 'machineType', 'labels', 'metadata', 'disks', 'networkInterfaces', 'serviceAccounts', 'tags',
  // Output-only fields a client may echo back; GCP ignores them.
  'id', 'kind', 'selfLink', 'status', 'statusMessage', 'zone', 'creationTimestamp', 'cpuPlatform', 'labelFingerprint',
  'fingerprint', 'lastStartTimestamp', 'lastStopTimestamp', 'lastSuspendedTimestamp', 'satisfiesPzs', 'satisfiesPzi', 'startRestricted',
  'resourceStatus',
]);

const CPU_PLATFORMS: Readonly<Record<string, string>> = { e2: 'Intel Broadwell', n1: 'Intel Skylake', n2: 'Intel Cascade Lake', n2d: 'AMD Milan', t2d: 'AMD Milan', c3: 'Intel Sapphire Rapids' };

/** Google-managed accounts exist without IAM's help; user-managed ones must exist and be visible. */
function defaultServiceAccount(project: string): string {
  return `${projectNumberOf(project)}-compute@developer.gserviceaccount.com`;
}

interface InstanceBody {
  name?: string;
  description?: string;
  machineType?: string;
  labels?: Record<string, string>;
  metadata?: { items?: { key?: string; value?: string }[] };
  disks?: {
    boot?: boolean;
    autoDelete?: boolean;
    deviceName?: string;
    mode?: string;
    interface?: string;
    type?: string;
    source?: string;
    initializeParams?: InitializeParams;
  }[];
  networkInterfaces?: { network?: string; subnetwork?: string; networkIP?: string; accessConfigs?: { name?: string; type?: string; networkTier?: string }[] }[];
  serviceAccounts?: { email?: string; scopes?: string[] }[];
  tags?: { items?: string[] };
  [field: string]: unknown;
}

/**
 * A machine type reference (full URL, `zones/z/machineTypes/t` or bare name) that the instance's zone
 * offers, checked the way insert and setMachineType check it; `field` is the body field GCP names.
 */
export function requireMachineType(project: string, zone: string, value: string | undefined, field: string): { name: string; machine: MachineTypeSpec } {
  if (!value) throw requiredField(field);
  const ref = parseRef(value, 'machineTypes', { project, location: zone, locationKind: 'zones' });
  if (!ref || ref.locationKind !== 'zones') throw invalidField(field, value, 'The referenced machineType resource cannot be found.');
  if (ref.location !== zone) throw invalidField(field, value, `Machine type must be in the instance's zone (${zone}).`);
  const machine = machineTypeIn(zone, ref.name);
  if (!machine) throw invalidField(field, value, `Machine type with name '${ref.name}' does not exist in zone '${zone}'.`);
  return { name: ref.name, machine };
}

const COUNTS_CPUS = (status: InstanceRecord['status']) => status !== 'TERMINATED' && status !== 'SUSPENDED';

export function instanceKind(env: ComputeEnv): ComputeKind & { find(project: string, zone: string, name: string): InstanceRecord | undefined } {
  const { state, capacity, ctx } = env;

  const cpusOf = (i: InstanceRecord) => machineTypeIn(i.zone, i.machineType)?.guestCpus ?? 0;
  const subnetOf = (rel: string): SubnetworkRecord | undefined => {
    const [, p, , r, , n] = rel.split('/') as [string, string, string, string, string, string];
    return state.subnetworks.get(regionScope(p, r), n);
  };
  const diskOf = (rel: string): DiskRecord | undefined => {
    const [, p, , z, , n] = rel.split('/') as [string, string, string, string, string, string];
    return state.disks.get(zoneScope(p, z), n);
  };

  function render(i: InstanceRecord) {
    const rel = instanceName(i.project, i.zone, i.name);
    const family = i.machineType.split('-')[0] ?? '';
    return {
      kind: 'compute#instance',
      id: i.id,
      creationTimestamp: i.creationTimestamp,
      name: i.name,
      ...(i.description ? { description: i.description } : {}),
      tags: { ...(i.tags.items.length ? { items: i.tags.items } : {}), fingerprint: i.tags.fingerprint },
      machineType: url(`projects/${i.project}/zones/${i.zone}/machineTypes/${i.machineType}`),
      status: i.status,
      zone: url(`projects/${i.project}/zones/${i.zone}`),
      canIpForward: false,
      networkInterfaces: i.networkInterfaces.map((n) => ({
        kind: 'compute#networkInterface',
        network: url(n.network),
        subnetwork: url(n.subnetwork),
        networkIP: n.networkIP,
        name: n.name,
        fingerprint: n.fingerprint,
        stackType: 'IPV4_ONLY',
        ...(n.accessConfigs ? { accessConfigs: n.accessConfigs.map((a) => ({ kind: 'compute#accessConfig', ...a })) } : {}),
      })),
      disks: i.disks.map((d) => {
        const disk = diskOf(d.source);
        return {
          kind: 'compute#attachedDisk',
          type: 'PERSISTENT',
          mode: d.mode,
          source: url(d.source),
          deviceName: d.deviceName,
          index: d.index,
          boot: d.boot,
          autoDelete: d.autoDelete,
          interface: d.interface,
          ...(disk ? { diskSizeGb: String(disk.sizeGb), architecture: disk.architecture } : {}),
          ...(d.boot && disk?.sourceImage?.includes('debian') ? { licenses: [url('projects/debian-cloud/global/licenses/debian-12-bookworm')] } : {}),
        };
      }),
      metadata: { kind: 'compute#metadata', fingerprint: i.metadataFingerprint, ...(i.metadata.length ? { items: i.metadata } : {}) },
      ...(i.serviceAccounts.length ? { serviceAccounts: i.serviceAccounts } : {}),
      selfLink: url(rel),
      scheduling: { onHostMaintenance: 'MIGRATE', automaticRestart: true, preemptible: false, provisioningModel: 'STANDARD', ...(i.extra.scheduling as object | undefined) },
      cpuPlatform: CPU_PLATFORMS[family] ?? 'Intel Broadwell',
      ...(Object.keys(i.labels).length ? { labels: i.labels } : {}),
      labelFingerprint: i.labelFingerprint,
      startRestricted: false,
      deletionProtection: i.extra.deletionProtection === true,
      shieldedInstanceConfig: { enableSecureBoot: false, enableVtpm: true, enableIntegrityMonitoring: true, ...(i.extra.shieldedInstanceConfig as object | undefined) },
      shieldedInstanceIntegrityPolicy: { updateAutoLearnPolicy: true },
      fingerprint: i.fingerprint,
      ...(i.lastStartTimestamp ? { lastStartTimestamp: i.lastStartTimestamp } : {}),
      ...(i.lastStopTimestamp ? { lastStopTimestamp: i.lastStopTimestamp } : {}),
      ...Object.fromEntries(Object.entries(i.extra).filter(([k]) => !['scheduling', 'shieldedInstanceConfig', 'deletionProtection'].includes(k))),
    };
  }

  function find(project: string, zone: string, name: string): InstanceRecord | undefined {
    return state.instances.get(zoneScope(project, zone), name);
  }

  function existing(req: RouteRequest): InstanceRecord {
    const { project, zone, instance } = req.params as { project: string; zone: string; instance: string };
    regionOfKnownZone(zone);
    const i = find(project, zone, instance);
    if (!i) throw notFound(instanceName(project, zone, instance));
    return i;
  }

  function checkServiceAccounts(project: string, accounts: InstanceBody['serviceAccounts']): InstanceRecord['serviceAccounts'] {
    const list = accounts ?? [];
    if (list.length > 1) throw invalidField('resource.serviceAccounts', '', 'At most one service account can be attached to an instance.');
    return list.map((sa, i) => {
      const field = `resource.serviceAccounts[${i}].email`;
      const email = !sa.email || sa.email === 'default' ? defaultServiceAccount(project) : sa.email;
      if (email.endsWith('.iam.gserviceaccount.com')) {
        if (!ctx.services.serviceAccountVisible(email)) {
          throw invalidField(field, email, `The user does not have access to service account '${email}' or it does not exist.`);
        }
      } else if (email !== defaultServiceAccount(project) && !email.endsWith('.gserviceaccount.com')) {
        throw invalidField(field, email, 'The service account does not exist.');
      }
      return { email, scopes: [...(sa.scopes ?? [])] };
    });
  }

  function planInterfaces(project: string, region: string, body: InstanceBody): { subnet: SubnetworkRecord; nic: Omit<NetworkInterfaceRecord, 'networkIP'>; accessConfigs?: NetworkInterfaceRecord['accessConfigs'] }[] {
    const nics = body.networkInterfaces ?? [];
    if (nics.length === 0) throw invalidField('resource.networkInterfaces', '', 'At least one network interface is required.');
    return nics.map((nic, i) => {
      const field = `resource.networkInterfaces[${i}]`;
      let subnet: SubnetworkRecord;
      if (nic.subnetwork !== undefined) {
        subnet = requireSubnetwork(env, nic.subnetwork, `${field}.subnetwork`, project, region);
        if (nic.network !== undefined) {
          const network = requireNetwork(env, nic.network, `${field}.network`, project);
          if (networkName(network.project, network.name) !== subnet.network) {
            throw invalidField(`${field}.subnetwork`, nic.subnetwork, 'Subnetwork does not belong to the specified network.');
          }
        }
      } else {
        const network = requireNetwork(env, nic.network ?? 'global/networks/default', `${field}.network`, project);
        if (!network.autoCreateSubnetworks) {
          throw invalidField(field, '', 'Subnetwork should be specified for custom subnetmode network');
        }
        subnet = requireSubnetwork(env, subnetworkName(project, region, network.name), `${field}.subnetwork`, project, region);
      }
      const accessConfigs = nic.accessConfigs?.map((a, j) => {
        if ((a.type ?? 'ONE_TO_ONE_NAT') !== 'ONE_TO_ONE_NAT') throw invalidField(`${field}.accessConfigs[${j}].type`, a.type, '');
        return {
          name: a.name ?? 'External NAT',
          type: 'ONE_TO_ONE_NAT',
          natIP: `34.${(Math.random() * 255) | 0}.${(Math.random() * 255) | 0}.${((Math.random() * 253) | 0) + 1}`,
          networkTier: a.networkTier ?? 'PREMIUM',
        };
      });
      return {
        subnet,
        nic: { name: `nic${i}`, network: subnet.network, subnetwork: subnetworkName(subnet.project, subnet.region, subnet.name), fingerprint: fingerprintOf([i, Date.now(), Math.random()]) },
        ...(accessConfigs?.length ? { accessConfigs } : {}),
      };
    });
  }

  interface DiskPlan {
    readonly attached: AttachedDiskRecord;
    /** A disk created by this insert (absent when attaching an existing one). */
    readonly created?: DiskRecord;
  }

  function planDisks(project: string, zone: string, instance: string, body: InstanceBody): DiskPlan[] {
    const disks = body.disks ?? [];
    if (disks.length === 0) throw invalidField('resource.disks', '', 'At least one disk (the boot disk) is required.');
    if (!disks[0]!.boot) throw invalidField('resource.disks[0]', '', 'Boot disk must be the first disk attached to the instance.');
    if (disks.filter((d) => d.boot).length > 1) throw invalidField('resource.disks', '', 'Only one boot disk may be attached.');
    const names = new Set<string>();
    return disks.map((d, index): DiskPlan => {
      const field = `resource.disks[${index}]`;
      const mode = d.mode ?? 'READ_WRITE';
      const deviceName = d.deviceName ?? (d.boot ? 'persistent-disk-0' : `persistent-disk-${index}`);
      if (d.initializeParams && d.source) throw invalidField(field, '', 'Only one of source or initializeParams may be specified.');
      if (d.source) {
        const ref = parseRef(d.source, 'disks', { project, location: zone, locationKind: 'zones' });
        const disk = ref ? state.disks.get(zoneScope(ref.project, ref.location), ref.name) : undefined;
        if (!ref || !disk) throw invalidField(`${field}.source`, d.source, 'The referenced disk resource cannot be found.');
        const rel = diskName(disk.project, disk.zone, disk.name);
        if (disk.status !== 'READY') throw resourceNotReady(rel);
        if (disk.users.length && mode !== 'READ_ONLY') throw resourceInUse('disk', rel, disk.users[0]!);
        return { attached: { deviceName, source: rel, boot: d.boot === true, autoDelete: d.autoDelete ?? false, index, mode, interface: d.interface ?? 'SCSI' } };
      }
      if (!d.initializeParams) throw invalidField(field, '', 'One of source or initializeParams must be specified.');
      const created = planDisk(env, project, zone, d.initializeParams, d.boot ? instance : `${instance}-${index}`, `${field}.initializeParams`, d.boot === true);
      if (names.has(created.name)) throw alreadyExists(diskName(project, zone, created.name));
      names.add(created.name);
      return {
        attached: { deviceName, source: diskName(project, zone, created.name), boot: d.boot === true, autoDelete: d.autoDelete ?? true, index, mode, interface: d.interface ?? 'SCSI' },
        created,
      };
    });
  }

  function insert(req: RouteRequest) {
    const { project, zone } = req.params as { project: string; zone: string };
    const region = regionOfKnownZone(zone);
    const replay = env.ops.replay(req, project);
    if (replay) return { body: env.ops.render(replay) };
    const body = req.body as InstanceBody;
    const name = validateName(body.name);
    const rel = instanceName(project, zone, name);
    if (find(project, zone, name)) throw alreadyExists(rel);
    const { name: machineType, machine } = requireMachineType(project, zone, body.machineType, 'resource.machineType');
    const labels = validateLabels(body.labels);
    const metadata = validateMetadataItems(body.metadata?.items, 'resource.metadata');
    const disks = planDisks(project, zone, name, body);
    const interfaces = planInterfaces(project, region, body);
    const serviceAccounts = checkServiceAccounts(project, body.serviceAccounts);
    const newDisks = disks.flatMap((d) => (d.created ? [d.created] : []));
    capacity.checkNewInstance(project, region, machine.guestCpus, newDisks);

    // Accepted: reserve everything now (GCP shows the instance PROVISIONING at once).
    const id = newId();
    const networkInterfaces: NetworkInterfaceRecord[] = interfaces.map(({ subnet, nic, accessConfigs }) => ({
      ...nic,
      networkIP: allocateAddress(subnet),
      ...(accessConfigs ? { accessConfigs } : {}),
    }));
    const extra = Object.fromEntries(Object.entries(body).filter(([k, v]) => !INTERPRETED.has(k) && v !== null && v !== undefined));
    const record: InstanceRecord = {
      id,
      name,
      project,
      creationTimestamp: timestamp(),
      ...(body.description ? { description: body.description } : {}),
      zone,
      machineType,
      status: 'PROVISIONING',
      labels,
      labelFingerprint: labelFingerprint(labels),
      metadata,
      metadataFingerprint: metadataFingerprint(metadata, id),
      networkInterfaces,
      disks: disks.map((d) => d.attached),
      serviceAccounts,
      tags: { items: [...(body.tags?.items ?? [])], fingerprint: fingerprintOf(body.tags?.items ?? []) },
      fingerprint: fingerprintOf([id, 'instance']),
      cpuPlatform: CPU_PLATFORMS[machineType.split('-')[0] ?? ''] ?? 'Intel Broadwell',
      extra,
      guestAttributes: {},
      serial: { start: 0, text: '' },
      guest: { phase: 'off', installed: [], nodeInstalled: false, heartbeatPaused: false },
    };
    // A boot disk made from a snapshot (or an existing disk) already holds what its guest installed.
    const bootSoftware = disks.find((d) => d.attached.boot)?.created?.guestSoftware ?? diskOf(disks[0]!.attached.source)?.guestSoftware;
    if (bootSoftware) record.guest = { ...record.guest, installed: [...bootSoftware.installed], nodeInstalled: bootSoftware.nodeInstalled };
    if (bootSoftware?.stateFormat) record.guest.stateFormat = bootSoftware.stateFormat;
    for (const d of newDisks) storeDisk(state, capacity, d);
    attach(record);
    state.instances.set(zoneScope(project, zone), record);
    capacity.addInstance(project, region, 1);
    capacity.addCpus(project, region, machine.guestCpus);
    const op = env.ops.start(
      {
        project,
        scope: zoneScope(project, zone),
        methodId: 'compute.instances.insert',
        operationType: 'insert',
        targetLink: rel,
        targetId: id,
        effect: { kind: 'instance.create', args: { project, zone, name, id, createdDisks: newDisks.map((d) => d.name) } },
      },
      req,
    );
    return { body: env.ops.render(op) };
  }

  /** Links the instance to its disks and subnetworks (indexes only; IPs are already allocated). */
  function attach(i: InstanceRecord): void {
    const rel = instanceName(i.project, i.zone, i.name);
    for (const d of i.disks) {
      const disk = diskOf(d.source);
      if (disk && !disk.users.includes(rel)) disk.users.push(rel);
    }
    for (const n of i.networkInterfaces) state.subnetworkUsers.link(n.subnetwork, rel);
  }

  /** Removes the instance and what goes with it: autoDelete disks, addresses, quota. */
  function destroy(i: InstanceRecord): void {
    const rel = instanceName(i.project, i.zone, i.name);
    const region = regionOfKnownZone(i.zone);
    for (const d of i.disks) {
      const disk = diskOf(d.source);
      if (!disk) continue;
      if (d.boot) disk.guestSoftware = { nodeInstalled: i.guest.nodeInstalled, installed: [...i.guest.installed], ...(i.guest.stateFormat ? { stateFormat: i.guest.stateFormat } : {}) };
      disk.users = disk.users.filter((u) => u !== rel);
      if (d.autoDelete && disk.users.length === 0) dropDisk(state, capacity, disk);
    }
    for (const n of i.networkInterfaces) {
      state.subnetworkUsers.unlink(n.subnetwork, rel);
      const subnet = subnetOf(n.subnetwork);
      if (subnet) releaseAddress(subnet, n.networkIP);
    }
    if (COUNTS_CPUS(i.status)) capacity.addCpus(i.project, region, -cpusOf(i));
    capacity.addInstance(i.project, region, -1);
    state.instances.delete(zoneScope(i.project, i.zone), i.name);
  }

  /** Power transitions share one shape: check, change status at once, finish in the operation. */
  function power(req: RouteRequest, verb: 'start' | 'stop' | 'reset') {
    const project = req.params.project!;
    const replay = env.ops.replay(req, project);
    if (replay) return { body: env.ops.render(replay) };
    const i = existing(req);
    const rel = instanceName(project, i.zone, i.name);
    const region = regionOfKnownZone(i.zone);
    let effect = 'noop';
    if (!req.operationFault) {
      if (verb === 'start') {
        if (i.status === 'TERMINATED') {
          capacity.checkStart(project, region, cpusOf(i));
          i.status = 'STAGING';
          capacity.addCpus(project, region, cpusOf(i));
          effect = 'instance.start';
        } else if (i.status !== 'RUNNING') {
          throw resourceNotReady(rel);
        }
      } else if (verb === 'stop') {
        if (i.status === 'RUNNING' || i.status === 'STAGING' || i.status === 'PROVISIONING') {
          i.status = 'STOPPING';
          env.guest.stopped(i);
          effect = 'instance.stop';
        } else if (i.status === 'STOPPING') {
          throw resourceNotReady(rel);
        }
      } else {
        if (i.status !== 'RUNNING') throw badRequest(`The resource '${rel}' is not ready`, 'resourceNotReady');
        env.guest.reset(i);
      }
      ctx.markDirty();
    }
    const op = env.ops.start(
      {
        project,
        scope: zoneScope(project, i.zone),
        methodId: `compute.instances.${verb}`,
        operationType: verb,
        targetLink: rel,
        targetId: i.id,
        effect: { kind: effect, args: { project, zone: i.zone, name: i.name, id: i.id } },
      },
      req,
    );
    return { body: env.ops.render(op) };
  }

  const base = '/compute/v1/projects/{project}/zones/{zone}/instances';
  const routes: Route[] = [
    {
      method: 'POST',
      path: base,
      id: 'compute.instances.insert',
      bodyType: 'google.cloud.compute.v1.Instance',
      bodyName: 'instance',
      operation: true,
      handle: insert,
    },
    {
      method: 'GET',
      path: `${base}/{instance}`,
      id: 'compute.instances.get',
      handle: (req) => ({ body: render(existing(req)) }),
    },
    {
      method: 'GET',
      path: base,
      id: 'compute.instances.list',
      handle(req) {
        regionOfKnownZone(req.params.zone!);
        const scope = zoneScope(req.params.project!, req.params.zone!);
        return { body: listPage('compute#instanceList', url(`${scope}/instances`), state.instances.list(scope).map(render), req.query) };
      },
    },
    {
      method: 'DELETE',
      path: `${base}/{instance}`,
      id: 'compute.instances.delete',
      operation: true,
      handle(req) {
        const project = req.params.project!;
        const replay = env.ops.replay(req, project);
        if (replay) return { body: env.ops.render(replay) };
        const i = existing(req);
        const rel = instanceName(project, i.zone, i.name);
        if (i.extra.deletionProtection === true) {
          throw badRequest(`Invalid resource usage: 'Resource cannot be deleted if it's protected against deletion.'.`, 'resourceInUseByAnotherResource');
        }
        if (i.status === 'STOPPING' && isDeleting(i)) throw resourceNotReady(rel);
        if (!req.operationFault) {
          if (COUNTS_CPUS(i.status)) i.status = 'STOPPING';
          deleting.add(i.id);
          env.guest.stopped(i);
          ctx.markDirty();
        }
        const op = env.ops.start(
          {
            project,
            scope: zoneScope(project, i.zone),
            methodId: 'compute.instances.delete',
            operationType: 'delete',
            targetLink: rel,
            targetId: i.id,
            effect: { kind: req.operationFault ? 'noop' : 'instance.delete', args: { project, zone: i.zone, name: i.name, id: i.id } },
          },
          req,
        );
        return { body: env.ops.render(op) };
      },
    },
    ...(['start', 'stop', 'reset'] as const).map(
      (verb): Route => ({
        method: 'POST',
        path: `${base}/{instance}/${verb}`,
        id: `compute.instances.${verb}`,
        operation: true,
        handle: (req) => power(req, verb),
      }),
    ),
  ];

  /** Instances with a delete in flight (not persisted: a restored delete operation still completes). */
  const deleting = new Set<string>();
  const isDeleting = (i: InstanceRecord) => deleting.has(i.id);

  const recordOf = (args: Record<string, unknown>) => {
    const i = find(args.project as string, args.zone as string, args.name as string);
    return i && i.id === args.id ? i : undefined;
  };

  return {
    find,
    routes,
    effects: {
      'instance.create': {
        apply(args) {
          const i = recordOf(args);
          if (!i) return;
          for (const d of i.disks) {
            const disk = diskOf(d.source);
            if (disk?.status === 'CREATING') disk.status = 'READY';
          }
          if (i.status !== 'PROVISIONING') return;
          i.status = 'RUNNING';
          i.lastStartTimestamp = timestamp();
          env.guest.started(i);
        },
        abort(args) {
          const i = recordOf(args);
          if (!i) return;
          // The disks this insert made go too, whatever their autoDelete.
          for (const d of i.disks) {
            if ((args.createdDisks as string[]).includes(d.source.slice(d.source.lastIndexOf('/') + 1))) d.autoDelete = true;
          }
          destroy(i);
        },
      },
      'instance.delete': {
        apply(args) {
          const i = recordOf(args);
          if (!i) return;
          deleting.delete(i.id);
          destroy(i);
        },
        abort(args) {
          const i = recordOf(args);
          if (i) deleting.delete(i.id);
        },
      },
      'instance.start': {
        apply(args) {
          const i = recordOf(args);
          if (!i || i.status !== 'STAGING') return;
          i.status = 'RUNNING';
          i.lastStartTimestamp = timestamp();
          env.guest.started(i);
        },
      },
      'instance.stop': {
        apply(args) {
          const i = recordOf(args);
          if (!i || i.status !== 'STOPPING' || deleting.has(i.id)) return;
          i.status = 'TERMINATED';
          i.lastStopTimestamp = timestamp();
          capacity.addCpus(i.project, regionOfKnownZone(i.zone), -cpusOf(i));
        },
      },
    },
    inventory(): InventoryResource[] {
      return [...state.instances.entries()].map(([, i]) => {
        const iamPolicy = inventoryPolicy(i.policy);
        return {
          kind: 'compute.instances',
          name: instanceName(i.project, i.zone, i.name),
          labels: { ...i.labels },
          ...(iamPolicy ? { iamPolicy } : {}),
          attributes: {
            status: i.status,
            machineType: i.machineType,
            serviceAccounts: i.serviceAccounts.map((s) => s.email),
            networkInterfaces: i.networkInterfaces.map((n) => ({
              subnetwork: n.subnetwork,
              networkIP: n.networkIP,
              externalIp: (n.accessConfigs?.length ?? 0) > 0,
            })),
            disks: i.disks.map((d) => ({ source: d.source, boot: d.boot, autoDelete: d.autoDelete })),
            // Keys only: values may be long (the startup script); secrets never go in metadata anyway.
            metadataKeys: i.metadata.map((m) => m.key),
            shieldedInstanceConfig: i.extra.shieldedInstanceConfig ?? null,
            guest: { phase: i.guest.phase, version: i.guest.version ?? null, health: i.guest.health ?? null, secretVersions: { ...i.guest.secretVersions } },
          },
        };
      });
    },
    reindex() {
      for (const [, i] of state.instances.entries()) {
        const region = regionOfKnownZone(i.zone);
        for (const n of i.networkInterfaces) state.subnetworkUsers.link(n.subnetwork, instanceName(i.project, i.zone, i.name));
        capacity.addInstance(i.project, region, 1);
        if (COUNTS_CPUS(i.status)) capacity.addCpus(i.project, region, cpusOf(i));
      }
    },
  };
}
