/**
 * OpenClaw's on-disk state format, as the guest simulator models it. A real OpenClaw release may migrate
 * its state directory (config, sessions stores) the first time its gateway starts, and an older release
 * then finds state it was not written for; the real guest publishes a digest of the state's layout
 * (guest-helpers.ts) so the plane can tell. Here the format is a plain marker kept with the boot disk
 * (so a snapshot, and a disk made from one, carries it): a fresh state directory is in
 * INITIAL_STATE_FORMAT; a start of a version declared state-migrating moves it to that version's
 * format; starting any other version leaves it as it is (an older release does not migrate back).
 */
import { ApiError } from '../core/contract.js';

export const INITIAL_STATE_FORMAT = 'openclaw-state-initial';

export const stateFormatOf = (version: string) => `openclaw-state-migrated-by-${version}`;

export class StateFormats {
  private migrating: Set<string>;

  constructor(stateMigratingVersions: readonly string[] = []) {
    this.migrating = new Set(stateMigratingVersions);
  }

  /** The state's format once `version`'s gateway has started on state in `current` (absent: none yet). */
  afterStart(current: string | undefined, version: string): string {
    return this.migrating.has(version) ? stateFormatOf(version) : (current ?? INITIAL_STATE_FORMAT);
  }

  /** The admin endpoint's `stateMigratingVersions`: replaces the set (400 unless a list of strings). */
  replace(value: unknown): void {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      throw new ApiError(400, 'INVALID_ARGUMENT', 'guest: stateMigratingVersions must be a list of version strings', 'invalid');
    }
    this.migrating = new Set(value as string[]);
  }

  versions(): string[] {
    return [...this.migrating].sort();
  }
}
