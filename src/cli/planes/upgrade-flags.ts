/** The rolling-upgrade flags of `planes upgrade`, for an upgrade now or one in a window: one parser, one set of errors. */
import { parseUpgradeRequest, type UpgradeRequest } from '../../domain/upgrade-spec.js';
import { parseDuration } from './duration.js';

export interface UpgradeFlags {
  version?: string;
  canary?: string;
  maxUnavailable?: string;
  healthTimeout?: string;
}

export function upgradeRequestFromFlags(o: UpgradeFlags): UpgradeRequest {
  return parseUpgradeRequest({
    toVersion: o.version,
    canary: o.canary,
    maxUnavailable: o.maxUnavailable,
    healthTimeoutMs: parseDuration(o.healthTimeout, '--health-timeout'),
  });
}
