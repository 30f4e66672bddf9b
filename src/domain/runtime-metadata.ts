/**
 * The instance metadata an agent's runtime profile becomes (guest-contract.ts): the profile's JSON
 * (METADATA.runtimeProfile, what the guest's channel side reads) and its rendering as OpenClaw config
 * with the digest the guest reports back once applied (METADATA.openclawRuntime). Pure: the
 * provisioning activity, update-agent's activity and the tests build the same strings.
 */
import { METADATA } from './guest-contract.js';
import { buildRuntimeOpenClawConfig, renderedHeartbeatMs, type RuntimeOpenClawConfig } from './openclaw-config.js';
import { runtimeProfileDigest, runtimeProfileJson, type AgentRuntimeProfile, type AppliedRuntime } from './runtime-profile.js';

/** METADATA.openclawRuntime's value. */
export interface RenderedRuntime extends AppliedRuntime {
  readonly config: RuntimeOpenClawConfig;
}

export function renderRuntime(profile: AgentRuntimeProfile): RenderedRuntime {
  return {
    digest: runtimeProfileDigest(runtimeProfileJson(profile)),
    heartbeatSeconds: renderedHeartbeatMs(profile) / 1000,
    config: buildRuntimeOpenClawConfig(profile),
  };
}

/** The metadata items of a profile; none for an agent without one (it keeps its owner's config). */
export function runtimeMetadataItems(profile: AgentRuntimeProfile | undefined): Record<string, string> {
  if (!profile) return {};
  return {
    [METADATA.runtimeProfile]: runtimeProfileJson(profile),
    [METADATA.openclawRuntime]: JSON.stringify(renderRuntime(profile)),
  };
}

/** What the guest reported in GUEST_ATTRIBUTES.runtime, or undefined when it is absent or malformed. */
export function parseAppliedRuntime(value: string | undefined): AppliedRuntime | undefined {
  if (!value) return undefined;
  try {
    const v = JSON.parse(value) as Partial<AppliedRuntime>;
    if (typeof v.digest !== 'string' || typeof v.heartbeatSeconds !== 'number') return undefined;
    return { digest: v.digest, heartbeatSeconds: v.heartbeatSeconds };
  } catch {
    return undefined;
  }
}
