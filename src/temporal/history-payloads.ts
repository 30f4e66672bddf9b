/**
 * Every payload a fetched workflow history holds (inputs, results, signals, memos, failure details),
 * wherever it sits in the events: for audits that prove a value never reached Temporal.
 */
import type { Payload } from '@temporalio/common';

export function collectPayloads(node: unknown, out: Payload[] = []): Payload[] {
  if (!node || typeof node !== 'object') return out;
  if (Array.isArray(node)) {
    for (const n of node) collectPayloads(n, out);
    return out;
  }
  const o = node as Record<string, unknown>;
  if (o.data instanceof Uint8Array && o.metadata && typeof o.metadata === 'object') {
    out.push(o as Payload);
    return out;
  }
  for (const v of Object.values(o)) collectPayloads(v, out);
  return out;
}
