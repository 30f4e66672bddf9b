/**
 * `planes create --name --project --region`: starts the plane's entity workflow, which builds the
 * plane's network, and waits until it is Ready. Running it again for the same plane joins it.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import { parseHealthWatchSettings } from '../../domain/health-watch.js';
import { InvalidInputError } from '../../domain/invalid-input.js';
import { parsePlaneSpec, type PlaneSpec } from '../../domain/specs.js';
import { planeWorkflowId } from '../../domain/workflow-ids.js';
import { OPERATION, PLANE_NAME } from '../../temporal/search-attributes.js';
import { taskQueueFromEnv } from '../../temporal/task-queue.js';
import { planeStatusQuery, type PlaneStatus } from '../../workflows/plane-messages.js';
import type { plane, PlaneSettings } from '../../workflows/plane.js';
import { OperationFailedError, runCommand, table, type Output } from '../command.js';
import type { PlaneHandle } from './plane-handle.js';
import { parseDuration } from './duration.js';
import { ProgressView, sleep } from './progress.js';
import { withSession } from './session.js';
import { addRuntimeFlags, defaultRuntimeFlags } from './runtime-flags.js';

interface CreateOptions {
  name?: string;
  project?: string;
  region?: string;
  zone?: string;
  agentVersion?: string;
  bootTimeout: string;
  healthCheckInterval: string;
  heartbeatStaleAfter: string;
  unhealthyAfterChecks: string;
  maxAutoRestarts: string;
  autoRestartWindow: string;
  wait: boolean;
}

const sameSpec = (a: PlaneSpec, b: PlaneSpec) =>
  a.project === b.project && a.region === b.region && a.zone === b.zone && a.name === b.name;

/**
 * Starts the plane's entity workflow, or joins it when it already runs with the same spec; another spec
 * under the same name is bad input (`field` names where the name came from).
 */
export async function startOrJoinPlane(client: Client, spec: PlaneSpec, settings: PlaneSettings, out: Output, field: string): Promise<PlaneHandle> {
  const workflowId = planeWorkflowId(spec.name);
  try {
    const handle = await client.workflow.start<typeof plane>('plane', {
      workflowId,
      taskQueue: taskQueueFromEnv(),
      args: [{ spec, settings }],
      typedSearchAttributes: [
        { key: PLANE_NAME, value: spec.name },
        { key: OPERATION, value: 'plane' },
      ],
    });
    out.info(`creating plane ${spec.name} (workflow ${workflowId})`);
    return handle;
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    const handle = client.workflow.getHandle<typeof plane>(workflowId);
    const existing = await handle.query(planeStatusQuery);
    if (!sameSpec(existing.spec, spec)) {
      throw new InvalidInputError(field, `plane ${spec.name} already exists in project ${existing.spec.project}, zone ${existing.spec.zone}`);
    }
    out.info(`plane ${spec.name} already exists (${existing.phase}); joining it`);
    return handle;
  }
}

/** Follows the plane's creation until it is Ready; a failed creation (already undone) is exit 1. */
export async function waitUntilCreated(client: Client, handle: PlaneHandle, name: string, out: Output): Promise<PlaneStatus> {
  let status = await handle.query(planeStatusQuery);
  const view = new ProgressView(client, out, `plane ${name}`);
  while (status.phase === 'Creating') {
    await view.show(status.operationId);
    await sleep(500);
    status = await handle.query(planeStatusQuery);
  }
  if (status.phase === 'Failed') {
    throw new OperationFailedError(
      `plane ${name} could not be created: ${status.lastError?.message ?? 'unknown error'}; everything it created was removed`,
      status.lastError?.type ?? 'FAILED',
    );
  }
  return status;
}

export function registerCreate(planes: Command): void {
  const command = planes
    .command('create')
    .description('create a plane: its VPC, subnet, firewall rules, Cloud NAT and snapshot schedule')
    .requiredOption('--name <plane>', 'plane name (lowercase letters, digits, hyphens; at most 20)')
    .requiredOption('--project <id>', 'GCP project id')
    .requiredOption('--region <region>', 'GCP region, e.g. us-central1')
    .option('--zone <zone>', "zone for the plane's agents (default: the region's first zone)")
    .option('--agent-version <version>', 'OpenClaw version new agents run (default: the pinned one)')
    .option('--boot-timeout <duration>', 'how long an agent may take to report healthy', '20m')
    .option('--health-check-interval <duration>', "how often the plane's health watch checks every Ready agent", '30s')
    .option('--heartbeat-stale-after <duration>', 'a heartbeat older than this means the agent is hung', '90s')
    .option('--unhealthy-after-checks <n>', 'bad checks in a row before an agent counts as unhealthy', '2')
    .option('--max-auto-restarts <n>', 'automatic restarts per agent within the window; then it is marked Unhealthy', '3')
    .option('--auto-restart-window <duration>', 'the window of --max-auto-restarts', '1h')
    .option('--no-wait', 'return once the plane workflow has started');
  // --default-channels, --default-heartbeat, ...: the runtime profile new agents start from.
  addRuntimeFlags(command, 'default').action(
    runCommand<CreateOptions, PlaneStatus>(async (o, out) => {
      const defaultRuntime = defaultRuntimeFlags(o as unknown as Record<string, unknown>);
      const parsed = parsePlaneSpec({ name: o.name, project: o.project, region: o.region, zone: o.zone, agentVersion: o.agentVersion });
      const spec: PlaneSpec = defaultRuntime ? { ...parsed, defaultRuntime } : parsed;
      const bootTimeoutMs = parseDuration(o.bootTimeout, '--boot-timeout');
      const health = parseHealthWatchSettings({
        checkIntervalMs: parseDuration(o.healthCheckInterval, '--health-check-interval'),
        staleAfterMs: parseDuration(o.heartbeatStaleAfter, '--heartbeat-stale-after'),
        unhealthyAfterChecks: o.unhealthyAfterChecks,
        maxAutoRestarts: o.maxAutoRestarts,
        restartWindowMs: parseDuration(o.autoRestartWindow, '--auto-restart-window'),
      });
      return withSession(async (session) => {
        const client = await session.temporal();
        const handle = await startOrJoinPlane(client, spec, { bootTimeoutMs, health }, out, '--name');
        const status = o.wait ? await waitUntilCreated(client, handle, spec.name, out) : await handle.query(planeStatusQuery);
        return {
          data: status,
          human: (s) =>
            table(
              ['PLANE', 'PROJECT', 'ZONE', 'PHASE', 'AGENTS'],
              [[s.spec.name, s.spec.project, s.spec.zone, s.phase, String(s.agents.length)]],
            ),
        };
      });
    }),
  );
}
