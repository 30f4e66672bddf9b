/**
 * `agents-plane dev up|status|down` as a user runs them: the whole embedded stack comes up on free
 * ports in its own state folder, a second `up` only reports it, the Web UI is wired to the codec
 * endpoint, CLI clients find it without any TEMPORAL_* variable, and `down` leaves no process behind.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRunning, type ProcessRecord } from '../../src/runtime/processes.js';
import { EncryptionCodec } from '../../src/temporal/codec.js';
import { codecKeysFromFile } from '../../src/temporal/codec-keys.js';
import { connectClient } from '../../src/temporal/connection.js';
import { parseJson, runCli } from '../setup/cli.js';
import { projectEnv, testDir, testEnv, uniqueName } from '../setup/harness.js';

interface Stack {
  running: boolean;
  alreadyRunning?: boolean;
  stateDir: string;
  temporalAddress: string;
  namespace: string;
  webUiUrl: string;
  codecEndpoint: string;
  taskQueue: string;
  components: { name: string; pid: number; running: boolean }[];
}

describe('dev up / status / down', () => {
  let env: NodeJS.ProcessEnv;
  afterAll(async () => {
    // Whatever happened above, the stack must not outlive the test.
    if (env) await runCli(['dev', 'down'], env);
  });

  it('runs the embedded stack and stops every process it started', async () => {
    const home = await testDir('dev-home');
    // No TEMPORAL_* at all: the stack is what clients must find.
    env = projectEnv({ TEMPORAL_ADDRESS: undefined, TEMPORAL_NAMESPACE: undefined, AGENTS_PLANE_CODEC_KEYS: undefined, AGENTS_PLANE_HOME: home, AGENTS_PLANE_TASK_QUEUE: uniqueName('tq-dev') });

    const up = await runCli(['dev', 'up', '--json', '--temporal-port', '0', '--ui-port', '0', '--codec-port', '0', '--emulator-port', '0'], env);
    const stack = parseJson<Stack>(up);
    expect(up.code, up.stderr).toBe(0);
    // Recorded for the global teardown too, in case an assertion below fails before `dev down`.
    const recorded = JSON.parse(await readFile(join(stack.stateDir, 'stack.json'), 'utf8')) as { components: Record<string, ProcessRecord> };
    for (const record of Object.values(recorded.components)) await writeFile(join(testEnv().processDir, `${record.pid}.json`), JSON.stringify(record));
    expect(stack).toMatchObject({ running: true, alreadyRunning: false, namespace: 'default', stateDir: join(home, 'dev') });
    expect(stack.temporalAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(stack.webUiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.components.map((c) => c.name)).toEqual(expect.arrayContaining(['temporal', 'codec', 'worker']));
    expect(stack.components.every((c) => c.running)).toBe(true);

    const again = parseJson<Stack>(await runCli(['dev', 'up', '--json'], env));
    expect(again.alreadyRunning).toBe(true);
    expect(again.components.map((c) => c.pid)).toEqual(stack.components.map((c) => c.pid));

    const status = await runCli(['dev', 'status', '--json'], env);
    expect(parseJson<Stack>(status).running).toBe(true);

    // The Web UI is served and points at the codec endpoint.
    const settings = (await (await fetch(`${stack.webUiUrl}/api/v1/settings`)).json()) as { Codec: { Endpoint: string } };
    expect(settings.Codec.Endpoint).toBe(stack.codecEndpoint);

    // The codec endpoint decodes what the stack's key encrypted, for the Web UI's origin.
    const keys = codecKeysFromFile(join(stack.stateDir, 'codec-keys'), 'codec-keys');
    const [encrypted] = await new EncryptionCodec(keys).encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"via the UI"') }]);
    const res = await fetch(`${stack.codecEndpoint}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: stack.webUiUrl },
      body: JSON.stringify({
        payloads: [{ metadata: Object.fromEntries(Object.entries(encrypted!.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(encrypted!.data!).toString('base64') }],
      }),
    });
    const decoded = (await res.json()) as { payloads: { data: string }[] };
    expect(Buffer.from(decoded.payloads[0]!.data, 'base64').toString()).toBe('"via the UI"');

    // A client with no TEMPORAL_* configuration finds the stack through its state folder.
    const client = await connectClient({ env });
    try {
      const { namespaceInfo } = await client.workflowService.describeNamespace({ namespace: 'default' });
      expect(namespaceInfo?.name).toBe('default');
    } finally {
      await client.connection.close();
    }

    const down = await runCli(['dev', 'down', '--json'], env);
    expect(down.code, down.stderr).toBe(0);
    const stopped = parseJson<{ wasRunning: boolean; stopped: { name: string; outcome: string }[] }>(down);
    expect(stopped.wasRunning).toBe(true);
    // 'stopped' means it exited on SIGTERM within its grace time (graceful), not 'killed' by SIGKILL.
    expect(stopped.stopped.map((s) => [s.name, s.outcome])).toEqual(stack.components.map((c) => [c.name, 'stopped']).reverse());
    // isRunning, not a bare kill(pid, 0): an exited child can linger as a zombie until init reaps it.
    for (const record of Object.values(recorded.components)) expect(isRunning(record), `${record.name} pid ${record.pid}`).toBe(false);
    expect(existsSync(join(stack.stateDir, 'stack.json'))).toBe(false);
    // The state survives for the next `dev up`.
    expect(existsSync(join(stack.stateDir, 'temporal.sqlite'))).toBe(true);

    expect(parseJson<Stack>(await runCli(['dev', 'status', '--json'], env)).running).toBe(false);
    expect(parseJson<{ wasRunning: boolean }>(await runCli(['dev', 'down', '--json'], env)).wasRunning).toBe(false);
  });
});
