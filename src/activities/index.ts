import type { GcpClients } from '../gcp/clients.js';

/** Builds every activity the worker registers, bound to its cloud clients. */
export function createActivities(_clients: GcpClients) {
  return {};
}

export type Activities = ReturnType<typeof createActivities>;
