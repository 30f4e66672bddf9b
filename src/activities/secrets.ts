/**
 * The agent's secrets in Secret Manager. The plane creates the containers and their grants (the agent's
 * service account may read, the owner may add versions, nobody else has access) and generates the
 * gateway token inside this activity. No secret value ever leaves the activity: not in results, errors
 * or logs. Owner-provided values are written by the CLI straight to Secret Manager.
 */
import { randomBytes } from 'node:crypto';
import type { GcpClients } from '../gcp/clients.js';
import { gcpCall, isNotFound, normalizeGcpError } from '../gcp/errors.js';
import { updatePolicy, type Policy } from '../gcp/iam-policy.js';
import { agentLabels, labelsMatch } from '../domain/labels.js';
import { agentResourceNames } from '../domain/resource-names.js';
import { agentSecretKeys, ALL_AGENT_SECRET_KEYS, GENERATED_SECRET_KEYS } from '../domain/specs.js';
import type { AgentTarget } from '../domain/targets.js';
import { asActivity, ownershipConflict } from './failure.js';

export const SECRET_ACCESSOR = 'roles/secretmanager.secretAccessor';
export const SECRET_VERSION_ADDER = 'roles/secretmanager.secretVersionAdder';

export function secretActivities(clients: GcpClients) {
  const sm = clients.secrets;
  const names = ({ plane, agent }: AgentTarget) => agentResourceNames(plane.project, plane.name, agent.name);

  async function labelsOf(name: string): Promise<Record<string, string> | undefined> {
    try {
      const [secret] = await sm.getSecret({ name });
      return (secret.labels ?? {}) as Record<string, string>;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw normalizeGcpError(error, 'read secret');
    }
  }

  /** The exact grants an agent's secret carries: anything else found there is removed. */
  function agentSecretPolicy(t: AgentTarget, current: Policy): boolean {
    const wanted = [
      { role: SECRET_ACCESSOR, members: [`serviceAccount:${names(t).serviceAccountEmail}`] },
      { role: SECRET_VERSION_ADDER, members: [`user:${t.agent.owner}`] },
    ];
    const same =
      JSON.stringify((current.bindings ?? []).map((b) => ({ role: b.role, members: [...(b.members ?? [])].sort() }))) ===
      JSON.stringify(wanted);
    if (same) return false;
    current.bindings = wanted;
    return true;
  }

  return {
    /** Step 2: secret containers with labels, their grants, and the generated gateway token. */
    async ensureAgentSecrets(t: AgentTarget): Promise<void> {
      return asActivity(async () => {
        const labels = agentLabels(t.plane.name, t.agent.name, t.agent.owner);
        for (const key of agentSecretKeys(t.agent)) {
          const secretName = names(t).secretName(key);
          try {
            await sm.createSecret({
              parent: `projects/${t.plane.project}`,
              secretId: names(t).secretId(key),
              secret: { replication: { automatic: {} }, labels },
            });
          } catch (error) {
            const e = normalizeGcpError(error, 'create secret');
            if (e.kind !== 'ALREADY_EXISTS') throw e;
            if (!labelsMatch(await labelsOf(secretName), labels)) throw ownershipConflict(`secret ${secretName}`);
          }
          await updatePolicy(
            {
              read: async () => (await gcpCall('read secret policy', () => sm.getIamPolicy({ resource: secretName })))[0] as Policy,
              write: async (policy) => {
                await gcpCall('write secret policy', () => sm.setIamPolicy({ resource: secretName, policy: policy as never }));
              },
            },
            (p) => agentSecretPolicy(t, p),
          );
        }
        for (const key of GENERATED_SECRET_KEYS) {
          const parent = names(t).secretName(key);
          // Idempotent: a retry after a crash finds the version the first attempt added.
          const [versions] = await gcpCall('list secret versions', () => sm.listSecretVersions({ parent, filter: 'state:ENABLED' }));
          if (versions.length > 0) continue;
          const token = randomBytes(32).toString('base64url');
          await gcpCall('add generated secret version', () => sm.addSecretVersion({ parent, payload: { data: Buffer.from(token) } }));
        }
      });
    },

    /** Undo of step 2: the secrets and every version in them. */
    async deleteAgentSecrets(t: AgentTarget): Promise<void> {
      return asActivity(async () => {
        const labels = agentLabels(t.plane.name, t.agent.name, t.agent.owner);
        // Every key the agent may have had: its profile may have dropped a channel since.
        for (const key of ALL_AGENT_SECRET_KEYS) {
          const name = names(t).secretName(key);
          const existing = await labelsOf(name);
          if (!existing) continue;
          if (!labelsMatch(existing, labels)) throw ownershipConflict(`secret ${name}`);
          try {
            await sm.deleteSecret({ name });
          } catch (error) {
            if (!isNotFound(error)) throw normalizeGcpError(error, 'delete secret');
          }
        }
      });
    },
  };
}
