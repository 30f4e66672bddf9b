/**
 * inspectPlaneDrift (id `drift/<plane>`) — a short read-only workflow behind `planes status --drift`:
 *   1. the plane's own resources against design §4 (firewall rules to their exact content)
 *   2. each agent the roster holds Ready or Paused, ten at a time: identity, secrets, grants, VM
 * Agents being provisioned or removed are in flux and are skipped (listed as such).
 */
import type { DriftItem } from '../domain/drift.js';
import { INSPECTED_AGENT_STATES } from '../domain/drift.js';
import { batches } from '../domain/upgrade-spec.js';
import { api } from './activity-policies.js';
import type { DriftInspectionInput, DriftReport } from './drift-messages.js';

const AGENTS_AT_ONCE = 10;

export async function inspectDrift(input: DriftInspectionInput): Promise<DriftReport> {
  const inspected = input.agents.filter((a) => INSPECTED_AGENT_STATES.includes(a.state));
  const drift: DriftItem[] = [...(await api.inspectPlaneResources(input.plane))];
  for (const group of batches(inspected, AGENTS_AT_ONCE)) {
    const found = await Promise.all(
      group.map((a) => api.inspectAgentResources({ plane: input.plane, agent: a.spec }, { shouldRun: a.state === 'Ready' })),
    );
    drift.push(...found.flat());
  }
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
