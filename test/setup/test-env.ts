/**
 * What the global setup hands every test file (through vitest's provide/inject): one real Temporal
 * dev server for the whole run, a codec key, and the workflow bundles built once.
 */
export interface TestEnv {
  /** host:port of the run's Temporal dev server (SQLite file in runDir). */
  readonly temporalAddress: string;
  readonly namespace: string;
  readonly webUiUrl: string;
  /** AGENTS_PLANE_CODEC_KEYS value for this run (a fresh random key). */
  readonly codecKeys: string;
  /** Bundle of src/workflows/index.ts (the product workflows). */
  readonly workflowBundlePath: string;
  /** Bundles of test/fixtures/workflows and its deliberately incompatible variant (runtime tests only). */
  readonly fixtureBundlePath: string;
  readonly fixtureIncompatibleBundlePath: string;
  /** The Temporal CLI, for tests that need a dev server of their own. */
  readonly temporalBin: string;
  /** A temporary folder for this run; removed at the end. Each test makes its own subfolder. */
  readonly runDir: string;
  /** Folder where every process a test spawns is recorded, so the global teardown can stop leftovers. */
  readonly processDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    agentsPlaneTestEnv: TestEnv;
  }
}
