/**
 * Pinned versions an agent runs unless its plane says otherwise. OpenClaw 2026.9.6 is the newest release
 * on npm as of this writing; it requires Node >= 24.16 (engines: ">=24.16.0 <25 || >=26.1.0").
 */
import type { AgentVersion } from './names.js';

export const DEFAULT_AGENT_VERSION = '2026.9.6' as AgentVersion;
