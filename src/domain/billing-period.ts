/**
 * The period a cost report covers, from `--period`: a calendar month (`2026-11`, UTC), the last N days
 * (`7d`, ending now), or `current` (the current calendar month so far). The report prices the resources
 * as they are now over the period's hours: it is an estimate of what the fleet as it stands costs over
 * that span, not a replay of what existed then.
 */
import { InvalidInputError } from './invalid-input.js';

export interface BillingPeriod {
  /** As given, normalised: `2026-11`, `7d` or `current`. */
  readonly label: string;
  /** ISO times, start inclusive, end exclusive. */
  readonly start: string;
  readonly end: string;
  /** Hours between start and end (two decimals for a period ending now). */
  readonly hours: number;
}

const HOUR_MS = 3_600_000;
const MAX_DAYS = 366;

function monthStart(year: number, monthIndex: number): Date {
  return new Date(Date.UTC(year, monthIndex, 1));
}

function period(label: string, start: Date, end: Date): BillingPeriod {
  return { label, start: start.toISOString(), end: end.toISOString(), hours: Math.round(((end.getTime() - start.getTime()) / HOUR_MS) * 100) / 100 };
}

export function parseBillingPeriod(raw: unknown, now: Date, field = '--period'): BillingPeriod {
  const value = raw === undefined ? 'current' : raw;
  if (typeof value !== 'string') throw new InvalidInputError(field, 'must be a month (2026-11), a number of days (30d) or current');
  if (value === 'current') return period('current', monthStart(now.getUTCFullYear(), now.getUTCMonth()), now);
  const month = /^(\d{4})-(\d{2})$/.exec(value);
  if (month) {
    const year = Number(month[1]);
    const index = Number(month[2]) - 1;
    if (year < 2000 || index < 0 || index > 11) throw new InvalidInputError(field, `${value} is not a month from 2000-01 on (YYYY-MM)`);
    return period(value, monthStart(year, index), monthStart(year, index + 1));
  }
  const days = /^(\d{1,4})d$/.exec(value);
  if (days) {
    const n = Number(days[1]);
    if (n < 1 || n > MAX_DAYS) throw new InvalidInputError(field, `a number of days must be from 1 to ${MAX_DAYS}`);
    return period(value, new Date(now.getTime() - n * 24 * HOUR_MS), now);
  }
  throw new InvalidInputError(field, 'must be a month (2026-11), a number of days (30d) or current');
}
