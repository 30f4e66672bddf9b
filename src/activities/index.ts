/**
 * Builds every activity the worker registers, bound to its cloud clients (real GCP or the emulator).
 * Workflows see only the type of this object.
 */
import type { GcpClients } from '../gcp/clients.js';
import { agentSnapshotActivities } from './agent-snapshots.js';
import { agentPowerActivities } from './agent-power.js';
import { agentRuntimeActivities } from './agent-runtime.js';
import { agentVersionActivities } from './agent-version.js';
import { driftActivities } from './drift.js';
import { driftRepairActivities } from './drift-repair.js';
import { backupActivities } from './backups.js';
import { iapActivities } from './iap.js';
import { instanceActivities } from './instances.js';
import { leftoverActivities } from './leftovers.js';
import { networkActivities } from './network.js';
import { secretActivities } from './secrets.js';
import { secretRotationActivities } from './secret-rotation.js';
import { serviceAccountActivities, type PollTiming } from './service-accounts.js';

export interface ActivityOptions extends PollTiming {}

export function activityOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ActivityOptions {
  const poll = Number(env.AGENTS_PLANE_POLL_INTERVAL_MS ?? 5000);
  return { pollIntervalMs: Number.isFinite(poll) && poll > 0 ? poll : 5000 };
}

export function createActivities(clients: GcpClients, options: ActivityOptions = activityOptionsFromEnv()) {
  return {
    ...networkActivities(clients),
    ...serviceAccountActivities(clients, options),
    ...secretActivities(clients),
    ...instanceActivities(clients, options),
    ...iapActivities(clients),
    ...leftoverActivities(clients),
    ...agentVersionActivities(clients, options),
    ...agentSnapshotActivities(clients),
    ...driftActivities(clients),
    ...driftRepairActivities(clients),
    ...backupActivities(clients),
    ...agentPowerActivities(clients, options),
    ...secretRotationActivities(clients),
    ...agentRuntimeActivities(clients, options),
  };
}

export type Activities = ReturnType<typeof createActivities>;
