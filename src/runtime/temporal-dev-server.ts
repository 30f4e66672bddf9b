/**
 * The Temporal CLI's dev server as a managed process: a SQLite file for durable state, the Web UI, the
 * project's search attributes registered at start, and a readiness wait of our own. (The SDK's
 * TestWorkflowEnvironment gives a dev server 5 s, which two busy cores regularly exceed, and cannot
 * point it at a persistent file.)
 */
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../temporal/search-attributes.js';
import { isRunning, logTail, spawnDetached, type ProcessRecord } from './processes.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface DevServerSpec {
  readonly temporalBin: string;
  readonly dbFile: string;
  readonly ip: string;
  readonly port: number;
  readonly uiPort: number;
  readonly namespace: string;
  /** Where the Web UI sends payloads to be decoded. */
  readonly codecEndpoint?: string;
  readonly logFile: string;
  readonly cwd: string;
  /** Server dynamic config overrides, e.g. a low continue-as-new suggestion for tests. */
  readonly dynamicConfig?: Readonly<Record<string, string | number>>;
}

export function devServerArgs(spec: DevServerSpec): string[] {
  const args = [
    'server', 'start-dev',
    '--db-filename', spec.dbFile,
    '--ip', spec.ip,
    '--port', String(spec.port),
    '--ui-port', String(spec.uiPort),
    '--namespace', spec.namespace,
    '--log-level', 'warn',
    // The dev server would otherwise phone home for a news feed on every UI load.
    '--ui-disable-news-fetch',
  ];
  for (const key of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=${searchAttributeTypeFlag(key.type)}`);
  if (spec.codecEndpoint) args.push('--ui-codec-endpoint', spec.codecEndpoint);
  for (const [key, value] of Object.entries(spec.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${key}=${value}`);
  return args;
}

/** The CLI spells types as Keyword, Text, ...; the SDK's keys carry KEYWORD, TEXT, ... */
function searchAttributeTypeFlag(type: string): string {
  const names: Record<string, string> = {
    TEXT: 'Text', KEYWORD: 'Keyword', INT: 'Int', DOUBLE: 'Double', BOOL: 'Bool', DATETIME: 'Datetime', KEYWORD_LIST: 'KeywordList',
  };
  const flag = names[type];
  if (!flag) throw new Error(`search attribute type ${type} has no dev server flag`);
  return flag;
}

export interface StartedDevServer {
  readonly record: ProcessRecord;
  readonly address: string;
  readonly webUiUrl: string;
}

export interface DevServerStartOptions {
  readonly timeoutMs: number;
  /** Called as soon as the process exists, before the readiness wait, so a caller can record it. */
  readonly onSpawn?: (record: ProcessRecord) => Promise<void> | void;
}

export async function startDevServer(spec: DevServerSpec, options: DevServerStartOptions): Promise<StartedDevServer> {
  const record = await spawnDetached({
    name: 'temporal',
    command: spec.temporalBin,
    args: devServerArgs(spec),
    env: process.env,
    cwd: spec.cwd,
    logFile: spec.logFile,
  });
  await options.onSpawn?.(record);
  const address = `${spec.ip}:${spec.port}`;
  const webUiUrl = `http://${spec.ip}:${spec.uiPort}`;
  await waitForTemporal({ address, namespace: spec.namespace, timeoutMs: options.timeoutMs, process: record });
  await waitForHttp(webUiUrl, { timeoutMs: options.timeoutMs, process: record, what: 'Temporal Web UI' });
  return { record, address, webUiUrl };
}

export interface TemporalReadiness {
  readonly address: string;
  readonly namespace: string;
  readonly timeoutMs: number;
  /** The process being waited for; its early death ends the wait with its log. */
  readonly process?: ProcessRecord;
}

/**
 * Ready means: the frontend answers, the namespace exists and every search attribute the workflows set
 * is registered (a workflow started before that would fail its first upsert).
 */
export async function waitForTemporal(readiness: TemporalReadiness): Promise<void> {
  const deadline = Date.now() + readiness.timeoutMs;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    throwIfExited(readiness.process, 'Temporal dev server');
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address: readiness.address, connectTimeout: 2_000 });
      await connection.workflowService.describeNamespace({ namespace: readiness.namespace });
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: readiness.namespace });
      const missing = SEARCH_ATTRIBUTES.map((k) => k.name).filter((name) => !(name in (customAttributes ?? {})));
      if (missing.length === 0) return;
      lastError = `search attributes not registered yet: ${missing.join(', ')}`;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    } finally {
      await connection?.close().catch(() => {});
    }
    await sleep(250);
  }
  throw new Error(`Temporal at ${readiness.address} was not ready after ${readiness.timeoutMs} ms (${lastError})${logHint(readiness.process)}`);
}

export async function waitForHttp(url: string, options: { timeoutMs: number; process?: ProcessRecord; what: string }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    throwIfExited(options.process, options.what);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status < 500) return;
      lastError = `HTTP ${res.status}`;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await sleep(200);
  }
  throw new Error(`${options.what} at ${url} was not ready after ${options.timeoutMs} ms (${lastError})${logHint(options.process)}`);
}

function throwIfExited(record: ProcessRecord | undefined, what: string): void {
  if (record && !isRunning(record)) throw new Error(`${what} exited during start-up${logHint(record)}`);
}

function logHint(record: ProcessRecord | undefined): string {
  return record ? `\n--- ${record.logFile} (last lines) ---\n${logTail(record.logFile)}` : '';
}

