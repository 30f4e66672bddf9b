/**
 * What can be changed on an existing instance: labels and metadata (each guarded by its fingerprint:
 * stale or missing → 412 conditionNotMet, changed at once, the operation finishes the change), the
 * machine type (only while the instance is stopped, TERMINATED; a type the zone offers) and the
 * instance's IAM policy (guarded by its etag: stale → 409 ABORTED; e.g. roles/compute.osLogin for the
 * agent's owner).
 */
import type { Route, RouteRequest } from '../../core/contract.js';
import { renderPolicy, storePolicy, type PolicyRules } from '../iam-policy.js';
import { invalidArgument } from '../api-errors.js';
import { regionOfKnownZone, type ComputeEnv } from './env.js';
import { badRequest, conditionNotMet, notFound, resourceNotReady } from './errors.js';
import { labelFingerprint, validateLabels } from './fields.js';
import { metadataFingerprint, STALE_METADATA, validateMetadataItems } from './instance-metadata.js';
import { instanceName, requireMachineType } from './instances.js';
import { zoneScope } from './links.js';
import { STALE_LABELS } from './snapshots.js';
import type { InstanceRecord } from './state.js';

const INSTANCE_POLICY: PolicyRules = {
  grantableRoles: new Set([
    'roles/owner',
    'roles/editor',
    'roles/viewer',
    'roles/compute.admin',
    'roles/compute.instanceAdmin',
    'roles/compute.instanceAdmin.v1',
    'roles/compute.osLogin',
    'roles/compute.osAdminLogin',
    'roles/compute.osLoginExternalUser',
    'roles/compute.viewer',
    'roles/iap.tunnelResourceAccessor',
  ]),
};

type Finder = (project: string, zone: string, name: string) => InstanceRecord | undefined;

export function instanceSettingsRoutes(env: ComputeEnv, find: Finder): Route[] {
  const { ctx } = env;

  function existing(req: RouteRequest, param = 'instance'): InstanceRecord {
    const project = req.params.project!;
    const zone = req.params.zone!;
    regionOfKnownZone(zone);
    const i = find(project, zone, req.params[param]!);
    if (!i) throw notFound(instanceName(project, zone, req.params[param]!));
    return i;
  }

  function startOp(req: RouteRequest, i: InstanceRecord, verb: string, effectKind: string) {
    return env.ops.start(
      {
        project: i.project,
        scope: zoneScope(i.project, i.zone),
        methodId: `compute.instances.${verb}`,
        operationType: verb,
        targetLink: instanceName(i.project, i.zone, i.name),
        targetId: i.id,
        effect: { kind: effectKind, args: { project: i.project, zone: i.zone, name: i.name, id: i.id } },
      },
      req,
    );
  }

  const base = '/compute/v1/projects/{project}/zones/{zone}/instances';
  return [
    {
      method: 'POST',
      path: `${base}/{instance}/setLabels`,
      id: 'compute.instances.setLabels',
      bodyType: 'google.cloud.compute.v1.InstancesSetLabelsRequest',
      bodyName: 'instances_set_labels_request',
      operation: true,
      handle(req) {
        const replay = env.ops.replay(req, req.params.project!);
        if (replay) return { body: env.ops.render(replay) };
        const i = existing(req);
        const body = req.body as { labels?: Record<string, string>; labelFingerprint?: string };
        if (body.labelFingerprint !== i.labelFingerprint) throw conditionNotMet(STALE_LABELS);
        const labels = validateLabels(body.labels, 'labels');
        if (!req.operationFault) {
          i.labels = labels;
          i.labelFingerprint = labelFingerprint(labels);
          ctx.markDirty();
        }
        return { body: env.ops.render(startOp(req, i, 'setLabels', 'noop')) };
      },
    },
    {
      method: 'POST',
      path: `${base}/{instance}/setMetadata`,
      id: 'compute.instances.setMetadata',
      bodyType: 'google.cloud.compute.v1.Metadata',
      bodyName: 'metadata',
      operation: true,
      handle(req) {
        const replay = env.ops.replay(req, req.params.project!);
        if (replay) return { body: env.ops.render(replay) };
        const i = existing(req);
        const body = req.body as { items?: { key?: string; value?: string }[]; fingerprint?: string };
        if (body.fingerprint !== i.metadataFingerprint) throw conditionNotMet(STALE_METADATA);
        const items = validateMetadataItems(body.items, 'metadata');
        if (!req.operationFault) {
          i.metadata = items;
          i.metadataFingerprint = metadataFingerprint(items, `${i.id}/${Date.now()}/${Math.random()}`);
          ctx.markDirty();
        }
        // The guest sees the new metadata when the operation is done.
        return { body: env.ops.render(startOp(req, i, 'setMetadata', req.operationFault ? 'noop' : 'instance.metadataChanged')) };
      },
    },
    {
      method: 'POST',
      path: `${base}/{instance}/setMachineType`,
      id: 'compute.instances.setMachineType',
      bodyType: 'google.cloud.compute.v1.InstancesSetMachineTypeRequest',
      bodyName: 'instances_set_machine_type_request',
      operation: true,
      handle(req) {
        const replay = env.ops.replay(req, req.params.project!);
        if (replay) return { body: env.ops.render(replay) };
        const i = existing(req);
        if (i.status !== 'TERMINATED') {
          // GCP's words for a VM that must be stopped first (the handwritten @google-cloud/compute
          // VM#resize matched on this message to stop the VM and try again).
          if (['RUNNING', 'STAGING', 'PROVISIONING'].includes(i.status)) throw badRequest('Instance is starting or running.', 'resourceNotReady');
          throw resourceNotReady(instanceName(i.project, i.zone, i.name));
        }
        const body = req.body as { machineType?: string };
        const { name } = requireMachineType(i.project, i.zone, body.machineType, 'machineType');
        if (!req.operationFault) {
          // A stopped instance holds no vCPUs: the new type's are charged when it starts.
          i.machineType = name;
          ctx.markDirty();
        }
        return { body: env.ops.render(startOp(req, i, 'setMachineType', 'noop')) };
      },
    },
    {
      method: 'GET',
      path: `${base}/{resource}/getIamPolicy`,
      id: 'compute.instances.getIamPolicy',
      handle(req) {
        const i = existing(req, 'resource');
        const raw = req.query.get('optionsRequestedPolicyVersion') ?? '0';
        const version = Number(raw);
        if (![0, 1, 3].includes(version)) {
          throw invalidArgument(`Invalid requested policy version: ${raw}. Valid values are 0, 1 and 3.`, 'options_requested_policy_version');
        }
        return { body: renderPolicy(i.policy, version) };
      },
    },
    {
      method: 'POST',
      path: `${base}/{resource}/setIamPolicy`,
      id: 'compute.instances.setIamPolicy',
      bodyType: 'google.cloud.compute.v1.ZoneSetPolicyRequest',
      bodyName: 'zone_set_policy_request',
      handle(req) {
        const i = existing(req, 'resource');
        const body = req.body as { policy?: unknown };
        i.policy = storePolicy(i.policy, { policy: body.policy }, INSTANCE_POLICY, ctx.services);
        ctx.markDirty();
        return { body: renderPolicy(i.policy, 3) };
      },
    },
  ];
}
