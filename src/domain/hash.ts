/**
 * FNV-1a (32-bit) as 8 hex digits. Used to shorten resource names deterministically; it must run inside
 * workflow code, which cannot import node:crypto. Not a security primitive.
 */
export function shortHash(input: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < input.length; i++) {
    h ^= input.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
