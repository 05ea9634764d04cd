import { createHash, randomBytes } from 'node:crypto';
import type { RandomSource } from '../../util/seeded-random.js';

/** LungLens's own Implementation Class UID (a fixed UUID-derived UID under 2.25). */
export const LUNGLENS_IMPLEMENTATION_CLASS_UID = '2.25.97349982851743898060512120720386173490';
export const LUNGLENS_IMPLEMENTATION_VERSION_NAME = 'LUNGLENS_0_1';

/** UUID-derived UIDs (ISO/IEC 9834-8, PS3.5 §B.2): "2.25." and the UUID as one decimal integer. */
export const UUID_ROOT = '2.25.';

const UID_PATTERN = /^(0|[1-9]\d*)(\.(0|[1-9]\d*))*$/;

export interface UidOptions {
  /** The root the new UID lies under (default "2.25."). */
  root?: string;
  /** Where the random bits come from (default: crypto). Pass `seededRandom(seed)` for reproducible UIDs. */
  random?: RandomSource;
}

export function isValidUid(uid: string): boolean {
  return uid.length <= 64 && UID_PATTERN.test(uid);
}

function randomBits128(random: RandomSource | undefined): Uint8Array {
  if (!random) return randomBytes(16);
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i += 2) {
    const v = Math.floor(random() * 65536) & 0xffff;
    bytes[i] = v >>> 8;
    bytes[i + 1] = v & 0xff;
  }
  return bytes;
}

/** Marks 16 bytes as a UUID of the given version (4 random, 8 custom) with the RFC 4122 variant. */
function asUuid(bytes: Uint8Array, version: 4 | 8): bigint {
  bytes[6] = (bytes[6]! & 0x0f) | (version << 4);
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

function underRoot(root: string, digits: string): string {
  const prefix = root.endsWith('.') ? root : `${root}.`;
  if (!UID_PATTERN.test(prefix.slice(0, -1))) throw new RangeError(`"${root}" is not a UID root.`);
  const room = 64 - prefix.length;
  if (room < 1) throw new RangeError(`The root "${root}" leaves no room for a suffix within 64 characters.`);
  return prefix + digits.slice(0, room);
}

/**
 * A fresh UID: under "2.25." it is a version-4 UUID as a decimal integer; under another root the
 * same random digits are appended, cut to keep the UID within 64 characters.
 */
export function createUid(options: UidOptions = {}): string {
  const value = asUuid(randomBits128(options.random), 4);
  return underRoot(options.root ?? UUID_ROOT, value.toString());
}

/** A function that makes fresh UIDs with fixed options (e.g. one seeded source for a whole study). */
export function uidGenerator(options: UidOptions = {}): () => string {
  return () => createUid(options);
}

/** A UID derived from text (SHA-256, as a version-8 UUID): the same text always gives the same UID. */
export function uidFromText(text: string, root: string = UUID_ROOT): string {
  const digest = createHash('sha256').update(text, 'utf8').digest().subarray(0, 16);
  return underRoot(root, asUuid(new Uint8Array(digest), 8).toString());
}
