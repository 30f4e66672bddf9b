/**
 * The demo's interim main job: one small workflow that goes through everything the stack offers
 * (client → encrypted payloads → Temporal → worker → result, search attributes for the Web UI).
 * It is replaced by real provisioning (planes create / add-agent against the emulator) once that lands.
 */
import { log, sleep } from '@temporalio/workflow';

export async function demoHello(input: { who: string; steps: number }): Promise<{ greeting: string; steps: number }> {
  for (let step = 1; step <= input.steps; step++) {
    log.info(`demo step ${step} of ${input.steps}`);
    await sleep(200);
  }
  return { greeting: `hello, ${input.who}`, steps: input.steps };
}
