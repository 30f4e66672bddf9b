/**
 * Waiting for compute's long-running operations. The client's own poller treats an operation that
 * finished with an error as success, so every mutation waits here: `wait` calls (which block server-side
 * for up to two minutes, sparing the read quota) until DONE, then the operation's error is raised.
 */
import type { protos } from '@google-cloud/compute';
import type { GcpClients } from './clients.js';
import { gcpCall, operationError } from './errors.js';

type Operation = protos.google.cloud.compute.v1.IOperation;

/** The last path segment of a zone/region URL (`.../zones/us-central1-a` → `us-central1-a`). */
function lastSegment(url: string | null | undefined): string | undefined {
  return url ? url.slice(url.lastIndexOf('/') + 1) : undefined;
}

export interface OperationWaitOptions {
  /** Called after each wait round trip, so long waits can heartbeat. */
  onPoll?: (op: Operation) => void;
  signal?: AbortSignal;
}

export async function waitForOperation(
  clients: GcpClients,
  project: string,
  started: { latestResponse?: unknown } | Operation,
  action: string,
  options: OperationWaitOptions = {},
): Promise<Operation> {
  let op = ('latestResponse' in started ? started.latestResponse : started) as Operation;
  while (op.status !== 'DONE') {
    options.signal?.throwIfAborted();
    const name = op.name;
    if (!name) throw new Error(`${action}: operation without a name`);
    const zone = lastSegment(op.zone);
    const region = lastSegment(op.region);
    const [next] = await gcpCall(`${action} (waiting)`, () =>
      zone
        ? clients.zoneOperations.wait({ project, zone, operation: name })
        : region
          ? clients.regionOperations.wait({ project, region, operation: name })
          : clients.globalOperations.wait({ project, operation: name }),
    );
    op = next;
    options.onPoll?.(op);
  }
  const errors = op.error?.errors ?? [];
  if (errors.length > 0) throw operationError(action, errors, op.httpErrorStatusCode ?? undefined);
  return op;
}
