/**
 * The emulator's only source of randomness for modelled behaviour (latency jitter, fault rates), so a
 * run can be replayed exactly with a seed. Identifiers (etags, ids) do not come from here: they only
 * need to be unique.
 */

export type Random = () => number;

/** mulberry32: tiny, fast, and good enough for jitter and coin flips. */
function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded generator when `seed` is given, otherwise Math.random. */
export function createRandom(seed?: number): Random {
  return seed === undefined ? Math.random : mulberry32(seed);
}
