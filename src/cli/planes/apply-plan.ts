/**
 * The plan of `planes apply`: what it takes to get from a live plane (its status Query; none means it
 * does not exist) to a planes.yaml document. Pure: the command prints it before anything happens.
 * Changes the imperative commands refuse are refused here too, before anything starts: another owner
 * for an existing agent (as add-agent), a plane that would move project or zone (as create), and, not
 * built yet, a machine type change of an existing agent.
 */
import { InvalidInputError } from '../../domain/invalid-input.js';
import type { PlaneManifest } from '../../domain/plane-manifest.js';
import type { PlaneStatus } from '../../workflows/plane-messages.js';
import type { RawRuntimeProfile } from '../../domain/runtime-profile.js';
import { OperationFailedError, table } from '../command.js';

export interface PlannedAgent {
  readonly name: string;
  readonly owner: string;
  readonly machineType: string;
  /** Runtime profile fields from the file (planes.yaml `runtime`), when it sets any. */
  readonly runtime?: RawRuntimeProfile;
}

export interface PlanePlan {
  readonly plane: string;
  readonly project: string;
  readonly region: string;
  readonly zone: string;
  /** The plane does not exist yet: `planes create` first. */
  readonly create: boolean;
  readonly add: readonly PlannedAgent[];
  readonly remove: readonly PlannedAgent[];
  /** In the file and in the roster as written (Ready, Provisioning or Paused). */
  readonly unchanged: readonly string[];
}

export function planChanges(plan: PlanePlan): number {
  return (plan.create ? 1 : 0) + plan.add.length + plan.remove.length;
}

export function planPlane(manifest: PlaneManifest, live: PlaneStatus | undefined): PlanePlan {
  const { spec } = manifest;
  const base = { plane: spec.name, project: spec.project, region: spec.region, zone: spec.zone };
  const planned = (a: { name: string; owner: string; machineType: string; runtime?: RawRuntimeProfile }): PlannedAgent => ({
    name: a.name,
    owner: a.owner,
    machineType: a.machineType,
    ...(a.runtime ? { runtime: a.runtime } : {}),
  });
  if (!live) return { ...base, create: true, add: manifest.agents.map(planned), remove: [], unchanged: [] };

  const infra = `${manifest.path}spec.infrastructure`;
  if (live.spec.project !== spec.project) {
    throw new InvalidInputError(`${infra}.project`, `plane ${spec.name} already exists in project ${live.spec.project}; a plane cannot move`);
  }
  if (live.spec.region !== spec.region || live.spec.zone !== spec.zone) {
    throw new InvalidInputError(`${infra}.zone`, `plane ${spec.name} already exists in zone ${live.spec.zone}; a plane cannot move`);
  }
  if (live.phase !== 'Ready' && live.phase !== 'Creating') {
    throw new OperationFailedError(`plane ${spec.name} is ${live.phase}; apply once it is Ready (or destroyed)`, 'PLANE_NOT_READY');
  }

  const roster = new Map(live.agents.map((e) => [e.spec.name as string, e]));
  const add: PlannedAgent[] = [];
  const unchanged: string[] = [];
  for (const want of manifest.agents) {
    const entry = roster.get(want.name);
    if (!entry || entry.state === 'Failed') {
      add.push(planned(want));
      continue;
    }
    if (entry.spec.owner !== want.owner) {
      throw new InvalidInputError(
        `${want.path}.owner`,
        `agent ${want.name} already exists in plane ${spec.name} with owner ${entry.spec.owner}; remove it first to give it to another owner`,
      );
    }
    if (entry.state === 'Removing') {
      throw new OperationFailedError(`agent ${want.name} of plane ${spec.name} is being removed; apply again once it is gone`, 'PLANE_NOT_READY');
    }
    if (entry.spec.machineType !== want.machineType) {
      throw new InvalidInputError(
        `${want.path}.machineType`,
        `changing the machine type of existing agent ${want.name} (${entry.spec.machineType} → ${want.machineType}) is not supported yet; keep ${entry.spec.machineType}, or remove the agent and add it again`,
      );
    }
    unchanged.push(want.name);
  }
  const wanted = new Set<string>(manifest.agents.map((a) => a.name));
  const remove = live.agents
    .filter((e) => !wanted.has(e.spec.name) && e.state !== 'Removing')
    .map((e) => planned({ name: e.spec.name, owner: e.spec.owner, machineType: e.spec.machineType }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { ...base, create: false, add, remove, unchanged };
}

/** The plan as people read it: one line per change. */
export function renderPlan(plans: readonly PlanePlan[]): string {
  const rows = plans.flatMap((p) => [
    ...(p.create ? [[p.plane, 'create plane', `${p.project}/${p.zone}`, '', '']] : []),
    ...p.add.map((a) => [p.plane, 'add agent', a.name, a.owner, a.machineType]),
    ...p.remove.map((a) => [p.plane, 'remove agent', a.name, a.owner, a.machineType]),
  ]);
  const unchanged = plans.reduce((n, p) => n + p.unchanged.length, 0);
  if (rows.length === 0) return `no changes (${unchanged} agent(s) already as written)`;
  return `${table(['PLANE', 'ACTION', 'WHAT', 'OWNER', 'VM TYPE'], rows)}\n${rows.length} change(s), ${unchanged} agent(s) unchanged`;
}
