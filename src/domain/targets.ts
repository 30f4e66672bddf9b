/** What an agent activity works on: the agent and the plane it belongs to. Names and specs only. */
import type { AgentSpec, PlaneSpec } from './specs.js';

export interface AgentTarget {
  readonly plane: PlaneSpec;
  readonly agent: AgentSpec;
}
