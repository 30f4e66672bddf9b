import type { Command } from 'commander';

/** Registers `agents-plane planes ...` (placeholder until the planes commands land). */
export function registerPlanesCommands(program: Command): void {
  program.command('planes').description('create and run planes of agents');
}
