/**
 * Where Temporal is, for every client and worker of the project, decided in one place:
 *   1. TEMPORAL_ADDRESS (or TEMPORAL_PROFILE / TEMPORAL_CONFIG_FILE) set: the standard Temporal client
 *      configuration (@temporalio/envconfig: namespace, TLS, API key, gRPC metadata), with the codec
 *      keys from AGENTS_PLANE_CODEC_KEYS(_FILE);
 *   2. else the embedded stack that `agents-plane dev up` runs (its stack file), with its own key;
 *   3. else nothing: connecting fails with what to do.
 * The GCP endpoint follows: AGENTS_PLANE_GCP_ENDPOINT, else the embedded stack's emulator (only when
 * Temporal is the embedded one too, so a production worker never drifts onto a local emulator), else
 * real GCP.
 */
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { OperationFailedError } from '../cli/command.js';
import { InvalidInputError } from '../domain/invalid-input.js';
import { devStateDir, readStackFile } from '../runtime/dev-state.js';
import { encryptingDataConverter } from './codec.js';
import { CODEC_KEYS_ENV, CODEC_KEYS_FILE_ENV, codecKeysFromEnv, codecKeysFromFile, type CodecKeySet } from './codec-keys.js';

/** The address the embedded stack prefers, named in the error when nothing is configured. */
export const DEFAULT_LOCAL_ADDRESS = '127.0.0.1:7233';

export type TargetSource = 'environment' | 'dev-stack' | 'none';

export interface TemporalTarget {
  readonly source: TargetSource;
  readonly address: string;
  readonly namespace: string;
  /** Ready for NativeConnection.connect; Connection.connect takes the same fields. */
  readonly connectionOptions: NativeConnectionOptions;
  /** The embedded stack's Web UI and codec key file (dev-stack only). */
  readonly webUiUrl?: string;
  readonly codecKeysFile?: string;
}

export interface ResolvedStack {
  readonly temporal: TemporalTarget;
  /** Emulator URL, or undefined for real GCP. */
  readonly gcpEndpoint: string | undefined;
  /** The embedded stack's folder (looked at even when the environment wins). */
  readonly stateDir: string;
}

export function temporalConfiguredByEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['TEMPORAL_ADDRESS', 'TEMPORAL_PROFILE', 'TEMPORAL_CONFIG_FILE'].some((name) => Boolean(env[name]?.trim()));
}

export async function resolveStack(env: NodeJS.ProcessEnv = process.env): Promise<ResolvedStack> {
  const stateDir = devStateDir(env);
  const explicitGcp = env.AGENTS_PLANE_GCP_ENDPOINT?.trim().replace(/\/+$/, '') || undefined;
  if (temporalConfiguredByEnv(env)) {
    const { connectionOptions, namespace } = loadClientConnectConfig({ overrideEnvVars: definedOnly(env) });
    const address = connectionOptions.address ?? DEFAULT_LOCAL_ADDRESS;
    const resolvedNamespace = namespace ?? 'default';
    // A `dev up` run against this same external Temporal brings its emulator along.
    const stack = readStackFile(stateDir);
    const stackEmulator = stack && stack.temporalAddress === address && stack.namespace === resolvedNamespace ? stack.emulatorUrl : undefined;
    return {
      temporal: { source: 'environment', address, namespace: resolvedNamespace, connectionOptions: { ...connectionOptions, address } },
      gcpEndpoint: explicitGcp ?? stackEmulator,
      stateDir,
    };
  }
  const stack = readStackFile(stateDir);
  if (stack) {
    return {
      temporal: {
        source: 'dev-stack',
        address: stack.temporalAddress,
        namespace: stack.namespace,
        connectionOptions: { address: stack.temporalAddress },
        webUiUrl: stack.webUiUrl,
        codecKeysFile: stack.codecKeysFile,
      },
      gcpEndpoint: explicitGcp ?? stack.emulatorUrl,
      stateDir,
    };
  }
  return {
    temporal: { source: 'none', address: DEFAULT_LOCAL_ADDRESS, namespace: 'default', connectionOptions: { address: DEFAULT_LOCAL_ADDRESS } },
    gcpEndpoint: explicitGcp,
    stateDir,
  };
}

/** The codec keys that go with a target: the embedded stack's own, or the environment's. */
export function codecKeysFor(target: TemporalTarget, env: NodeJS.ProcessEnv = process.env): CodecKeySet {
  if (target.source === 'dev-stack' && target.codecKeysFile) return codecKeysFromFile(target.codecKeysFile, 'the dev stack codec key file');
  const keys = codecKeysFromEnv(env);
  if (!keys) {
    throw new InvalidInputError(
      CODEC_KEYS_ENV,
      `must be set (or ${CODEC_KEYS_FILE_ENV}) to reach Temporal at ${target.address}: every payload is encrypted; format <keyId>:<base64 32-byte key>`,
    );
  }
  return keys;
}

export function unreachable(target: TemporalTarget, stateDir: string, cause?: unknown): OperationFailedError {
  const why = target.source === 'none' ? ` (no embedded stack is running in ${stateDir})` : cause instanceof Error ? ` (${firstLine(cause.message)})` : '';
  return new OperationFailedError(
    `Temporal is not reachable at ${target.address}${why}: run \`agents-plane dev up\` or set TEMPORAL_ADDRESS`,
    'TEMPORAL_UNREACHABLE',
  );
}

export interface ConnectOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** How long to wait for the frontend before failing (default 10 s). */
  readonly connectTimeoutMs?: number;
}

/** A Temporal client on the resolved target, with the encrypting codec installed. */
export async function connectClient(options: ConnectOptions = {}): Promise<Client> {
  const env = options.env ?? process.env;
  const stack = await resolveStack(env);
  const target = stack.temporal;
  if (target.source === 'none') throw unreachable(target, stack.stateDir);
  const keys = codecKeysFor(target, env);
  let connection: Connection;
  try {
    connection = await Connection.connect(clientConnectionOptions(target, options.connectTimeoutMs ?? 10_000));
  } catch (error) {
    throw unreachable(target, stack.stateDir, error);
  }
  return new Client({ connection, namespace: target.namespace, dataConverter: encryptingDataConverter(keys) });
}

/** The target's connection settings in the shape the (non-native) client Connection takes. */
export function clientConnectionOptions(target: TemporalTarget, connectTimeoutMs: number): ConnectionOptions {
  const { address, tls, apiKey, metadata } = target.connectionOptions;
  return {
    address,
    ...(tls !== undefined ? { tls } : {}),
    ...(typeof apiKey === 'string' ? { apiKey } : {}),
    ...(metadata !== undefined ? { metadata } : {}),
    connectTimeout: connectTimeoutMs,
  };
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
