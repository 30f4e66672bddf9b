/**
 * `pageSize` / `pageToken` paging of the newer APIs' list methods (IAM, Secret Manager): a page of the
 * already filtered and ordered items, and an opaque token for the next one. A token the server did not
 * hand out is a 400, as GCP answers it.
 */
import type { RouteRequest } from '../core/contract.js';
import { invalidArgument } from './api-errors.js';

export interface PageRules {
  /** Page size when the request names none (or 0). */
  readonly defaultSize: number;
  /** Larger requests are capped to this. */
  readonly maxSize: number;
}

export interface Page<T> {
  readonly items: T[];
  readonly nextPageToken?: string;
}

export function pageOf<T>(req: Pick<RouteRequest, 'query'>, all: readonly T[], rules: PageRules): Page<T> {
  const requested = Number(req.query.get('pageSize') ?? 0);
  if (!Number.isInteger(requested) || requested < 0) throw invalidArgument('page_size must be a non-negative integer.', 'page_size');
  const size = requested === 0 ? rules.defaultSize : Math.min(requested, rules.maxSize);
  const token = req.query.get('pageToken');
  const offset = token ? Number(Buffer.from(token, 'base64url').toString()) : 0;
  if (!Number.isInteger(offset) || offset < 0 || offset > all.length) throw invalidArgument('Invalid page_token.', 'page_token');
  const end = offset + size;
  return {
    items: all.slice(offset, end),
    ...(end < all.length ? { nextPageToken: Buffer.from(String(end)).toString('base64url') } : {}),
  };
}
