/**
 * An agent's monthly budget against what it reports spending (runtime-profile.ts Budget, ReportedSpend):
 * which alert thresholds (80%, 95%, 100% of the cap) a reading crosses that have not been raised yet this
 * month. Pure: the health watch (which sees every heartbeat's spend) and the status views share it.
 */
import { BUDGET_ALERT_THRESHOLDS, type Budget, type BudgetAction, type ReportedSpend } from './runtime-profile.js';

export type BudgetThreshold = (typeof BUDGET_ALERT_THRESHOLDS)[number];

/** One alert, as the roster records it (once per agent, month and threshold). */
export interface BudgetAlert {
  /** `YYYY-MM` of the spend that raised it. */
  readonly month: string;
  readonly threshold: BudgetThreshold;
  readonly usd: number;
  readonly capUsdPerMonth: number;
  /** Epoch ms when the plane recorded it. */
  readonly at: number;
  /** At 100%: what the plane did (`degrade`: economy tier; `pause`: VM stopped), and how that went. */
  readonly action?: BudgetAction;
  readonly actionOutcome?: string;
}

/** The thresholds `spend` has reached, highest last, above `raisedLevel` (the highest already raised this month). */
export function thresholdsReached(spend: ReportedSpend, budget: Budget, raisedLevel: number): BudgetThreshold[] {
  return BUDGET_ALERT_THRESHOLDS.filter((t) => t > raisedLevel && spend.usd >= t * budget.capUsdPerMonth);
}

/** Fraction of the cap spent (2 decimals), for status. */
export function budgetUsedFraction(spend: ReportedSpend | undefined, budget: Budget): number {
  return spend ? Math.round((spend.usd / budget.capUsdPerMonth) * 100) / 100 : 0;
}

/** `80%` for 0.8. */
export function thresholdLabel(t: number): string {
  return `${Math.round(t * 100)}%`;
}
