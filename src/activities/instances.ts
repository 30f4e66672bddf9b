/**
 * The agent's VM: runs as the agent's service account, no external IP, shielded, OS Login on, boot disk
 * on the plane's snapshot schedule, secrets fetched at boot by the guest (only their names are in
 * metadata). Also the owner's OS Login grant on the instance and the first-heartbeat wait.
 */
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { protos } from '@google-cloud/compute';
import type { GcpClients } from '../gcp/clients.js';
import { gcpCall, isNotFound, normalizeGcpError, OperationError } from '../gcp/errors.js';
import { waitForOperation } from '../gcp/operations.js';
import { addMember, removeMember, updatePolicy, type Policy, type PolicyAccess } from '../gcp/iam-policy.js';
import { METADATA } from '../domain/guest-contract.js';
import { readGuestReport, type GuestReport } from '../gcp/guest-health.js';
import { agentLabels, labelsMatch } from '../domain/labels.js';
import {
  agentResourceNames,
  machineTypeUrl,
  planeResourceNames,
  resourcePolicyUrl,
  snapshotUrl,
  subnetworkUrl,
} from '../domain/resource-names.js';
import { agentSecretKeys } from '../domain/specs.js';
import { runtimeMetadataItems } from '../domain/runtime-metadata.js';
import type { AgentTarget } from '../domain/targets.js';
import { bootScriptFor } from './boot-script.js';
import { asActivity, ownershipConflict } from './failure.js';
import { requestIdFor, retireRequestIds } from './request-id.js';
import type { PollTiming } from './service-accounts.js';

export const OS_LOGIN = 'roles/compute.osLogin';
/** Debian 12: the image the startup script is written and shellchecked for. */
export const BOOT_IMAGE = 'projects/debian-cloud/global/images/family/debian-12';

export interface AgentHealth extends GuestReport {
  readonly status?: string;
}

/** Where the boot disk comes from: the image (a new agent) or a snapshot (a restore). */
export type BootSource = { readonly sourceImage: string } | { readonly sourceSnapshot: string };

/**
 * The agent VM of design §4: its service account, no external IP, shielded, OS Login, metadata with the
 * startup script and secret names (never values), cost labels, a 20 GB pd-balanced boot disk on the
 * plane's snapshot schedule.
 */
export function agentInstanceResource(t: AgentTarget, source: BootSource): protos.google.cloud.compute.v1.IInstance {
  const n = agentResourceNames(t.plane.project, t.plane.name, t.agent.name);
  const plane = planeResourceNames(t.plane.name);
  const labels = agentLabels(t.plane.name, t.agent.name, t.agent.owner);
  const metadata: Record<string, string> = {
    [METADATA.startupScript]: bootScriptFor(t),
    [METADATA.enableOsLogin]: 'TRUE',
    [METADATA.enableGuestAttributes]: 'TRUE',
    [METADATA.agentVersion]: t.agent.agentVersion,
    [METADATA.secretNames]: agentSecretKeys(t.agent).map((k) => n.secretName(k)).join(','),
    [METADATA.plane]: t.plane.name,
    [METADATA.agent]: t.agent.name,
    ...runtimeMetadataItems(t.agent.runtime),
  };
  return {
    name: n.instance,
    machineType: machineTypeUrl(t.plane.zone, t.agent.machineType),
    labels,
    metadata: { items: Object.entries(metadata).map(([key, value]) => ({ key, value })) },
    disks: [
      {
        boot: true,
        autoDelete: true,
        initializeParams: {
          diskName: n.bootDisk,
          ...source,
          diskSizeGb: '20',
          diskType: `zones/${t.plane.zone}/diskTypes/pd-balanced`,
          labels,
          resourcePolicies: [resourcePolicyUrl(t.plane.project, t.plane.region, plane.snapshotSchedule)],
        },
      },
    ],
    // No accessConfigs: no external IP. Egress goes through the plane's Cloud NAT.
    networkInterfaces: [{ subnetwork: subnetworkUrl(t.plane.project, t.plane.region, plane.subnetwork) }],
    serviceAccounts: [{ email: n.serviceAccountEmail, scopes: ['https://www.googleapis.com/auth/cloud-platform'] }],
    shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
    scheduling: { automaticRestart: true, onHostMaintenance: 'MIGRATE' },
  };
}

export function instanceActivities(clients: GcpClients, timing: PollTiming) {
  const names = ({ plane, agent }: AgentTarget) => agentResourceNames(plane.project, plane.name, agent.name);
  const where = (t: AgentTarget) => ({ project: t.plane.project, zone: t.plane.zone, instance: names(t).instance });

  async function getInstance(t: AgentTarget) {
    try {
      const [instance] = await clients.instances.get(where(t));
      return instance;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw normalizeGcpError(error, 'read instance');
    }
  }

  const policyOf = (t: AgentTarget): PolicyAccess => ({
    read: async () =>
      (await gcpCall('read instance policy', () =>
        clients.instances.getIamPolicy({ project: t.plane.project, zone: t.plane.zone, resource: names(t).instance }),
      ))[0] as Policy,
    write: async (policy) => {
      await gcpCall('write instance policy', () =>
        clients.instances.setIamPolicy({
          project: t.plane.project,
          zone: t.plane.zone,
          resource: names(t).instance,
          zoneSetPolicyRequestResource: { policy: policy as never },
        }),
      );
    },
  });

  const readGuest = (t: AgentTarget): Promise<GuestReport> => readGuestReport(clients, where(t));

  /** Creates the agent's VM booting from `source`, or adopts it when it exists and is ours. */
  async function ensureInstance(t: AgentTarget, source: BootSource, requestStep: string): Promise<void> {
    const n = names(t);
    const labels = agentLabels(t.plane.name, t.agent.name, t.agent.owner);
    const existing = await getInstance(t);
    if (existing) {
      if (!labelsMatch(existing.labels as Record<string, string>, labels)) throw ownershipConflict(`instance ${n.instance}`);
      return;
    }
    try {
      const [op] = await clients.instances.insert({
        project: t.plane.project,
        zone: t.plane.zone,
        requestId: requestIdFor(requestStep, n.instance),
        instanceResource: agentInstanceResource(t, source),
      });
      await waitForOperation(clients, t.plane.project, op, 'create instance');
    } catch (error) {
      if (error instanceof OperationError) retireRequestIds();
      const e = normalizeGcpError(error, 'create instance');
      if (e.kind !== 'ALREADY_EXISTS') throw e;
      const found = await getInstance(t);
      if (!found || !labelsMatch(found.labels as Record<string, string>, labels)) throw ownershipConflict(`instance ${n.instance}`);
    }
  }

  return {
    /** Step 4: the VM. A retry with the same requestId is a no-op server-side. */
    async ensureAgentInstance(t: AgentTarget): Promise<void> {
      return asActivity(() => ensureInstance(t, { sourceImage: BOOT_IMAGE }, 'instance'));
    },

    /**
     * The VM again, on a boot disk made from `snapshot` (a restore): the same shape as step 4. The
     * requestId names the snapshot, so a restore and its fall-back to the safety snapshot are two requests.
     */
    async ensureAgentInstanceFromSnapshot(t: AgentTarget, snapshot: string): Promise<void> {
      return asActivity(() => ensureInstance(t, { sourceSnapshot: snapshotUrl(t.plane.project, snapshot) }, `instance from ${snapshot}`));
    },

    /** Undo of step 4: the VM and, through autoDelete, its boot disk. */
    async deleteAgentInstance(t: AgentTarget): Promise<void> {
      return asActivity(async () => {
        const existing = await getInstance(t);
        if (existing) {
          const labels = agentLabels(t.plane.name, t.agent.name, t.agent.owner);
          if (!labelsMatch(existing.labels as Record<string, string>, labels)) throw ownershipConflict(`instance ${names(t).instance}`);
          try {
            const [op] = await clients.instances.delete({ ...where(t), requestId: requestIdFor('delete-instance', names(t).instance) });
            await waitForOperation(clients, t.plane.project, op, 'delete instance');
          } catch (error) {
            if (!isNotFound(error)) throw normalizeGcpError(error, 'delete instance');
          }
        }
        // A disk left behind (autoDelete off, or a crash between steps) goes too, if it is ours.
        try {
          const [disk] = await clients.disks.get({ project: t.plane.project, zone: t.plane.zone, disk: names(t).bootDisk });
          if (labelsMatch(disk.labels as Record<string, string>, agentLabels(t.plane.name, t.agent.name, t.agent.owner))) {
            const [op] = await clients.disks.delete({
              project: t.plane.project,
              zone: t.plane.zone,
              disk: names(t).bootDisk,
              requestId: requestIdFor('delete-disk', names(t).bootDisk),
            });
            await waitForOperation(clients, t.plane.project, op, 'delete disk');
          }
        } catch (error) {
          if (!isNotFound(error)) throw normalizeGcpError(error, 'delete disk');
        }
      });
    },

    /** Step 5: the owner may log in to this instance (OS Login), nobody else. */
    async grantOwnerInstanceLogin(t: AgentTarget): Promise<void> {
      return asActivity(async () => {
        await updatePolicy(policyOf(t), (p) => addMember(p, OS_LOGIN, `user:${t.agent.owner}`));
      });
    },

    /** Undo of step 5. */
    async revokeOwnerInstanceLogin(t: AgentTarget): Promise<void> {
      return asActivity(async () => {
        if (!(await getInstance(t))) return;
        try {
          await updatePolicy(policyOf(t), (p) => removeMember(p, OS_LOGIN, `user:${t.agent.owner}`));
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      });
    },

    /**
     * Step 7: the agent is Ready only when its guest reports a heartbeat, the expected version and health
     * ok. Heartbeats let a restarted worker take over; `deadline` (epoch ms, fixed by the workflow) makes
     * the wait end the same way whichever attempt is running.
     */
    async waitForFirstHeartbeat(t: AgentTarget, deadline: number): Promise<AgentHealth> {
      return asActivity(async () => {
        for (;;) {
          const health = await readGuest(t);
          if (health.heartbeatAt && health.health === 'ok' && health.version === t.agent.agentVersion) return health;
          if (Date.now() > deadline) {
            throw ApplicationFailure.nonRetryable(
              `agent ${t.agent.name} did not report healthy on version ${t.agent.agentVersion} before the boot timeout ` +
                `(last: health=${health.health ?? 'none'}, version=${health.version ?? 'none'}); see \`agents-plane planes logs\``,
              'AGENT_NOT_HEALTHY',
            );
          }
          await Context.current().sleep(timing.pollIntervalMs);
        }
      });
    },

    /** Current guest state for status views. */
    async readAgentHealth(t: AgentTarget): Promise<AgentHealth> {
      return asActivity(async () => {
        const instance = await getInstance(t);
        if (!instance) return {};
        return { ...(await readGuest(t)), ...(instance.status ? { status: instance.status } : {}) };
      });
    },
  };
}
