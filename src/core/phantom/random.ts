import { seededRandom, type RandomSource } from '../util/seeded-random.js';

/**
 * The phantom's one source of randomness: a seeded stream with the draws the generator needs.
 * `fork(label)` gives an independent child stream, so adding a draw to one part of the anatomy
 * never changes another part (a case stays recognisable while the generator evolves).
 */
export class Rng {
  private readonly next: RandomSource;
  private spare: number | null = null;

  constructor(readonly seed: number | string) {
    this.next = seededRandom(seed);
  }

  /** Uniform in [0, 1). */
  random(): number {
    return this.next();
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor((max - min + 1) * this.next());
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('cannot pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const m = Math.sqrt(-2 * Math.log(u));
    this.spare = m * Math.sin(2 * Math.PI * v);
    return m * Math.cos(2 * Math.PI * v);
  }

  /** A 32-bit seed for a child stream named `label`. */
  deriveSeed(label: string): number {
    return deriveSeed(this.seed, label);
  }

  fork(label: string): Rng {
    return new Rng(this.deriveSeed(label));
  }
}

/** A 32-bit seed from a parent seed and a label (the first output of their joint stream). */
export function deriveSeed(seed: number | string, label: string): number {
  return Math.floor(seededRandom(`${String(seed)}/${label}`)() * 4294967296);
}
