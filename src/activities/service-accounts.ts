/**
 * The agent's own cloud identity: one service account per agent, and the owner's right to act as it
 * (roles/iam.serviceAccountUser, which OS Login needs to reach a VM running as that account).
 */
import { Context } from '@temporalio/activity';
import type { GcpClients } from '../gcp/clients.js';
import { gcpCall, isNotFound, normalizeGcpError } from '../gcp/errors.js';
import { addMember, removeMember, updatePolicy, type Policy, type PolicyAccess } from '../gcp/iam-policy.js';
import { ownershipMarker } from '../domain/labels.js';
import { agentResourceNames } from '../domain/resource-names.js';
import type { AgentTarget } from '../domain/targets.js';
import { asActivity, ownershipConflict } from './failure.js';

export const SERVICE_ACCOUNT_USER = 'roles/iam.serviceAccountUser';

/** Terraform's rule for IAM's eventual consistency: trust a new account after 3 reads in a row see it. */
const CONSECUTIVE_READS = 3;

export interface PollTiming {
  readonly pollIntervalMs: number;
}

export function serviceAccountActivities(clients: GcpClients, timing: PollTiming) {
  const accounts = clients.iam.projects.serviceAccounts;
  const names = ({ plane, agent }: AgentTarget) => agentResourceNames(plane.project, plane.name, agent.name);
  const resourceOf = (t: AgentTarget) => `projects/${t.plane.project}/serviceAccounts/${names(t).serviceAccountEmail}`;

  async function describe(t: AgentTarget): Promise<{ description?: string | null } | undefined> {
    try {
      const res = await accounts.get({ name: resourceOf(t) });
      return res.data;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw normalizeGcpError(error, 'read service account');
    }
  }

  const policyOf = (t: AgentTarget): PolicyAccess => ({
    read: async () =>
      (await gcpCall('read service account policy', () => accounts.getIamPolicy({ resource: resourceOf(t) }))).data as Policy,
    write: async (policy) => {
      await gcpCall('write service account policy', () =>
        accounts.setIamPolicy({ resource: resourceOf(t), requestBody: { policy: policy as never } }),
      );
    },
  });

  return {
    /** Step 1: the agent's service account, adopted when a previous attempt already made it. */
    async ensureServiceAccount(t: AgentTarget): Promise<void> {
      return asActivity(async () => {
        const marker = ownershipMarker(t.plane.name, t.agent.name);
        try {
          await accounts.create({
            name: `projects/${t.plane.project}`,
            requestBody: {
              accountId: names(t).serviceAccountId,
              serviceAccount: { displayName: `OpenClaw agent ${t.agent.name} (${t.plane.name})`, description: marker },
            },
          });
          return;
        } catch (error) {
          const e = normalizeGcpError(error, 'create service account');
          if (e.kind !== 'ALREADY_EXISTS') throw e;
        }
        // It exists: ours only if the marker says so. A fresh account may not be readable yet; that read
        // fails as NOT_FOUND, which is retried here rather than mistaken for a conflict.
        const existing = await describe(t);
        if (!existing) throw normalizeGcpError({ code: 503, message: 'service account exists but is not visible yet' });
        if (existing.description !== marker) throw ownershipConflict(`service account ${names(t).serviceAccountEmail}`);
      });
    },

    /** Step 1b: IAM is eventually consistent; nothing may reference the account before it is visible. */
    async waitForServiceAccountVisible(t: AgentTarget): Promise<void> {
      return asActivity(async () => {
        let seen = 0;
        while (seen < CONSECUTIVE_READS) {
          seen = (await describe(t)) ? seen + 1 : 0;
          if (seen < CONSECUTIVE_READS) await Context.current().sleep(timing.pollIntervalMs);
        }
      });
    },

    /**
     * Undo of step 1. Deletes by name even when a read says not-found: right after creation the
     * account can be invisible to reads for a while but is already there, and skipping the delete
     * would leak it. Ownership is checked whenever the account is readable.
     */
    async deleteServiceAccount(t: AgentTarget): Promise<void> {
      return asActivity(async () => {
        const existing = await describe(t);
        if (existing && existing.description !== ownershipMarker(t.plane.name, t.agent.name)) {
          throw ownershipConflict(`service account ${names(t).serviceAccountEmail}`);
        }
        try {
          await accounts.delete({ name: resourceOf(t) });
        } catch (error) {
          if (!isNotFound(error)) throw normalizeGcpError(error, 'delete service account');
        }
      });
    },

    /** Step 3: the owner may act as the agent's account (needed by OS Login), nobody else. */
    async grantOwnerServiceAccountUser(t: AgentTarget): Promise<void> {
      return asActivity(async () => {
        await updatePolicy(policyOf(t), (p) => addMember(p, SERVICE_ACCOUNT_USER, `user:${t.agent.owner}`));
      });
    },

    /** Undo of step 3. */
    async revokeOwnerServiceAccountUser(t: AgentTarget): Promise<void> {
      return asActivity(async () => {
        if (!(await describe(t))) return;
        try {
          await updatePolicy(policyOf(t), (p) => removeMember(p, SERVICE_ACCOUNT_USER, `user:${t.agent.owner}`));
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      });
    },
  };
}
