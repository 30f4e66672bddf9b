/** A program the startup script installs on the VM (guest-helpers.ts, guest-runtime-programs.ts): bash from constants only. */
export interface GuestProgram {
  readonly path: string;
  readonly text: string;
}

/** Every progress line starts with this tag, so `planes logs` can pick them out of the serial console. */
export const LOG_FUNCTION = `log() { printf 'agents-plane: %s\\n' "$*"; }`;

export function program(path: string, purpose: string, body: string): GuestProgram {
  const header = [
    '#!/bin/bash',
    `# ${purpose}`,
    '# Installed by the Agents Plane startup script and rewritten at every boot: do not edit.',
  ].join('\n');
  return { path, text: `${header}\n${body.trim()}\n` };
}
