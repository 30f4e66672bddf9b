/**
 * The keys of the encrypting payload codec. They come from the environment, never from Temporal:
 *   AGENTS_PLANE_CODEC_KEYS       "<keyId>:<base64 of 32 bytes>[,<keyId>:<base64>...]"
 *   AGENTS_PLANE_CODEC_KEYS_FILE  a file holding the same text (what the embedded stack generates)
 * The first key encrypts; every listed key decrypts, so a key is rotated by putting the new one first
 * and keeping the old one until no open history needs it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InvalidInputError } from '../domain/invalid-input.js';

export interface CodecKey {
  readonly id: string;
  readonly key: Buffer;
}

export interface CodecKeySet {
  /** The key new payloads are encrypted with. */
  readonly active: CodecKey;
  readonly byId: ReadonlyMap<string, CodecKey>;
}

export const CODEC_KEYS_ENV = 'AGENTS_PLANE_CODEC_KEYS';
export const CODEC_KEYS_FILE_ENV = 'AGENTS_PLANE_CODEC_KEYS_FILE';

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const KEY_BYTES = 32;

/**
 * Parses a key list. `field` names where it came from, for the one-line error; the error never
 * repeats the text, which holds key material.
 */
export function parseCodecKeys(text: string, field: string): CodecKeySet {
  const entries = text
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new InvalidInputError(field, 'must list at least one <keyId>:<base64 key>');
  const keys: CodecKey[] = [];
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!KEY_ID.test(id)) {
      throw new InvalidInputError(field, `entry ${index + 1} must be <keyId>:<base64 key> with a key id of 1-64 letters, digits, '.', '_' or '-'`);
    }
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (key.length !== KEY_BYTES) {
      throw new InvalidInputError(field, `key "${id}" must be ${KEY_BYTES} bytes (AES-256) encoded in base64`);
    }
    if (keys.some((k) => k.id === id)) throw new InvalidInputError(field, `key id "${id}" is listed twice`);
    keys.push({ id, key });
  }
  return { active: keys[0]!, byId: new Map(keys.map((k) => [k.id, k])) };
}

/** The keys the environment names, or undefined when it names none. */
export function codecKeysFromEnv(env: NodeJS.ProcessEnv = process.env): CodecKeySet | undefined {
  const inline = env[CODEC_KEYS_ENV]?.trim();
  if (inline) return parseCodecKeys(inline, CODEC_KEYS_ENV);
  const file = env[CODEC_KEYS_FILE_ENV]?.trim();
  if (file) return codecKeysFromFile(file, CODEC_KEYS_FILE_ENV);
  return undefined;
}

export function codecKeysFromFile(path: string, field: string): CodecKeySet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidInputError(field, `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseCodecKeys(text, field);
}

/** A new single-key list in the AGENTS_PLANE_CODEC_KEYS format. */
export function generateCodecKeysText(keyIdPrefix = 'dev'): string {
  const id = `${keyIdPrefix}-${new Date().toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(3).toString('hex')}`;
  return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
}
