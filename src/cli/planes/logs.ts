/**
 * `planes logs --plane --name [--follow]`: the agent VM's serial console (boot, install, secret fetch,
 * gateway start, heartbeats), read with the caller's own credentials. --follow polls for new output.
 */
import type { Command } from 'commander';
import { parseAgentName, parsePlaneName } from '../../domain/names.js';
import { agentResourceNames } from '../../domain/resource-names.js';
import { gcpCall } from '../../gcp/errors.js';
import { InvalidInputError } from '../../domain/invalid-input.js';
import { runCommand } from '../command.js';
import { runningPlane } from './plane-handle.js';
import { sleep } from './progress.js';
import { withSession } from './session.js';

interface LogsOptions {
  plane?: string;
  name?: string;
  follow?: boolean;
}

export function registerLogs(planes: Command): void {
  planes
    .command('logs')
    .description("an agent VM's console output")
    .requiredOption('--plane <plane>', 'plane name')
    .requiredOption('--name <agent>', 'agent name')
    .option('--follow', 'keep printing new output until interrupted')
    .action(
      runCommand<LogsOptions, { plane: string; name: string; output: string }>(async (o, out) => {
        const plane = parsePlaneName(o.plane);
        const name = parseAgentName(o.name);
        return withSession(async (session) => {
          const client = await session.temporal();
          const { status } = await runningPlane(client, plane);
          if (!status.agents.some((a) => a.spec.name === name)) {
            throw new InvalidInputError('--name', `no agent named ${name} in plane ${plane}`);
          }
          const gcp = await session.google();
          const ref = {
            project: status.spec.project,
            zone: status.spec.zone,
            instance: agentResourceNames(status.spec.project, plane, name).instance,
          };
          const read = async (start: string | undefined) =>
            (await gcpCall('read serial port output', () => gcp.instances.getSerialPortOutput({ ...ref, port: 1, ...(start ? { start } : {}) })))[0];
          let chunk = await read(undefined);
          if (!o.follow || out.json) return { data: { plane, name, output: chunk.contents ?? '' }, human: (d) => d.output.replace(/\n$/, '') };
          process.stdout.write(chunk.contents ?? '');
          let stop = false;
          const onSignal = () => {
            stop = true;
          };
          process.once('SIGINT', onSignal);
          try {
            while (!stop) {
              await sleep(2000);
              chunk = await read(String(chunk.next ?? '0'));
              if (chunk.contents) process.stdout.write(chunk.contents);
            }
          } finally {
            process.off('SIGINT', onSignal);
          }
          return { data: { plane, name, output: '' }, human: () => '' };
        });
      }),
    );
}
