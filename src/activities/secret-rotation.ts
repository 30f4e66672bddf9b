/**
 * Rotation of an agent's generated secrets (today the gateway token). The new value is made and written
 * to Secret Manager inside this activity and never leaves it: the result carries secret ids and version
 * numbers only. Once the agent has restarted on the new version (its boot reads `latest`), the older
 * enabled versions are disabled, not destroyed, so an admin can still enable one back by hand.
 */
import { randomBytes } from 'node:crypto';
import type { GcpClients } from '../gcp/clients.js';
import { gcpCall, isNotFound, normalizeGcpError } from '../gcp/errors.js';
import { agentLabels, labelsMatch } from '../domain/labels.js';
import { agentResourceNames } from '../domain/resource-names.js';
import type { SecretKey } from '../domain/names.js';
import { GENERATED_SECRET_KEYS } from '../domain/specs.js';
import type { AgentTarget } from '../domain/targets.js';
import type { RotatedSecret } from '../workflows/agent-operation-messages.js';
import { asActivity, ownershipConflict } from './failure.js';

interface VersionRow {
  readonly number: number;
  readonly state: string;
  /** Epoch ms. */
  readonly createdAt: number;
}

/** Secret Manager's Timestamp arrives as { seconds, nanos } (seconds a string over REST). */
function epochMs(t: { seconds?: unknown; nanos?: unknown } | null | undefined): number {
  return Number(t?.seconds ?? 0) * 1000 + Math.floor(Number(t?.nanos ?? 0) / 1e6);
}

export function secretRotationActivities(clients: GcpClients) {
  const sm = clients.secrets;
  const names = ({ plane, agent }: AgentTarget) => agentResourceNames(plane.project, plane.name, agent.name);

  async function checkOwnership(t: AgentTarget, secretName: string): Promise<void> {
    const [secret] = await gcpCall('read secret', () => sm.getSecret({ name: secretName }));
    if (!labelsMatch((secret.labels ?? {}) as Record<string, string>, agentLabels(t.plane.name, t.agent.name, t.agent.owner))) {
      throw ownershipConflict(`secret ${secretName}`);
    }
  }

  async function versions(secretName: string): Promise<VersionRow[]> {
    const [rows] = await gcpCall('list secret versions', () => sm.listSecretVersions({ parent: secretName }));
    return rows
      .map((v) => ({ number: Number((v.name ?? '').split('/').pop()), state: String(v.state ?? ''), createdAt: epochMs(v.createTime as never) }))
      .filter((v) => Number.isInteger(v.number))
      .sort((a, b) => a.number - b.number);
  }

  return {
    /**
     * A new version of each generated secret. `startedAt` (epoch ms, fixed by the workflow) makes a
     * retry adopt the version an earlier attempt added instead of adding another.
     */
    async addGeneratedSecretVersions(t: AgentTarget, startedAt: number): Promise<RotatedSecret[]> {
      return asActivity(async () => {
        const out: RotatedSecret[] = [];
        for (const key of GENERATED_SECRET_KEYS) {
          const secretName = names(t).secretName(key);
          await checkOwnership(t, secretName);
          const newest = (await versions(secretName)).filter((v) => v.state === 'ENABLED').pop();
          let version = newest && newest.createdAt >= startedAt ? newest.number : undefined;
          if (version === undefined) {
            const value = randomBytes(32).toString('base64url');
            const [added] = await gcpCall('add rotated secret version', () => sm.addSecretVersion({ parent: secretName, payload: { data: Buffer.from(value) } }));
            version = Number((added.name ?? '').split('/').pop());
          }
          out.push({ key, secretId: names(t).secretId(key), version, disabled: [] });
        }
        return out;
      });
    },

    /** Disables every enabled version of `key` older than `keep`; returns the version numbers disabled. */
    async disableSecretVersionsBefore(t: AgentTarget, key: string, keep: number): Promise<number[]> {
      return asActivity(async () => {
        const secretName = names(t).secretName(key as SecretKey);
        await checkOwnership(t, secretName);
        const disabled: number[] = [];
        for (const v of await versions(secretName)) {
          if (v.number >= keep || v.state !== 'ENABLED') continue;
          try {
            await sm.disableSecretVersion({ name: `${secretName}/versions/${v.number}` });
            disabled.push(v.number);
          } catch (error) {
            if (!isNotFound(error)) throw normalizeGcpError(error, 'disable secret version');
          }
        }
        return disabled;
      });
    },
  };
}
