/**
 * `planes secrets set --plane --agent --key`: the owner writes a secret value (from stdin or --from-file)
 * straight to the agent's Secret Manager secret with their own credentials. The value never goes
 * through Temporal, is never printed, and only the new version's name is reported.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { InvalidInputError } from '../../domain/invalid-input.js';
import { parseAgentName, parsePlaneName, parseSecretKey } from '../../domain/names.js';
import { agentResourceNames } from '../../domain/resource-names.js';
import { requireOwnerSecretKey } from '../../domain/specs.js';
import { gcpCall } from '../../gcp/errors.js';
import { runCommand } from '../command.js';
import { runningPlane } from './plane-handle.js';
import { withSession } from './session.js';

interface SecretsSetOptions {
  plane?: string;
  agent?: string;
  key?: string;
  fromFile?: string;
}

/** Secret Manager's payload limit. */
const MAX_PAYLOAD_BYTES = 64 * 1024;

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

async function readValue(fromFile: string | undefined): Promise<Buffer> {
  let value: Buffer;
  if (fromFile !== undefined) {
    try {
      value = await readFile(fromFile);
    } catch {
      throw new InvalidInputError('--from-file', `cannot read ${fromFile}`);
    }
  } else {
    if (process.stdin.isTTY) throw new InvalidInputError('--from-file', 'give the value on stdin (e.g. `... < token.txt`) or with --from-file');
    value = await readStdin();
  }
  // A trailing newline from `echo` or an editor is not part of a token.
  if (value.at(-1) === 0x0a) value = value.subarray(0, value.at(-2) === 0x0d ? -2 : -1);
  if (value.length === 0) throw new InvalidInputError('value', 'must not be empty');
  if (value.length > MAX_PAYLOAD_BYTES) throw new InvalidInputError('value', `must be at most ${MAX_PAYLOAD_BYTES} bytes`);
  return value;
}

export function registerSecrets(planes: Command): void {
  const secrets = planes.command('secrets').description("an agent's secrets (values are written, never read back)");
  secrets
    .command('set')
    .description("set an agent's secret from stdin or a file, straight to Secret Manager")
    .requiredOption('--plane <plane>', 'plane name')
    .requiredOption('--agent <agent>', 'agent name')
    .requiredOption('--key <KEY>', 'secret key, e.g. ANTHROPIC_API_KEY')
    .option('--from-file <path>', 'read the value from this file instead of stdin')
    .action(
      runCommand<SecretsSetOptions, { plane: string; agent: string; key: string; version: string }>(async (o) => {
        const plane = parsePlaneName(o.plane);
        const agent = parseAgentName(o.agent, '--agent');
        const key = requireOwnerSecretKey(parseSecretKey(o.key));
        return withSession(async (session) => {
          const client = await session.temporal();
          const { status } = await runningPlane(client, plane);
          const entry = status.agents.find((a) => a.spec.name === agent);
          if (!entry) throw new InvalidInputError('--agent', `no agent named ${agent} in plane ${plane}`);
          const value = await readValue(o.fromFile);
          const gcp = await session.google();
          const parent = agentResourceNames(status.spec.project, plane, agent).secretName(key);
          const [version] = await gcpCall('add secret version', () => gcp.secrets.addSecretVersion({ parent, payload: { data: value } }));
          value.fill(0);
          const versionId = (version.name ?? '').split('/').pop() ?? '';
          return {
            data: { plane, agent, key, version: versionId },
            human: (d) => `${d.key} of agent ${d.agent} set (version ${d.version}); the agent reads it at its next boot or restart`,
          };
        });
      }),
    );
}
