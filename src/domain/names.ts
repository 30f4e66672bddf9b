/**
 * Validated identifiers. Every value that reaches a workflow or a cloud call has passed through one of
 * these parsers, so a `PlaneName` is known to be safe in a GCP resource name, a label and a shell word.
 */
import type { Brand } from './brand.js';
import { InvalidInputError } from './invalid-input.js';
import { MACHINE_TYPES, REGIONS } from './catalog.js';

export type PlaneName = Brand<string, 'PlaneName'>;
export type AgentName = Brand<string, 'AgentName'>;
export type OwnerEmail = Brand<string, 'OwnerEmail'>;
export type ProjectId = Brand<string, 'ProjectId'>;
export type Region = Brand<string, 'Region'>;
export type Zone = Brand<string, 'Zone'>;
export type MachineType = Brand<string, 'MachineType'>;
export type AgentVersion = Brand<string, 'AgentVersion'>;
export type SecretKey = Brand<string, 'SecretKey'>;

/** RFC 1035 label, as GCP requires for resource names. */
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

function requireString(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidInputError(field, 'is required');
  return value;
}

function dnsLabel(field: string, value: unknown, maxLength: number): string {
  const s = requireString(field, value);
  if (s.length > maxLength) throw new InvalidInputError(field, `must be at most ${maxLength} characters (got ${s.length})`);
  if (!DNS_LABEL.test(s)) {
    throw new InvalidInputError(
      field,
      'must start with a lowercase letter and contain only lowercase letters, digits and hyphens, not ending with a hyphen',
    );
  }
  if (s.includes('--')) throw new InvalidInputError(field, 'must not contain two hyphens in a row');
  return s;
}

/** Plane names end up in every resource name of the plane (`ap-<plane>-...`), hence the short limit. */
export function parsePlaneName(value: unknown, field = '--plane'): PlaneName {
  return dnsLabel(field, value, 20) as PlaneName;
}

/** Agent names join the plane name in VM and secret names (`ap-<plane>-<agent>`). */
export function parseAgentName(value: unknown, field = '--name'): AgentName {
  return dnsLabel(field, value, 24) as AgentName;
}

/**
 * A deliberately strict subset of RFC 5322 addresses: what Google identities use. Anything that could
 * be read as shell syntax, an IAM member prefix or a path is refused rather than escaped.
 */
const EMAIL = /^[a-z0-9](?:[a-z0-9._%+-]{0,62}[a-z0-9])?@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export function parseOwnerEmail(value: unknown, field = '--owner'): OwnerEmail {
  const s = requireString(field, value).trim().toLowerCase();
  if (s.length > 254) throw new InvalidInputError(field, 'must be at most 254 characters');
  if (!EMAIL.test(s) || s.includes('..')) throw new InvalidInputError(field, 'must be an email address like alice@example.com');
  return s as OwnerEmail;
}

/** GCP project ids: 6–30 characters, lowercase letters, digits and hyphens, starting with a letter. */
export function parseProjectId(value: unknown, field = '--project'): ProjectId {
  const s = requireString(field, value);
  if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(s)) {
    throw new InvalidInputError(field, 'must be a GCP project id: 6-30 lowercase letters, digits or hyphens, starting with a letter');
  }
  return s as ProjectId;
}

export function parseRegion(value: unknown, field = '--region'): Region {
  const s = requireString(field, value);
  if (!Object.hasOwn(REGIONS, s)) {
    throw new InvalidInputError(field, `unknown region "${printable(s)}" (known: ${Object.keys(REGIONS).join(', ')})`);
  }
  return s as Region;
}

/** The zone agents of a plane run in: the region's first zone unless one is named. */
export function parseZone(region: Region, value: unknown, field = '--zone'): Zone {
  const zones = REGIONS[region] ?? [];
  if (value === undefined) return `${region}-${zones[0]}` as Zone;
  const s = requireString(field, value);
  if (!zones.some((z) => `${region}-${z}` === s)) {
    throw new InvalidInputError(field, `must be a zone of ${region} (${zones.map((z) => `${region}-${z}`).join(', ')})`);
  }
  return s as Zone;
}

export function parseMachineType(value: unknown, field = '--vm-type'): MachineType {
  const s = requireString(field, value);
  if (!Object.hasOwn(MACHINE_TYPES, s)) {
    throw new InvalidInputError(field, `unknown machine type "${printable(s)}" (known: ${Object.keys(MACHINE_TYPES).join(', ')})`);
  }
  return s as MachineType;
}

/** OpenClaw versions are npm semver versions, possibly with a prerelease tag. */
export function parseAgentVersion(value: unknown, field = '--agent-version'): AgentVersion {
  const s = requireString(field, value);
  if (!/^\d{1,6}\.\d{1,6}\.\d{1,6}(?:-[0-9A-Za-z.-]{1,40})?$/.test(s)) {
    throw new InvalidInputError(field, 'must be an exact version such as 2026.11.3 or 1.2.3-beta.1');
  }
  return s as AgentVersion;
}

/** Secret keys are environment variable names inside the agent (TELEGRAM_BOT_TOKEN, ANTHROPIC_API_KEY). */
export function parseSecretKey(value: unknown, field = '--key'): SecretKey {
  const s = requireString(field, value);
  if (!/^[A-Z][A-Z0-9_]{1,62}$/.test(s)) {
    throw new InvalidInputError(field, 'must be an environment variable name: uppercase letters, digits and underscores, starting with a letter');
  }
  return s as SecretKey;
}

/** Quote a rejected value for an error line without letting control characters through. */
function printable(s: string): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}...` : clean;
}
