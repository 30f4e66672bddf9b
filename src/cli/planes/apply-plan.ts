/**
 * The plan of `planes apply`: what it takes to get from a live plane (its status Query; none means it
 * does not exist) to a planes.yaml document. Pure: the command prints it before anything happens.
 * Changes the imperative commands refuse are refused here too, before anything starts: another owner
 * for an existing agent (as add-agent), a plane that would move project or zone (as create). A machine
 * type change of an existing Ready agent is planned as a resize (as resize-agent); of an agent in any
 * other state, refused until it is Ready.
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

export interface PlannedResize {
  readonly name: string;
  readonly owner: string;
  readonly field: 'machineType';
  readonly from: string;
  readonly to: string;
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
  /** Existing agents whose machine type the file changes: each is resized in place. */
  readonly change: readonly PlannedResize[];
  /** In the file and in the roster as written (Ready, Provisioning or Paused). */
  readonly unchanged: readonly string[];
}

export function planChanges(plan: PlanePlan): number {
  return (plan.create ? 1 : 0) + plan.add.length + plan.remove.length + plan.change.length;
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
  if (!live) return { ...base, create: true, add: manifest.agents.map(planned), remove: [], change: [], unchanged: [] };

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
  const change: PlannedResize[] = [];
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
      if (entry.state !== 'Ready') {
        throw new OperationFailedError(
          `agent ${want.name} of plane ${spec.name} is ${entry.state}; its machine type (${entry.spec.machineType} → ${want.machineType}) can be changed once it is Ready`,
          'AGENT_NOT_READY',
        );
      }
      change.push({ name: want.name, owner: want.owner, field: 'machineType', from: entry.spec.machineType, to: want.machineType });
      continue;
    }
    unchanged.push(want.name);
  }
  const wanted = new Set<string>(manifest.agents.map((a) => a.name));
  const remove = live.agents
    .filter((e) => !wanted.has(e.spec.name) && e.state !== 'Removing')
    .map((e) => planned({ name: e.spec.name, owner: e.spec.owner, machineType: e.spec.machineType }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { ...base, create: false, add, remove, change, unchanged };
}

/** The plan as people read it: one line per change. */
export function renderPlan(plans: readonly PlanePlan[]): string {
  const rows = plans.flatMap((p) => [
    ...(p.create ? [[p.plane, 'create plane', `${p.project}/${p.zone}`, '', '']] : []),
    ...p.add.map((a) => [p.plane, 'add agent', a.name, a.owner, a.machineType]),
    ...p.remove.map((a) => [p.plane, 'remove agent', a.name, a.owner, a.machineType]),
    ...p.change.map((c) => [p.plane, `change ${c.field}`, c.name, c.owner, `${c.from} → ${c.to}`]),
  ]);
  const unchanged = plans.reduce((n, p) => n + p.unchanged.length, 0);
  if (rows.length === 0) return `no changes (${unchanged} agent(s) already as written)`;
  return `${table(['PLANE', 'ACTION', 'WHAT', 'OWNER', 'VM TYPE'], rows)}\n${rows.length} change(s), ${unchanged} agent(s) unchanged`;
}
