/**
 * Project identity in the emulator. Every well-formed project id stands for an existing, ACTIVE project
 * (the emulator models one organisation's projects, not project creation), and each has a stable
 * 12-digit project number derived from its id. Real GCP answers with the number in several places
 * (Secret Manager names are `projects/<number>/secrets/...`, Resource Manager's `projects/<number>`),
 * so the emulator does too, and accepts either form in request paths.
 *
 * H2: compute may use `projectNumberOf` for `<number>-compute@developer.gserviceaccount.com`.
 */
import { createHash } from 'node:crypto';

/** GCP's rule for project ids: 6–30 characters, lowercase letters, digits and hyphens, starting with a letter. */
const PROJECT_ID = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/;
const PROJECT_NUMBER = /^[1-9][0-9]{5,18}$/;

export function isProjectId(value: string): boolean {
  return PROJECT_ID.test(value);
}

export function isProjectNumber(value: string): boolean {
  return PROJECT_NUMBER.test(value);
}

/** Stable 12-digit number for a project id (never starting with 0, like GCP's). */
export function projectNumberOf(projectId: string): string {
  const digest = createHash('sha256').update(`project:${projectId}`).digest();
  const n = digest.readBigUInt64BE(0) % 900_000_000_000n;
  return (n + 100_000_000_000n).toString();
}

/**
 * Resolves a path's project segment (an id or a number) to the project id, among the ids `known`.
 * A number nobody has used as an id yet resolves to undefined: the emulator cannot invert the hash.
 */
export function resolveProjectId(segment: string, known: Iterable<string>): string | undefined {
  if (isProjectId(segment)) return segment;
  if (!isProjectNumber(segment)) return undefined;
  for (const id of known) if (projectNumberOf(id) === segment) return id;
  return undefined;
}
