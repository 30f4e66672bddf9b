/**
 * The owner's IAP tunnel grant on the agent's instance: roles/iap.tunnelResourceAccessor on that one
 * instance, for port 22 only. IAP has no client library, so this is plain REST through the client factory.
 */
import type { GcpClients } from '../gcp/clients.js';
import { gcpCall, isNotFound } from '../gcp/errors.js';
import { addMember, removeMember, updatePolicy, type Policy, type PolicyAccess } from '../gcp/iam-policy.js';
import { agentResourceNames, iapTunnelInstanceResource } from '../domain/resource-names.js';
import type { AgentTarget } from '../domain/targets.js';
import { asActivity } from './failure.js';

export const TUNNEL_ACCESSOR = 'roles/iap.tunnelResourceAccessor';
export const SSH_ONLY = { title: 'ssh-only', expression: 'destination.port == 22' } as const;

export function iapActivities(clients: GcpClients) {
  const resourceOf = (t: AgentTarget) =>
    iapTunnelInstanceResource(t.plane.project, t.plane.zone, agentResourceNames(t.plane.project, t.plane.name, t.agent.name).instance);
  const url = (t: AgentTarget, verb: string) => `${clients.rest.iapBaseUrl}/v1/${resourceOf(t)}:${verb}`;

  const policyOf = (t: AgentTarget): PolicyAccess => ({
    read: () =>
      gcpCall('read IAP tunnel policy', () =>
        clients.rest.request<Policy>('POST', url(t, 'getIamPolicy'), { options: { requestedPolicyVersion: 3 } }),
      ),
    write: async (policy) => {
      // Conditional bindings need policy version 3.
      await gcpCall('write IAP tunnel policy', () => clients.rest.request('POST', url(t, 'setIamPolicy'), { policy: { ...policy, version: 3 } }));
    },
  });

  return {
    /** Step 6: the owner may open an IAP tunnel to port 22 of this instance. */
    async grantOwnerTunnelAccess(t: AgentTarget): Promise<void> {
      return asActivity(async () => {
        await updatePolicy(policyOf(t), (p) => addMember(p, TUNNEL_ACCESSOR, `user:${t.agent.owner}`, SSH_ONLY));
      });
    },

    /** Undo of step 6. */
    async revokeOwnerTunnelAccess(t: AgentTarget): Promise<void> {
      return asActivity(async () => {
        try {
          await updatePolicy(policyOf(t), (p) => removeMember(p, TUNNEL_ACCESSOR, `user:${t.agent.owner}`));
        } catch (error) {
          // The tunnel resource disappears with its instance.
          if (!isNotFound(error)) throw error;
        }
      });
    },
  };
}
