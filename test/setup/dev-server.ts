/** A Temporal dev server for tests: free ports, a SQLite file, recorded for the global teardown. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stopProcess, type ProcessRecord } from '../../src/runtime/processes.js';
import { freePort } from '../../src/runtime/ports.js';
import { startDevServer } from '../../src/runtime/temporal-dev-server.js';

export interface TestDevServer {
  readonly address: string;
  readonly port: number;
  readonly uiPort: number;
  readonly webUiUrl: string;
  readonly dbFile: string;
  readonly record: ProcessRecord;
  /** SIGTERM (SIGKILL after 10 s); resolves when the process is gone. */
  stop(): Promise<void>;
}

export interface TestDevServerOptions {
  readonly temporalBin: string;
  readonly dbFile: string;
  readonly logFile: string;
  readonly processDir: string;
  /** Reuse a port (a restart on the same address); default a free one. */
  readonly port?: number;
  readonly uiPort?: number;
  readonly timeoutMs?: number;
}

export async function startTestDevServer(options: TestDevServerOptions): Promise<TestDevServer> {
  // Ports are picked free but bound later; another process can take one in between, so retry.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = options.port ?? (await freePort());
    const uiPort = options.uiPort ?? (await freePort());
    let record: ProcessRecord | undefined;
    try {
      const server = await startDevServer(
        {
          temporalBin: options.temporalBin,
          dbFile: options.dbFile,
          ip: '127.0.0.1',
          port,
          uiPort,
          namespace: 'default',
          logFile: options.logFile,
          cwd: options.processDir,
          // Entity workflows are told to continue-as-new after 40 events instead of thousands, so
          // every end-to-end suite crosses continue-as-new boundaries of the plane entity.
          dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 },
        },
        {
          timeoutMs: options.timeoutMs ?? 90_000,
          onSpawn: async (spawned) => {
            record = spawned;
            await writeFile(join(options.processDir, `${spawned.pid}.json`), JSON.stringify(spawned));
          },
        },
      );
      return {
        address: server.address,
        port,
        uiPort,
        webUiUrl: server.webUiUrl,
        dbFile: options.dbFile,
        record: server.record,
        stop: async () => {
          await stopProcess(server.record, 10_000);
        },
      };
    } catch (error) {
      lastError = error;
      if (record) await stopProcess(record, 5_000).catch(() => {});
      if (options.port !== undefined) break;
    }
  }
  throw lastError;
}
