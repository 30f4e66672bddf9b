/**
 * `planes update-agent --agent-version V`: moves one agent to another OpenClaw version through the
 * plane's rolling-upgrade machinery limited to that agent (canary 0, max unavailable 1): its boot disk
 * is snapshotted first, the new version must report a healthy heartbeat within the health timeout, and
 * a failure rolls it back (previous version in metadata, or its pre-upgrade snapshot restored when the
 * new version changed its on-disk state). Followed live like `planes upgrade`.
 */
import type { Client } from '@temporalio/client';
import type { AgentName, AgentVersion } from '../../domain/names.js';
import { parseAgentVersion } from '../../domain/names.js';
import { DEFAULT_UPGRADE, parseUpgradeRequest, type UpgradeRequest } from '../../domain/upgrade-spec.js';
import { planeStatusQuery } from '../../workflows/plane-messages.js';
import { startUpgradeUpdate } from '../../workflows/upgrade-messages.js';
import { OperationFailedError, type Output } from '../command.js';
import { parseDuration } from './duration.js';
import { updateError, type PlaneHandle } from './plane-handle.js';
import { followUpgrade } from './upgrade.js';

export interface AgentVersionFlags {
  agentVersion?: string;
  healthTimeout?: string;
}

/** What the version change did: part of update-agent's JSON output (`agentVersion`). */
export interface AgentVersionChange {
  readonly fromVersion: string;
  readonly toVersion: string;
  /** The agent already ran `toVersion`: nothing was started. */
  readonly unchanged: boolean;
  /** The one-agent upgrade (`upgrade/<plane>/<n>`); null when unchanged. */
  readonly workflowId: string | null;
  /** `running` (with --no-wait), `completed`, or `unchanged`. A halted upgrade exits 1 instead. */
  readonly state: string;
}

/** The one-agent upgrade request the flags ask for, or undefined without --agent-version (bad flags: exit 2). */
export function agentVersionRequest(name: AgentName, o: AgentVersionFlags): UpgradeRequest | undefined {
  if (o.agentVersion === undefined) return undefined;
  // Checked here first so the error names this command's flag (the request parser names --version).
  const toVersion: AgentVersion = parseAgentVersion(o.agentVersion, '--agent-version');
  const healthTimeoutMs = o.healthTimeout === undefined ? DEFAULT_UPGRADE.healthTimeoutMs : parseDuration(o.healthTimeout, '--health-timeout');
  return parseUpgradeRequest({ toVersion, canary: 0, maxUnavailable: 1, healthTimeoutMs, agents: [name] });
}

/**
 * Starts the one-agent upgrade unless the agent already runs the version, and follows it when `wait`:
 * a halted upgrade (rolled back) raises OperationFailedError with its reason (exit 1).
 */
export async function changeAgentVersion(
  client: Client,
  handle: PlaneHandle,
  name: AgentName,
  request: UpgradeRequest,
  wait: boolean,
  out: Output,
): Promise<AgentVersionChange> {
  const entry = (await handle.query(planeStatusQuery)).agents.find((a) => a.spec.name === name);
  if (!entry) throw new OperationFailedError(`agent ${name} is not in the plane any more`, 'FAILED');
  const fromVersion: string = entry.spec.agentVersion;
  if (fromVersion === request.toVersion) {
    out.info(`agent ${name} already runs ${request.toVersion}; no upgrade started`);
    return { fromVersion, toVersion: request.toVersion, unchanged: true, workflowId: null, state: 'unchanged' };
  }
  let started;
  try {
    started = await handle.executeUpdate(startUpgradeUpdate, { args: [request] });
  } catch (error) {
    throw updateError(error);
  }
  out.info(`upgrading agent ${name} from ${fromVersion} to ${request.toVersion} (workflow ${started.workflowId})`);
  if (!wait) return { fromVersion, toVersion: request.toVersion, unchanged: false, workflowId: started.workflowId, state: 'running' };
  const final = await followUpgrade(client, started.workflowId, out);
  return { fromVersion, toVersion: request.toVersion, unchanged: false, workflowId: started.workflowId, state: final.state };
}
