/**
 * A maintenance window as a cron expression, checked before anything is created: five fields (minute,
 * hour, day of month, month, day of week; UTC) of `*`, numbers, ranges `a-b`, steps `/n` and lists, month
 * and day names (JAN, MON), or one of @yearly @monthly @weekly @daily @hourly. Temporal's schedule takes the
 * same string; this is the subset it shares with standard cron, so a window means the same thing to a
 * person reading it as to the scheduler.
 */
import { InvalidInputError } from './invalid-input.js';

const MACROS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);
const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldRule {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Names accepted for min, min+1, … */
  readonly names?: readonly string[];
}

const FIELDS: readonly FieldRule[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES },
  // 7 is Sunday too, as in most crons.
  { name: 'day of week', min: 0, max: 7, names: DAY_NAMES },
];

export type CronWindow = string & { readonly __brand: 'CronWindow' };

function value(token: string, rule: FieldRule): number | undefined {
  if (/^\d{1,2}$/.test(token)) {
    const n = Number(token);
    return n >= rule.min && n <= rule.max ? n : undefined;
  }
  const index = rule.names?.indexOf(token.toUpperCase()) ?? -1;
  return index >= 0 ? rule.min + index : undefined;
}

/** Why `field` is not a valid cron field, or undefined when it is. */
function fieldProblem(field: string, rule: FieldRule): string | undefined {
  for (const part of field.split(',')) {
    const [range, step, extra] = part.split('/');
    if (extra !== undefined || range === undefined || range === '') return `${rule.name} "${field}" is malformed`;
    if (step !== undefined && !(/^\d{1,2}$/.test(step) && Number(step) > 0)) return `${rule.name} step "${step}" must be a positive number`;
    if (range === '*') continue;
    const bounds = range.split('-');
    if (bounds.length > 2) return `${rule.name} "${range}" is malformed`;
    const numbers = bounds.map((b) => value(b, rule));
    if (numbers.some((n) => n === undefined)) return `${rule.name} "${range}" is not within ${rule.min}-${rule.max}`;
    if (numbers.length === 2 && numbers[0]! > numbers[1]!) return `${rule.name} range "${range}" runs backwards`;
  }
  return undefined;
}

export function parseCronWindow(raw: unknown, field = '--window'): CronWindow {
  const rule = 'must be a cron expression of 5 fields (minute hour day-of-month month day-of-week, UTC), e.g. "0 3 * * SAT", or @daily/@weekly';
  if (typeof raw !== 'string') throw new InvalidInputError(field, rule);
  const text = raw.trim().replace(/\s+/g, ' ');
  if (MACROS.has(text.toLowerCase())) return text.toLowerCase() as CronWindow;
  const parts = text.split(' ');
  if (parts.length !== FIELDS.length) throw new InvalidInputError(field, rule);
  for (const [i, part] of parts.entries()) {
    const problem = fieldProblem(part, FIELDS[i]!);
    if (problem) throw new InvalidInputError(field, `${problem}; ${rule}`);
  }
  return text as CronWindow;
}
