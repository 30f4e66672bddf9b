/**
 * The encrypting payload codec: every payload a client or worker sends to Temporal is AES-256-GCM
 * ciphertext, so inputs, results, memos and failure details in the history are unreadable without a
 * key. Metadata says the payload is encrypted and with which key id, so keys can rotate.
 *
 * Wire format of `data`: 12-byte IV ‖ ciphertext ‖ 16-byte GCM tag; the key id is the additional
 * authenticated data, so a payload cannot be relabelled with another key id. The plaintext is the
 * original payload as JSON ({ metadata: {name: base64}, data: base64 }), which keeps the codec free of
 * protobuf while preserving every metadata field of the original payload.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import type { CodecKeySet } from './codec-keys.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

interface PlainEnvelope {
  readonly metadata: Record<string, string>;
  readonly data: string;
}

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keys: CodecKeySet) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decrypt(payload));
  }

  private encrypt(payload: Payload): Payload {
    const { id, key } = this.keys.active;
    const envelope: PlainEnvelope = {
      metadata: Object.fromEntries(
        Object.entries(payload.metadata ?? {}).map(([name, value]) => [name, Buffer.from(value).toString('base64')]),
      ),
      data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
    };
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(utf8.encode(id));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(envelope), 'utf8'), cipher.final()]);
    return {
      metadata: { encoding: utf8.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8.encode(id) },
      data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
    };
  }

  private decrypt(payload: Payload): Payload {
    const encoding = payload.metadata?.encoding;
    // Payloads written before encryption, or by the server itself, pass through untouched.
    if (!encoding || fromUtf8.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
    const idBytes = payload.metadata?.[KEY_ID_METADATA];
    const id = idBytes ? fromUtf8.decode(idBytes) : '';
    const key = this.keys.byId.get(id);
    if (!key) {
      throw new Error(`payload is encrypted with key id "${id}", which is not among the configured codec keys (AGENTS_PLANE_CODEC_KEYS)`);
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new Error(`encrypted payload with key id "${id}" is truncated`);
    const decipher = createDecipheriv('aes-256-gcm', key.key, data.subarray(0, IV_BYTES));
    decipher.setAAD(utf8.encode(id));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plaintext: string;
    try {
      plaintext = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error(`encrypted payload with key id "${id}" failed authentication (wrong key or tampered data)`);
    }
    const envelope = JSON.parse(plaintext) as PlainEnvelope;
    return {
      metadata: Object.fromEntries(Object.entries(envelope.metadata).map(([name, value]) => [name, Buffer.from(value, 'base64')])),
      data: Buffer.from(envelope.data, 'base64'),
    };
  }
}

/** The data converter every client and worker of the project uses. */
export function encryptingDataConverter(keys: CodecKeySet): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(keys)] };
}
