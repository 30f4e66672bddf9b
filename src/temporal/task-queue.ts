import { TASK_QUEUE } from './search-attributes.js';

/** The task queue clients start workflows on and workers poll: AGENTS_PLANE_TASK_QUEUE or the default. */
export function taskQueueFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.AGENTS_PLANE_TASK_QUEUE?.trim() || TASK_QUEUE;
}
