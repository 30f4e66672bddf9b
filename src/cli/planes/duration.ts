import { InvalidInputError } from '../../domain/invalid-input.js';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `90s`, `20m`, `1h` → milliseconds. */
export function parseDuration(value: unknown, field: string): number {
  const m = typeof value === 'string' ? /^(\d{1,7})(ms|s|m|h)$/.exec(value) : null;
  if (!m) throw new InvalidInputError(field, 'must be a duration such as 90s, 20m or 1h');
  const ms = Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1000);
  if (ms <= 0) throw new InvalidInputError(field, 'must be greater than zero');
  return ms;
}
