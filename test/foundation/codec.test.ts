/**
 * The encrypting payload codec: what Temporal stores is ciphertext, clients holding the key read
 * plaintext, the codec endpoint decodes for the Web UI's origin only, and bad keys fail loudly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { InvalidInputError } from '../../src/domain/invalid-input.js';
import { EncryptionCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../src/temporal/codec.js';
import { generateCodecKeysText, parseCodecKeys } from '../../src/temporal/codec-keys.js';
import { startCodecServer } from '../../src/temporal/codec-server.js';
import { codecKeySet, connectRawClient, connectTestClient, createInProcessWorker, uniqueName } from '../setup/harness.js';

const utf8 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
const plain = (text: string): Payload => ({ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(text)) });

/** Every payload anywhere in a history (inputs, results, memos, failures...). */
function payloadsIn(value: unknown, found: Payload[] = []): Payload[] {
  if (value && typeof value === 'object') {
    const candidate = value as Payload;
    if (candidate.metadata && typeof candidate.metadata === 'object' && candidate.data instanceof Uint8Array) found.push(candidate);
    for (const child of Object.values(value)) payloadsIn(child, found);
  }
  return found;
}

describe('payloads in Temporal', () => {
  let client: Client;
  let raw: Client;
  beforeAll(async () => {
    client = await connectTestClient();
    raw = await connectRawClient();
  });
  afterAll(async () => {
    await client.connection.close();
    await raw.connection.close();
  });

  it('are ciphertext in the fetched history, and plaintext to a client with the key', async () => {
    const taskQueue = uniqueName('tq-codec');
    const marker = `plaintext-marker-${uniqueName('m')}`;
    const { worker, close } = await createInProcessWorker({ taskQueue });
    const workflowId = uniqueName('echo');
    try {
      const result = await worker.runUntil(client.workflow.execute('echo', { taskQueue, workflowId, args: [{ message: marker }] }));
      expect(result).toEqual({ message: marker });
    } finally {
      await close();
    }

    const history = await raw.workflow.getHandle(workflowId).fetchHistory();
    const payloads = payloadsIn(history);
    // Input and result at least.
    expect(payloads.length).toBeGreaterThanOrEqual(2);
    for (const payload of payloads) {
      expect(utf8(payload.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
      expect(utf8(payload.metadata?.[KEY_ID_METADATA])).toBe(codecKeySet().active.id);
      expect(Buffer.from(payload.data!).includes(Buffer.from(marker))).toBe(false);
    }
    expect(Buffer.from(JSON.stringify(history)).includes(Buffer.from(marker))).toBe(false);

    // The codec endpoint turns the stored input back into the JSON the Web UI shows.
    const allowedOrigin = 'http://127.0.0.1:8233';
    const server = await startCodecServer({ keys: codecKeySet(), allowedOrigins: [allowedOrigin] });
    try {
      const body = JSON.stringify({
        payloads: payloads.map((p) => ({
          metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
          data: Buffer.from(p.data!).toString('base64'),
        })),
      });
      const res = await fetch(`${server.url}/decode`, { method: 'POST', headers: { 'content-type': 'application/json', origin: allowedOrigin }, body });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(allowedOrigin);
      const decoded = (await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
      expect(Buffer.from(decoded.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
      expect(JSON.parse(Buffer.from(decoded.payloads[0]!.data, 'base64').toString())).toEqual({ message: marker });

      const foreign = await fetch(`${server.url}/decode`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://elsewhere.example' }, body });
      expect(foreign.status).toBe(403);
      const preflight = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin: allowedOrigin } });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-headers')).toContain('X-Namespace');
      const garbage = await fetch(`${server.url}/decode`, { method: 'POST', headers: { origin: allowedOrigin }, body: 'not json' });
      expect(garbage.status).toBe(400);
    } finally {
      await server.close();
    }
  });
});

describe('the codec itself', () => {
  it('round-trips payloads and never leaves the plaintext in the ciphertext', async () => {
    const codec = new EncryptionCodec(parseCodecKeys(generateCodecKeysText('t'), 'keys'));
    const [encrypted] = await codec.encode([plain('secret-ish text')]);
    expect(utf8(encrypted!.data)).not.toContain('secret-ish text');
    const [decrypted] = await codec.decode([encrypted!]);
    expect(utf8(decrypted!.data)).toBe('"secret-ish text"');
    expect(utf8(decrypted!.metadata?.encoding)).toBe('json/plain');
  });

  it('uses fresh IVs: the same payload encrypts differently each time', async () => {
    const codec = new EncryptionCodec(parseCodecKeys(generateCodecKeysText('t'), 'keys'));
    const [a, b] = await codec.encode([plain('x'), plain('x')]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('rejects tampered ciphertext and relabelled key ids', async () => {
    const keys = parseCodecKeys(`${generateCodecKeysText('a')},${generateCodecKeysText('b')}`, 'keys');
    const codec = new EncryptionCodec(keys);
    const [encrypted] = await codec.encode([plain('x')]);
    const tampered = Buffer.from(encrypted!.data!);
    tampered[20] = tampered[20]! ^ 1;
    await expect(codec.decode([{ ...encrypted!, data: tampered }])).rejects.toThrow(/failed authentication/);
    const otherId = [...keys.byId.keys()][1]!;
    const relabelled = { ...encrypted!, metadata: { ...encrypted!.metadata, [KEY_ID_METADATA]: Buffer.from(otherId) } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/failed authentication/);
  });

  it('decodes with an older key after rotation, and names a missing key id', async () => {
    const oldKey = generateCodecKeysText('old');
    const newKey = generateCodecKeysText('new');
    const [byOld] = await new EncryptionCodec(parseCodecKeys(oldKey, 'keys')).encode([plain('kept')]);
    const rotated = new EncryptionCodec(parseCodecKeys(`${newKey},${oldKey}`, 'keys'));
    expect(utf8((await rotated.decode([byOld!]))[0]!.data)).toBe('"kept"');
    const [byNew] = await rotated.encode([plain('y')]);
    expect(utf8(byNew!.metadata?.[KEY_ID_METADATA])).toBe(newKey.split(':')[0]);
    const withoutOld = new EncryptionCodec(parseCodecKeys(newKey, 'keys'));
    await expect(withoutOld.decode([byOld!])).rejects.toThrow(new RegExp(`key id "${oldKey.split(':')[0]}"`));
  });

  it('rejects malformed key lists with the field and rule, never echoing key material', () => {
    const short = `k1:${Buffer.alloc(16).toString('base64')}`;
    expect(() => parseCodecKeys(short, 'AGENTS_PLANE_CODEC_KEYS')).toThrow(InvalidInputError);
    expect(() => parseCodecKeys(short, 'AGENTS_PLANE_CODEC_KEYS')).toThrow(/invalid AGENTS_PLANE_CODEC_KEYS: key "k1" must be 32 bytes/);
    try {
      parseCodecKeys(`bad id:${Buffer.alloc(32, 7).toString('base64')}`, 'AGENTS_PLANE_CODEC_KEYS');
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain(Buffer.alloc(32, 7).toString('base64'));
    }
    expect(() => parseCodecKeys(' , ', 'AGENTS_PLANE_CODEC_KEYS')).toThrow(/at least one/);
  });
});
