/**
 * Labels on every resource that takes them: they attribute cost (billing export groups by them) and
 * prove ownership (a create that finds an existing resource adopts it only when these labels match).
 * GCP label values: at most 63 characters of lowercase letters, digits, `_` and `-`.
 */
import { shortHash } from './hash.js';
import type { AgentName, OwnerEmail, PlaneName } from './names.js';

export const LABEL_KEYS = {
  managedBy: 'managed-by',
  plane: 'agents-plane-plane',
  agent: 'agents-plane-agent',
  owner: 'agents-plane-owner',
} as const;

export const MANAGED_BY = 'agents-plane';

export type Labels = Readonly<Record<string, string>>;

/** alice.smith@example.com → alice_smith_example_com (hashed when longer than 63). */
export function encodeLabelValue(value: string): string {
  const encoded = value.toLowerCase().replace(/[^a-z0-9_-]/g, '_');
  if (encoded.length <= 63) return encoded;
  return `${encoded.slice(0, 54)}-${shortHash(value)}`;
}

export function planeLabels(plane: PlaneName): Labels {
  return { [LABEL_KEYS.managedBy]: MANAGED_BY, [LABEL_KEYS.plane]: plane };
}

export function agentLabels(plane: PlaneName, agent: AgentName, owner: OwnerEmail): Labels {
  return {
    ...planeLabels(plane),
    [LABEL_KEYS.agent]: agent,
    [LABEL_KEYS.owner]: encodeLabelValue(owner),
  };
}

/** True when `actual` carries every label of `expected`: the resource is ours to adopt or delete. */
export function labelsMatch(actual: Readonly<Record<string, string>> | null | undefined, expected: Labels): boolean {
  if (!actual) return false;
  return Object.entries(expected).every(([k, v]) => actual[k] === v);
}

/**
 * Resources without labels (service accounts) carry this marker in their description instead.
 */
export function ownershipMarker(plane: PlaneName, agent: AgentName): string {
  return `managed-by=agents-plane plane=${plane} agent=${agent}`;
}
