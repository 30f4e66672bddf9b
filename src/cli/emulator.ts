import type { Command } from 'commander';

/** Registers `agents-plane emulator ...` (placeholder until the emulator lands). */
export function registerEmulatorCommands(program: Command): void {
  program.command('emulator').description('the local GCP emulator');
}
