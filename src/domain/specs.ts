/**
 * The desired state of planes and agents, validated from raw input (CLI flags, planes.yaml, Update
 * arguments). Parsers throw InvalidInputError naming the field; what they return is safe to use.
 */
import { InvalidInputError } from './invalid-input.js';
import {
  type AgentName,
  type AgentVersion,
  type MachineType,
  type OwnerEmail,
  type PlaneName,
  type ProjectId,
  type Region,
  type SecretKey,
  type Zone,
  parseAgentName,
  parseAgentVersion,
  parseMachineType,
  parseOwnerEmail,
  parsePlaneName,
  parseProjectId,
  parseRegion,
  parseZone,
} from './names.js';
import { DEFAULT_AGENT_VERSION } from './versions.js';
import { CHANNEL_SECRET_ENV_VARS } from './openclaw-config.js';
import { parseRuntimeProfile, type AgentRuntimeProfile, type RawRuntimeProfile } from './runtime-profile.js';

export interface PlaneSpec {
  readonly name: PlaneName;
  readonly project: ProjectId;
  readonly region: Region;
  readonly zone: Zone;
  /** OpenClaw version new agents get. */
  readonly agentVersion: AgentVersion;
  /** Runtime profile new agents start from (planes.yaml `defaults.runtime`); absent: OpenClaw's defaults. */
  readonly defaultRuntime?: AgentRuntimeProfile;
}

export interface AgentSpec {
  readonly plane: PlaneName;
  readonly name: AgentName;
  readonly owner: OwnerEmail;
  readonly machineType: MachineType;
  readonly agentVersion: AgentVersion;
  /**
   * Channels, model tier, heartbeat, tools, budget (runtime-profile.ts). Absent on agents added before
   * profiles existed (their histories replay unchanged): effectiveRuntimeProfile gives the defaults.
   */
  readonly runtime?: AgentRuntimeProfile;
}

/** Secrets the plane generates itself (inside an activity, never returned). */
export const GENERATED_SECRET_KEYS: readonly SecretKey[] = ['OPENCLAW_GATEWAY_TOKEN' as SecretKey];
/** Secrets the owner sets with `planes secrets set` (model provider keys; channel credentials below). */
export const OWNER_SECRET_KEYS: readonly SecretKey[] = ['ANTHROPIC_API_KEY' as SecretKey, 'OPENAI_API_KEY' as SecretKey];
export const AGENT_SECRET_KEYS: readonly SecretKey[] = [...GENERATED_SECRET_KEYS, ...OWNER_SECRET_KEYS];
/** Channel credentials the owner sets (TELEGRAM_BOT_TOKEN); an agent has those of its profile's channels. */
export const CHANNEL_SECRET_KEYS: readonly SecretKey[] = Object.values(CHANNEL_SECRET_ENV_VARS).filter((k): k is string => k !== undefined) as SecretKey[];

/** The secrets of one agent: the common ones plus the credentials of the channels in its profile. */
export function agentSecretKeys(agent: Pick<AgentSpec, 'runtime'>): SecretKey[] {
  const channelKeys = (agent.runtime?.channels ?? []).map((c) => CHANNEL_SECRET_ENV_VARS[c]).filter((k): k is string => k !== undefined);
  return [...AGENT_SECRET_KEYS, ...(channelKeys as SecretKey[])];
}

/** Every secret key an agent may have had (removal and leftover checks look for all of them). */
export const ALL_AGENT_SECRET_KEYS: readonly SecretKey[] = [...AGENT_SECRET_KEYS, ...CHANNEL_SECRET_KEYS];

export const DEFAULT_MACHINE_TYPE = 'e2-small' as MachineType;

export interface RawPlaneInput {
  name?: unknown;
  project?: unknown;
  region?: unknown;
  zone?: unknown;
  agentVersion?: unknown;
}

export function parsePlaneSpec(raw: RawPlaneInput): PlaneSpec {
  const name = parsePlaneName(raw.name, '--name');
  const project = parseProjectId(raw.project);
  const region = parseRegion(raw.region);
  const zone = parseZone(region, raw.zone);
  const agentVersion = raw.agentVersion === undefined ? DEFAULT_AGENT_VERSION : parseAgentVersion(raw.agentVersion);
  return { name, project, region, zone, agentVersion };
}

/** An add-agent request: validated fields; the version may be left to the plane's default. */
export interface AgentRequest {
  readonly plane: PlaneName;
  readonly name: AgentName;
  readonly owner: OwnerEmail;
  readonly machineType: MachineType;
  readonly agentVersion?: AgentVersion;
  /** Profile fields as given (flags or planes.yaml); the plane fills the rest from its default. */
  readonly runtime?: RawRuntimeProfile;
}

export interface RawAgentInput {
  plane?: unknown;
  name?: unknown;
  owner?: unknown;
  machineType?: unknown;
  agentVersion?: unknown;
  runtime?: RawRuntimeProfile;
}

export function parseAgentSpec(raw: RawAgentInput, plane: Pick<PlaneSpec, 'agentVersion' | 'defaultRuntime'> | undefined): AgentSpec {
  // Set only when there is one: a request without a profile on a plane without a default keeps the
  // exact spec older agents had.
  const runtime =
    raw.runtime !== undefined || plane?.defaultRuntime !== undefined ? parseRuntimeProfile(raw.runtime ?? {}, plane?.defaultRuntime) : undefined;
  return {
    plane: parsePlaneName(raw.plane, '--plane'),
    name: parseAgentName(raw.name, '--name'),
    owner: parseOwnerEmail(raw.owner),
    machineType: raw.machineType === undefined ? DEFAULT_MACHINE_TYPE : parseMachineType(raw.machineType),
    agentVersion:
      raw.agentVersion === undefined
        ? (plane?.agentVersion ?? DEFAULT_AGENT_VERSION)
        : parseAgentVersion(raw.agentVersion),
    ...(runtime ? { runtime } : {}),
  };
}

/** The owner-settable secret key named by `--key`, or a clear error listing the allowed ones. */
export function requireOwnerSecretKey(key: SecretKey): SecretKey {
  if (!OWNER_SECRET_KEYS.includes(key) && !CHANNEL_SECRET_KEYS.includes(key)) {
    throw new InvalidInputError('--key', `must be one of ${[...OWNER_SECRET_KEYS, ...CHANNEL_SECRET_KEYS].join(', ')} (the gateway token is generated by the plane)`);
  }
  return key;
}
