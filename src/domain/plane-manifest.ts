/**
 * planes.yaml: one or several `kind: Plane` documents, each the desired state of a plane and its
 * agents. Validated with the same parsers as the CLI flags; an error names the path in the file
 * (`spec.agents[2].owner`) and the rule. Unknown keys and duplicate names are refused.
 *
 *   apiVersion: agents-plane/v1
 *   kind: Plane
 *   metadata: { name: eng }
 *   spec:
 *     infrastructure: { project: acme-agents, region: us-central1, zone: us-central1-a, defaults: { machineType: e2-small } }
 *     agents:
 *       - { name: alice, owner: alice@example.com, machineType: e2-medium }
 *
 * Runtime profiles (runtime-profile.ts): `spec.infrastructure.defaults.runtime` for every agent of the
 * file (and the plane's default when the file creates it), `spec.agents[i].runtime` per agent, its keys
 * over the defaults'; keys as the flags: channels, modelTier, heartbeat, thinkingClock, tools, budgetCap,
 * budgetAction, channelOwners. Existing agents' profiles are changed with `planes update-agent`.
 */
import { parseAllDocuments } from 'yaml';
import { InvalidInputError } from './invalid-input.js';
import {
  parseAgentName,
  parseMachineType,
  parseOwnerEmail,
  parsePlaneName,
  parseProjectId,
  parseRegion,
  parseZone,
  type AgentName,
  type MachineType,
  type OwnerEmail,
} from './names.js';
import { DEFAULT_MACHINE_TYPE, type PlaneSpec } from './specs.js';
import { parseRuntimeProfile, RUNTIME_PROFILE_FLAGS, type AgentRuntimeProfile, type RawRuntimeProfile } from './runtime-profile.js';
import { DEFAULT_AGENT_VERSION } from './versions.js';

export const MANIFEST_API_VERSION = 'agents-plane/v1';
export const MANIFEST_KIND = 'Plane';

export interface DesiredAgent {
  readonly name: AgentName;
  readonly owner: OwnerEmail;
  readonly machineType: MachineType;
  /** Where it is in the file (`spec.agents[2]`), for errors found later against the live plane. */
  readonly path: string;
  /** Profile fields (defaults' and its own, validated), sent as given: absent when the file sets none. */
  readonly runtime?: RawRuntimeProfile;
}

export interface PlaneManifest {
  readonly spec: PlaneSpec;
  readonly agents: readonly DesiredAgent[];
  /** Where the document is in the file (`` for a single document, `documents[1].` otherwise). */
  readonly path: string;
}

type RawObject = Record<string, unknown>;

function object(value: unknown, field: string, allowed: readonly string[]): RawObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidInputError(field || 'document', 'must be a mapping');
  const unknown = Object.keys(value).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new InvalidInputError(`${field ? `${field}.` : ''}${unknown[0]}`, `unknown key (allowed here: ${allowed.join(', ')})`);
  }
  return value as RawObject;
}

const RUNTIME_KEYS = Object.keys(RUNTIME_PROFILE_FLAGS);

/** A `runtime:` mapping, validated; errors name its path in the file (`spec.agents[0].runtime.heartbeat`). */
function runtimeProfile(raw: RawRuntimeProfile, field: string, base?: AgentRuntimeProfile): AgentRuntimeProfile {
  try {
    return parseRuntimeProfile(raw, base);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    const key = Object.entries(RUNTIME_PROFILE_FLAGS).find(([, flag]) => flag === error.field)?.[0];
    throw new InvalidInputError(key ? `${field}.${key}` : field, error.rule);
  }
}

function planeDocument(raw: unknown, path: string): PlaneManifest {
  const at = (p: string) => `${path}${p}`;
  const doc = object(raw, path.replace(/\.$/, ''), ['apiVersion', 'kind', 'metadata', 'spec']);
  if (doc.apiVersion !== MANIFEST_API_VERSION) throw new InvalidInputError(at('apiVersion'), `must be ${MANIFEST_API_VERSION}`);
  if (doc.kind !== MANIFEST_KIND) throw new InvalidInputError(at('kind'), `must be ${MANIFEST_KIND}`);
  const metadata = object(doc.metadata, at('metadata'), ['name']);
  const name = parsePlaneName(metadata.name, at('metadata.name'));
  const spec = object(doc.spec, at('spec'), ['infrastructure', 'agents']);
  const infra = object(spec.infrastructure, at('spec.infrastructure'), ['project', 'region', 'zone', 'defaults']);
  const project = parseProjectId(infra.project, at('spec.infrastructure.project'));
  const region = parseRegion(infra.region, at('spec.infrastructure.region'));
  const zone = parseZone(region, infra.zone, at('spec.infrastructure.zone'));
  const defaults = infra.defaults === undefined ? {} : object(infra.defaults, at('spec.infrastructure.defaults'), ['machineType', 'runtime']);
  const defaultRuntimeRaw =
    defaults.runtime === undefined ? undefined : (object(defaults.runtime, at('spec.infrastructure.defaults.runtime'), RUNTIME_KEYS) as RawRuntimeProfile);
  const defaultRuntime = defaultRuntimeRaw ? runtimeProfile(defaultRuntimeRaw, at('spec.infrastructure.defaults.runtime')) : undefined;
  const defaultMachineType =
    defaults.machineType === undefined ? DEFAULT_MACHINE_TYPE : parseMachineType(defaults.machineType, at('spec.infrastructure.defaults.machineType'));

  const rawAgents = spec.agents ?? [];
  if (!Array.isArray(rawAgents)) throw new InvalidInputError(at('spec.agents'), 'must be a list');
  const seen = new Map<string, string>();
  const agents = rawAgents.map((rawAgent: unknown, i): DesiredAgent => {
    const p = at(`spec.agents[${i}]`);
    const a = object(rawAgent, p, ['name', 'owner', 'machineType', 'runtime']);
    const own = a.runtime === undefined ? undefined : (object(a.runtime, `${p}.runtime`, RUNTIME_KEYS) as RawRuntimeProfile);
    if (own) runtimeProfile(own, `${p}.runtime`, defaultRuntime);
    const runtime = defaultRuntimeRaw || own ? { ...defaultRuntimeRaw, ...own } : undefined;
    const agentName = parseAgentName(a.name, `${p}.name`);
    const first = seen.get(agentName);
    if (first) throw new InvalidInputError(`${p}.name`, `duplicate agent name ${agentName} (also ${first})`);
    seen.set(agentName, p);
    return {
      name: agentName,
      owner: parseOwnerEmail(a.owner, `${p}.owner`),
      machineType: a.machineType === undefined ? defaultMachineType : parseMachineType(a.machineType, `${p}.machineType`),
      path: p,
      ...(runtime ? { runtime } : {}),
    };
  });
  return { spec: { name, project, region, zone, agentVersion: DEFAULT_AGENT_VERSION, ...(defaultRuntime ? { defaultRuntime } : {}) }, agents, path };
}

/** Every Plane document of `text` (empty documents are skipped); `-f` names the file in errors. */
export function parsePlaneManifests(text: string): PlaneManifest[] {
  const documents = parseAllDocuments(text, { uniqueKeys: true });
  if (!Array.isArray(documents)) throw new InvalidInputError('-f', 'is not a YAML stream');
  const contents = documents.filter((d) => d.contents !== null || d.errors.length > 0);
  for (const d of contents) {
    const error = d.errors[0];
    if (error) throw new InvalidInputError('-f', `not valid YAML: ${error.message.split('\n')[0] ?? error.code}`);
  }
  if (contents.length === 0) throw new InvalidInputError('-f', `holds no ${MANIFEST_KIND} document`);
  const manifests = contents.map((d, i) => planeDocument(d.toJS(), contents.length > 1 ? `documents[${i}].` : ''));
  const names = new Map<string, string>();
  for (const m of manifests) {
    const first = names.get(m.spec.name);
    if (first !== undefined) throw new InvalidInputError(`${m.path}metadata.name`, `duplicate plane name ${m.spec.name} (also ${first}metadata.name)`);
    names.set(m.spec.name, m.path);
  }
  return manifests;
}
