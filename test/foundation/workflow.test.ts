/** A workflow runs to completion on the run's real dev server, with the project's search attributes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { OPERATION, PLANE_NAME, SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes.js';
import { connectTestClient, createInProcessWorker, eventually, uniqueName } from '../setup/harness.js';

describe('a workflow on the real dev server', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connectTestClient();
  });
  afterAll(async () => {
    await client.connection.close();
  });

  it('completes and is found by its search attributes', async () => {
    const taskQueue = uniqueName('tq-complete');
    const { worker, close } = await createInProcessWorker({ taskQueue });
    const workflowId = uniqueName('greeting');
    const operation = uniqueName('op');
    try {
      const result = await worker.runUntil(
        client.workflow.execute('greeting', {
          taskQueue,
          workflowId,
          args: ['world'],
          typedSearchAttributes: [
            { key: OPERATION, value: operation },
            { key: PLANE_NAME, value: 'fixture-plane' },
          ],
        }),
      );
      expect(result).toBe('hello, world');
    } finally {
      await close();
    }
    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const execution of client.workflow.list({ query: `Operation = '${operation}' AND PlaneName = 'fixture-plane'` })) {
        ids.push(execution.workflowId);
      }
      return ids.length > 0 ? ids : undefined;
    }, 'the workflow in visibility');
    expect(found).toEqual([workflowId]);
  });

  it('has every search attribute the workflows set registered as Keyword', async () => {
    const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    for (const key of SEARCH_ATTRIBUTES) {
      // 2 = INDEXED_VALUE_TYPE_KEYWORD
      expect(customAttributes?.[key.name], key.name).toBe(2);
    }
  });
});
