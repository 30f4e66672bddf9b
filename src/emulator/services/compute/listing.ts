/**
 * Compute's list answers: `maxResults` (default and maximum 500), `pageToken`, and the common subset of
 * `filter` expressions: `field = value`, `field != value`, `field eq regex`, `field ne regex`,
 * `labels.key = value` (label keys may hold `-`), joined by AND or by juxtaposition of parenthesised terms.
 */
import { invalidField } from './errors.js';

const MAX_RESULTS = 500;

interface Term {
  readonly path: string[];
  readonly op: '=' | '!=' | 'eq' | 'ne';
  readonly value: string;
}

function unquote(v: string): string {
  return /^".*"$/.test(v) ? v.slice(1, -1) : v;
}

function parseFilter(filter: string): Term[] {
  const text = filter.trim();
  if (!text) return [];
  const parts = text.startsWith('(')
    ? [...text.matchAll(/\(([^()]*)\)/g)].map((m) => m[1]!.trim())
    : text.split(/\s+AND\s+/i);
  return parts.map((part) => {
    const m = /^([A-Za-z][\w.-]*)\s*(=|!=|\beq\b|\bne\b)\s*(.+)$/.exec(part.trim());
    if (!m) throw invalidField('filter', filter, 'Invalid list filter expression.');
    return { path: m[1]!.split('.'), op: m[2] as Term['op'], value: unquote(m[3]!.trim()) };
  });
}

function valueAt(item: unknown, path: string[]): unknown {
  let v: unknown = item;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

function matches(item: unknown, term: Term): boolean {
  const raw = valueAt(item, term.path);
  const v = raw === undefined || raw === null ? '' : String(raw);
  switch (term.op) {
    case '=':
      return term.value.includes('*') ? new RegExp(`^${term.value.split('*').map(escape).join('.*')}$`).test(v) : v === term.value;
    case '!=':
      return v !== term.value;
    case 'eq':
      return new RegExp(`^(?:${term.value})$`).test(v);
    case 'ne':
      return !new RegExp(`^(?:${term.value})$`).test(v);
  }
}

function escape(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** One page of `items` (already rendered, sorted by name) as compute's XxxList. */
export function listPage(kind: string, selfLink: string, items: unknown[], query: URLSearchParams): Record<string, unknown> {
  const terms = parseFilter(query.get('filter') ?? '');
  const filtered = terms.length ? items.filter((item) => terms.every((t) => matches(item, t))) : items;
  const maxRaw = query.get('maxResults');
  const max = maxRaw === null ? MAX_RESULTS : Number(maxRaw);
  if (!Number.isInteger(max) || max < 0) throw invalidField('maxResults', maxRaw, 'Must be a non-negative integer.');
  const size = max === 0 || max > MAX_RESULTS ? MAX_RESULTS : max;
  const token = query.get('pageToken');
  const offset = token ? Number(Buffer.from(token, 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw invalidField('pageToken', token, 'Invalid page token.');
  const page = filtered.slice(offset, offset + size);
  const next = offset + size < filtered.length ? Buffer.from(String(offset + size)).toString('base64url') : undefined;
  return {
    kind,
    id: selfLink,
    ...(page.length ? { items: page } : {}),
    selfLink,
    ...(next ? { nextPageToken: next } : {}),
  };
}
