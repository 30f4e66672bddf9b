/**
 * Drift: a difference between what a plane says exists (design §4 for the plane and each agent it holds
 * Ready or Paused) and what the cloud has. Found by read-only activities, reported by `planes status
 * --drift`, repaired by `planes reconcile`. Names and rule text only, never a secret or a raw body.
 */

export type DriftKind =
  /** The resource is not there. */
  | 'missing'
  /** It is there with other content (a firewall rule's ranges or protocols, a subnet's settings). */
  | 'altered'
  /** A grant design §4 prescribes is absent, or someone else holds the role. */
  | 'grant'
  /** The agent should run (roster state Ready) and its VM does not. */
  | 'not-running'
  /** The agent's VM has an external IP. */
  | 'external-ip'
  /** A resource with our name exists but is not marked as ours. */
  | 'not-ours';

export interface DriftItem {
  /** The agent it belongs to; absent for the plane's own resources. */
  readonly agent?: string;
  /** What it is, as `kind name` (`firewall ap-eng-deny-agent-ingress`, `instance ap-eng-alice`). */
  readonly resource: string;
  readonly kind: DriftKind;
  /** What differs, e.g. `denied: all → tcp:22` or `status TERMINATED`. */
  readonly detail: string;
  /** Whether `planes reconcile` repairs it (an external IP or a resource not ours needs a person). */
  readonly repairable: boolean;
}

/** Roster states whose resources are checked; only Ready agents are expected to be running. */
export const INSPECTED_AGENT_STATES: readonly string[] = ['Ready', 'Paused'];

/** Identity of a drift item across two inspections (what reconcile repaired is before minus after). */
export function driftKey(item: DriftItem): string {
  return `${item.agent ?? ''}|${item.resource}|${item.kind}`;
}
