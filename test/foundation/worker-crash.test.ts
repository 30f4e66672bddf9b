/**
 * A worker process killed with SIGKILL in the middle of a workflow, then started again, lets the
 * workflow finish with the state it had before the crash: it is rebuilt from the history, not memory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { connectTestClient, eventually, spawnWorkerProcess, uniqueName } from '../setup/harness.js';

describe('worker crash', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connectTestClient();
  });
  afterAll(async () => {
    await client.connection.close();
  });

  it('a workflow survives a SIGKILLed worker once a new worker starts', async () => {
    const taskQueue = uniqueName('tq-crash');
    // A killed worker's cached workflows wait on its sticky queue until this timeout (SDK default 10 s)
    // before any worker may take them; 1 s keeps the test short without changing what it proves.
    const env = { AGENTS_PLANE_WORKER_STICKY_QUEUE_TIMEOUT_MS: '1000' };
    const first = await spawnWorkerProcess({ taskQueue, env });
    await first.waitUntilPolling();

    const handle = await client.workflow.start('collector', {
      taskQueue,
      workflowId: uniqueName('collector'),
      args: [3],
      // A task handed to the dead worker's last open poll times out after this (default 10 s).
      workflowTaskTimeout: '2s',
    });
    await handle.signal('add', 1);
    await handle.signal('add', 2);
    await eventually(async () => {
      const progress = await handle.query<{ received: number }>('progress');
      return progress.received === 2 ? progress : undefined;
    }, 'two signals processed by the first worker');

    await first.kill();
    // While no worker runs the workflow still accepts input; it is recorded in the history.
    await handle.signal('add', 4);

    const second = await spawnWorkerProcess({ taskQueue, env });
    try {
      await second.waitUntilPolling();
      expect(await handle.result()).toEqual({ values: [1, 2, 4], sum: 7 });
    } finally {
      await second.stop();
    }
    // The first worker really held the workflow before the kill, and the second one finished it.
    const identities = ((await handle.fetchHistory()).events ?? []).flatMap((e) => e.workflowTaskStartedEventAttributes?.identity ?? []);
    expect(identities.some((id) => id.startsWith(`${first.pid}@`))).toBe(true);
    expect(identities.at(-1)).toMatch(new RegExp(`^${second.pid}@`));
  });
});
