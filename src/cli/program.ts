/**
 * The `agents-plane` command tree. Every group registers itself from its own module; this file only
 * wires the root: the global --json flag, and usage errors turned into exit code 2.
 */
import { Command } from 'commander';
import { registerCodecCommands } from './codec.js';
import { registerDashboardCommand } from './dashboard.js';
import { registerDevCommands } from './dev.js';
import { registerEmulatorCommands } from './emulator.js';
import { registerPlanesCommands } from './planes/index.js';
import { registerWorkerCommand } from './worker.js';

export function buildProgram(options: { json: boolean }): Command {
  const program = new Command('agents-plane')
    .description('Provision and run a fleet of private, isolated OpenClaw agents on GCP, orchestrated by Temporal.')
    .option('--json', 'machine-readable output on stdout (errors too, as { "error": ... })')
    .showHelpAfterError(!options.json)
    // Commander's own process.exit would bypass the exit-code rules; its errors come back as exceptions.
    .exitOverride()
    .configureOutput({
      // Under --json the error is printed once, as JSON, by the caller.
      outputError: (text, write) => {
        if (!options.json) write(text);
      },
    });
  registerDevCommands(program);
  registerWorkerCommand(program);
  registerCodecCommands(program);
  registerEmulatorCommands(program);
  registerPlanesCommands(program);
  registerDashboardCommand(program);
  return program;
}
