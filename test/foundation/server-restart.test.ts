/**
 * The dev server stopped and started again on the same SQLite file keeps a running workflow's state.
 * Uses a private server: the shared one must stay up for the files running in parallel.
 */
import { describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { encryptingDataConverter } from '../../src/temporal/codec.js';
import { codecKeySet, createInProcessWorker, eventually, startPrivateDevServer, uniqueName } from '../setup/harness.js';

async function clientFor(address: string): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace: 'default', dataConverter: encryptingDataConverter(codecKeySet()) });
}

describe('dev server restart', () => {
  it('keeps a workflow started before the restart and finishes it after', async () => {
    const first = await startPrivateDevServer();
    const taskQueue = uniqueName('tq-restart');
    const workflowId = uniqueName('collector');

    let client = await clientFor(first.address);
    const before = await createInProcessWorker({ taskQueue, address: first.address });
    await before.worker.runUntil(async () => {
      const handle = await client.workflow.start('collector', { taskQueue, workflowId, args: [2] });
      await handle.signal('add', 20);
      await eventually(async () => ((await handle.query<{ received: number }>('progress')).received === 1 ? true : undefined), 'first signal processed');
    });
    await before.close();
    await client.connection.close();
    await first.stop();

    const second = await startPrivateDevServer({ dbFile: first.dbFile, port: first.port, uiPort: first.uiPort });
    try {
      client = await clientFor(second.address);
      const after = await createInProcessWorker({ taskQueue, address: second.address });
      try {
        const handle = client.workflow.getHandle(workflowId);
        const result = await after.worker.runUntil(async () => {
          await handle.signal('add', 22);
          return handle.result();
        });
        expect(result).toEqual({ values: [20, 22], sum: 42 });
      } finally {
        await after.close();
        await client.connection.close();
      }
    } finally {
      await second.stop();
    }
  });
});
