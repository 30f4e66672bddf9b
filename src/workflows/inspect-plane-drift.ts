/**
 * inspectPlaneDrift (id `drift/<plane>`) — a short read-only workflow behind `planes status --drift`:
 *   - the plane's own resources against design §4 (firewall rules to their exact content), while
 *   - each agent the roster holds Ready or Paused is checked, ten at a time: identity, secrets, grants, VM
 * Agents being provisioned or removed are in flux and are skipped (listed as such).
 */
import { INSPECTED_AGENT_STATES, type DriftItem } from '../domain/drift.js';
import { batches } from '../domain/upgrade-spec.js';
import { api } from './activity-policies.js';
import type { DriftInspectionInput, DriftReport } from './drift-messages.js';

const AGENTS_AT_ONCE = 10;

export async function inspectDrift(input: DriftInspectionInput): Promise<DriftReport> {
  const inspected = input.agents.filter((a) => INSPECTED_AGENT_STATES.includes(a.state));
  const inspectAgents = async (): Promise<DriftItem[]> => {
    const found: DriftItem[] = [];
    for (const group of batches(inspected, AGENTS_AT_ONCE)) {
      const items = await Promise.all(
        group.map((a) => api.inspectAgentResources({ plane: input.plane, agent: a.spec }, { shouldRun: a.state === 'Ready' })),
      );
      found.push(...items.flat());
    }
    return found;
  };
  const [planeDrift, agentDrift] = await Promise.all([api.inspectPlaneResources(input.plane), inspectAgents()]);
  const drift = [...planeDrift, ...agentDrift];
  return {
    plane: input.plane.name,
    inspectedAt: Date.now(),
    agentsInspected: inspected.map((a) => a.spec.name),
    agentsSkipped: input.agents.filter((a) => !inspected.includes(a)).map((a) => ({ name: a.spec.name, state: a.state })),
    drift,
  };
}

export async function inspectPlaneDrift(input: DriftInspectionInput): Promise<DriftReport> {
  return inspectDrift(input);
}
