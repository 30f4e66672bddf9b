/**
 * Compute's resource references. Answers carry full URLs (`selfLink`, `network`, `zone`, ...); requests
 * may name a resource by full URL, by `projects/p/...`, by a path relative to the project
 * (`global/networks/n`, `zones/z/machineTypes/t`) or, where GCP allows it, by bare name.
 */

export const API_BASE = 'https://www.googleapis.com/compute/v1/';

/** `projects/p/global`, `projects/p/regions/r` or `projects/p/zones/z`. */
export type Scope = string;

export const globalScope = (project: string): Scope => `projects/${project}/global`;
export const regionScope = (project: string, region: string): Scope => `projects/${project}/regions/${region}`;
export const zoneScope = (project: string, zone: string): Scope => `projects/${project}/zones/${zone}`;

/** Full URL of a relative name (`projects/...`). */
export function url(relative: string): string {
  return `${API_BASE}${relative}`;
}

export interface ParsedRef {
  readonly project: string;
  /** 'global', or the zone/region name. */
  readonly location: string;
  readonly locationKind: 'global' | 'regions' | 'zones';
  readonly collection: string;
  readonly name: string;
}

const FULL = /^projects\/([^/]+)\/(global|regions\/[^/]+|zones\/[^/]+)\/([A-Za-z]+)\/([^/]+)$/;
const RELATIVE = /^(global|regions\/[^/]+|zones\/[^/]+)\/([A-Za-z]+)\/([^/]+)$/;

/**
 * Parses a reference to a resource of `collection`. Bare names resolve against `defaults`, whose
 * location is used only when `bareAllowed`. Answers undefined when the reference is malformed or names
 * another collection.
 */
export function parseRef(
  ref: string,
  collection: string,
  defaults: { project: string; location: string; locationKind: ParsedRef['locationKind'] },
  bareAllowed = true,
): ParsedRef | undefined {
  let path = ref.trim();
  for (const prefix of [API_BASE, 'https://compute.googleapis.com/compute/v1/', 'http://www.googleapis.com/compute/v1/']) {
    if (path.startsWith(prefix)) path = path.slice(prefix.length);
  }
  let m = FULL.exec(path);
  let parsed: ParsedRef | undefined;
  if (m) {
    parsed = toRef(m[1]!, m[2]!, m[3]!, m[4]!);
  } else if ((m = RELATIVE.exec(path))) {
    parsed = toRef(defaults.project, m[1]!, m[2]!, m[3]!);
  } else if (bareAllowed && /^[a-z0-9][-a-z0-9_.]*$/i.test(path)) {
    parsed = { project: defaults.project, location: defaults.location, locationKind: defaults.locationKind, collection, name: path };
  }
  return parsed && parsed.collection === collection ? parsed : undefined;
}

function toRef(project: string, location: string, collection: string, name: string): ParsedRef {
  if (location === 'global') return { project, location: 'global', locationKind: 'global', collection, name };
  const [kind, where] = location.split('/') as ['regions' | 'zones', string];
  return { project, location: where, locationKind: kind, collection, name };
}

/** `projects/p/global/networks/n` of a parsed reference. */
export function relativeName(ref: ParsedRef): string {
  const location = ref.locationKind === 'global' ? 'global' : `${ref.locationKind}/${ref.location}`;
  return `projects/${ref.project}/${location}/${ref.collection}/${ref.name}`;
}

/** The last path segment of a URL or relative name. */
export function lastSegment(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}
