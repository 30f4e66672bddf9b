/**
 * Writing some keys of an agent VM's instance metadata, as a read-modify-write under the metadata
 * fingerprint (a 412 means someone else wrote in between: read again), after checking the VM's labels
 * name the agent. Keys already holding the wanted values: nothing is written. Used by upgrades (the
 * version key) and update-agent (the runtime profile's keys).
 */
import type { GcpClients } from '../gcp/clients.js';
import { gcpCall, normalizeGcpError, OperationError } from '../gcp/errors.js';
import { waitForOperation } from '../gcp/operations.js';
import { agentLabels, labelsMatch } from '../domain/labels.js';
import { agentResourceNames } from '../domain/resource-names.js';
import type { AgentTarget } from '../domain/targets.js';
import { ownershipConflict } from './failure.js';
import { requestIdFor, retireRequestIds } from './request-id.js';

/**
 * `change` names this write in its requestId (with the fingerprint): a retry of the very same write is
 * replayed by compute, a new write is new.
 */
export async function setAgentMetadataItems(clients: GcpClients, t: AgentTarget, wanted: Readonly<Record<string, string>>, change: string, what: string): Promise<void> {
  const instanceName = agentResourceNames(t.plane.project, t.plane.name, t.agent.name).instance;
  const where = { project: t.plane.project, zone: t.plane.zone, instance: instanceName };
  for (;;) {
    const [instance] = await gcpCall('read instance', () => clients.instances.get(where));
    if (!labelsMatch(instance.labels as Record<string, string>, agentLabels(t.plane.name, t.agent.name, t.agent.owner))) {
      throw ownershipConflict(`instance ${instanceName}`);
    }
    const items = (instance.metadata?.items ?? []).map((i) => ({ key: i.key ?? '', value: i.value ?? '' }));
    const current = new Map(items.map((i) => [i.key, i.value]));
    if (Object.entries(wanted).every(([k, v]) => current.get(k) === v)) return;
    const fingerprint = instance.metadata?.fingerprint ?? '';
    const next = [...items.filter((i) => !(i.key in wanted)), ...Object.entries(wanted).map(([key, value]) => ({ key, value }))];
    try {
      const [op] = await clients.instances.setMetadata({
        ...where,
        requestId: requestIdFor(`${change} ${fingerprint}`, instanceName),
        metadataResource: { items: next, fingerprint },
      });
      await waitForOperation(clients, t.plane.project, op, what);
      return;
    } catch (error) {
      if (error instanceof OperationError) retireRequestIds();
      const e = normalizeGcpError(error, what);
      if (e.kind !== 'PRECONDITION') throw e;
    }
  }
}
