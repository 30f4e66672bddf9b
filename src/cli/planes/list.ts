/** `planes list`: every running plane with its phase and agent count. */
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { PlaneName } from '../../domain/names.js';
import { planeStatusQuery } from '../../workflows/plane-messages.js';
import { runCommand, table } from '../command.js';
import { taskQueueFromEnv } from '../../temporal/task-queue.js';
import { withSession } from './session.js';

/**
 * Names of the planes whose entity workflow is running on this deployment's task queue, from
 * Temporal's visibility store (other deployments may share the namespace).
 */
export async function listPlaneNames(client: Client): Promise<PlaneName[]> {
  const names: PlaneName[] = [];
  const query = `WorkflowType = 'plane' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueueFromEnv()}'`;
  for await (const w of client.workflow.list({ query })) {
    if (w.workflowId.startsWith('plane/')) names.push(w.workflowId.slice('plane/'.length) as PlaneName);
  }
  return names.sort();
}

export interface PlaneListRow {
  readonly name: string;
  readonly project: string;
  readonly region: string;
  readonly zone: string;
  readonly phase: string;
  readonly agents: number;
}

export function registerList(planes: Command): void {
  planes
    .command('list')
    .description('list planes')
    .action(
      runCommand<object, { planes: PlaneListRow[] }>(async () =>
        withSession(async (session) => {
          const client = await session.temporal();
          const rows: PlaneListRow[] = [];
          for (const name of await listPlaneNames(client)) {
            const s = await client.workflow.getHandle(`plane/${name}`).query(planeStatusQuery);
            rows.push({ name, project: s.spec.project, region: s.spec.region, zone: s.spec.zone, phase: s.phase, agents: s.agents.length });
          }
          return {
            data: { planes: rows },
            human: (d) =>
              d.planes.length === 0
                ? 'no planes'
                : table(['PLANE', 'PROJECT', 'ZONE', 'PHASE', 'AGENTS'], d.planes.map((r) => [r.name, r.project, r.zone, r.phase, String(r.agents)])),
          };
        }),
      ),
    );
}
