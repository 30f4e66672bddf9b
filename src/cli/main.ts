/** Entry point of the `agents-plane` binary (bin/agents-plane.js imports this module). */
import { CommanderError } from 'commander';
import { EXIT_BAD_INPUT, EXIT_OK, reportError } from './command.js';
import { buildProgram } from './program.js';

async function main(argv: readonly string[]): Promise<void> {
  // Known before parsing, so that even a usage error is reported in the requested form.
  const json = argv.slice(2).includes('--json');
  const program = buildProgram({ json });
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) {
        process.exitCode = EXIT_OK;
        return;
      }
      // Commander has printed the message already unless --json asked for the envelope.
      if (json) reportError(error, true);
      process.exitCode = EXIT_BAD_INPUT;
      return;
    }
    reportError(error, json);
  }
}

await main(process.argv);
