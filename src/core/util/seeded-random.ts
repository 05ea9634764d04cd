/** A source of uniform numbers in [0, 1), like Math.random. */
export type RandomSource = () => number;

/** xmur3: a 32-bit string hash used to expand a seed into generator state. */
function hashSeed(seed: string): () => number {
  let h = 1779033703 ^ seed.length;
  for (let i = 0; i < seed.length; i++) {
    h = Math.imul(h ^ seed.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  return () => {
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return (h ^= h >>> 16) >>> 0;
  };
}

/**
 * A deterministic random source (sfc32 with 128 bits of state) for reproducible test data:
 * the same seed always gives the same sequence.
 */
export function seededRandom(seed: number | string): RandomSource {
  const next = hashSeed(String(seed));
  let a = next();
  let b = next();
  let c = next();
  let d = next();
  const random = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) random();
  return random;
}
