/**
 * A dashboard assembled from its parts: describe-only Google clients, the fleet reader, one shared
 * poller, the static files, the request gate and the HTTP server. The caller brings the Temporal client
 * (and closes it); everything made here is closed by `close()`.
 */
import type { Client } from '@temporalio/client';
import { RequestGate, type AccessSettings } from './access.js';
import { describeOnlyGcpClients } from './describe-only-gcp.js';
import { FleetReader } from './fleet-reader.js';
import { DEFAULT_POLLER_OPTIONS, SnapshotPoller } from './snapshot-poller.js';
import { startDashboardServer, type RunningDashboard } from './server.js';
import { StaticFiles } from './static-files.js';

export const DEFAULT_DASHBOARD_PORT = 8236;

export interface DashboardOptions {
  readonly access: AccessSettings;
  /** 0 = any free port. */
  readonly port: number;
  readonly temporal: Client;
  readonly namespace: string;
  /** The GCP emulator's URL, or undefined for real GCP. */
  readonly gcpEndpoint: string | undefined;
  /** The Temporal Web UI, for links to workflows; null hides the links. */
  readonly webUiUrl: string | null;
  readonly intervalMs?: number;
  readonly maxGcpReadsPerMinute?: number;
  readonly idleAfterMs?: number;
  readonly queryTimeoutMs?: number;
}

export async function startDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  const gcp = describeOnlyGcpClients({ emulatorUrl: options.gcpEndpoint });
  const reader = new FleetReader({
    temporal: options.temporal,
    gcp,
    namespace: options.namespace,
    webUiUrl: options.webUiUrl,
    ...(options.queryTimeoutMs !== undefined ? { queryTimeoutMs: options.queryTimeoutMs } : {}),
  });
  const poller = new SnapshotPoller(() => reader.read(), {
    intervalMs: options.intervalMs ?? DEFAULT_POLLER_OPTIONS.intervalMs,
    maxGcpReadsPerMinute: options.maxGcpReadsPerMinute ?? DEFAULT_POLLER_OPTIONS.maxGcpReadsPerMinute,
    idleAfterMs: options.idleAfterMs ?? DEFAULT_POLLER_OPTIONS.idleAfterMs,
    namespace: options.namespace,
    webUiUrl: options.webUiUrl,
  });
  try {
    const server = await startDashboardServer({
      host: options.access.host,
      port: options.port,
      poller,
      files: new StaticFiles(),
      gate: (port) => new RequestGate(options.access, port),
    });
    return {
      ...server,
      async close() {
        await server.close();
        await gcp.close();
      },
    };
  } catch (error) {
    await poller.stop();
    await gcp.close();
    throw error;
  }
}

export type { RunningDashboard } from './server.js';
