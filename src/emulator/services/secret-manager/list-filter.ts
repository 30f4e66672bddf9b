/**
 * The part of Secret Manager's list `filter` language (AIP-160) that secrets and versions are filtered
 * with in practice: `labels.env=prod`, `labels.env:*`, `name:foo`, `state:ENABLED`,
 * `create_time>2024-01-01T00:00:00Z`, terms joined by whitespace/AND, alternatives by OR (which binds
 * tighter than AND, as in AIP-160), negation by `-` or NOT. Anything else is a 400, so a caller
 * never gets a silently unfiltered list.
 */
import { invalidArgument } from '../api-errors.js';

export interface Filterable {
  /** Short id for secrets, version number for versions. */
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly state?: string;
  readonly createTime: string;
}

type Predicate = (item: Filterable) => boolean;

const TERM = /^(-)?([a-zA-Z_][a-zA-Z0-9_.-]*)(:|=|!=|>=|<=|>|<)(.+)$/;

function unquote(value: string): string {
  return /^".*"$/.test(value) ? value.slice(1, -1) : value;
}

function tokens(filter: string): string[] {
  const out: string[] = [];
  const re = /(?:[^\s"]+|"[^"]*")+/g;
  for (const m of filter.matchAll(re)) out.push(m[0]);
  return out;
}

function compareTimes(a: string, op: string, b: string): boolean {
  const x = Date.parse(a);
  const y = Date.parse(b);
  switch (op) {
    case '>': return x > y;
    case '<': return x < y;
    case '>=': return x >= y;
    case '<=': return x <= y;
    case '=': return x === y;
    default: return x !== y;
  }
}

function term(text: string, filter: string, allowed: ReadonlySet<string>): Predicate {
  const m = TERM.exec(text);
  if (!m) {
    if (/^[\w.-]+$/.test(text)) return (item) => item.name.includes(text);
    throw invalidArgument(`Invalid filter [${filter}]: cannot parse "${text}".`, 'filter');
  }
  const [, neg, field, op, rawValue] = m as unknown as [string, string | undefined, string, string, string];
  const value = unquote(rawValue);
  const root = field.startsWith('labels.') ? 'labels' : field;
  if (!allowed.has(root)) throw invalidArgument(`Invalid filter [${filter}]: unsupported field "${field}".`, 'filter');
  const equality = op === ':' || op === '=' || op === '!=';
  if (root !== 'create_time' && !equality) {
    throw invalidArgument(`Invalid filter [${filter}]: operator ${op} does not apply to ${field}.`, 'filter');
  }
  let p: Predicate;
  if (root === 'labels') {
    const key = field.slice('labels.'.length);
    p = (item) => {
      const v = item.labels?.[key];
      if (op === ':') return v !== undefined && (value === '*' || v === value);
      return op === '=' ? v === value : v !== value;
    };
  } else if (root === 'state') {
    p = (item) => (item.state?.toUpperCase() === value.toUpperCase()) === (op !== '!=');
  } else if (root === 'name') {
    p = op === ':' ? (item) => item.name.includes(value) : (item) => (item.name === value) === (op === '=');
  } else {
    if (op === ':' || Number.isNaN(Date.parse(value))) {
      throw invalidArgument(`Invalid filter [${filter}]: create_time takes a comparison with a timestamp.`, 'filter');
    }
    p = (item) => compareTimes(item.createTime, op, value);
  }
  return neg ? (item) => !p(item) : p;
}

/** Compiles `filter` (empty means everything) for the given fields; throws 400 on anything unsupported. */
export function compileFilter(filter: string | null, fields: readonly string[]): Predicate {
  const text = (filter ?? '').trim();
  if (!text) return () => true;
  if (/[()]/.test(text)) throw invalidArgument(`Invalid filter [${text}]: parentheses are not supported.`, 'filter');
  const allowed = new Set(fields);
  const conjuncts: Predicate[][] = [];
  let negateNext = false;
  let joinWithOr = false;
  for (const tok of tokens(text)) {
    if (tok === 'AND') continue;
    if (tok === 'OR') {
      if (conjuncts.length === 0) throw invalidArgument(`Invalid filter [${text}]: OR without a left-hand term.`, 'filter');
      joinWithOr = true;
      continue;
    }
    if (tok === 'NOT') {
      negateNext = true;
      continue;
    }
    const base = term(tok, text, allowed);
    const p: Predicate = negateNext ? (item) => !base(item) : base;
    negateNext = false;
    if (joinWithOr) conjuncts[conjuncts.length - 1]!.push(p);
    else conjuncts.push([p]);
    joinWithOr = false;
  }
  if (negateNext || joinWithOr) throw invalidArgument(`Invalid filter [${text}]: dangling operator.`, 'filter');
  return (item) => conjuncts.every((alternatives) => alternatives.some((p) => p(item)));
}
