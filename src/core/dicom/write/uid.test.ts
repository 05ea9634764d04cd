import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../util/seeded-random.js';
import { createUid, isValidUid, uidFromText, uidGenerator, LUNGLENS_IMPLEMENTATION_CLASS_UID } from './uid.js';

/** The UUID a 2.25 UID encodes, as 32 hex digits. */
const uuidHex = (uid: string) => BigInt(uid.slice(5)).toString(16).padStart(32, '0');

describe('UIDs', () => {
  it('makes valid, distinct 2.25 UIDs from random version-4 UUIDs', () => {
    const uids = Array.from({ length: 500 }, () => createUid());
    expect(new Set(uids).size).toBe(500);
    for (const uid of uids) {
      expect(isValidUid(uid)).toBe(true);
      expect(uid.startsWith('2.25.')).toBe(true);
      expect(uuidHex(uid)[12]).toBe('4');
      expect('89ab').toContain(uuidHex(uid)[16]);
    }
    expect(isValidUid(LUNGLENS_IMPLEMENTATION_CLASS_UID)).toBe(true);
  });

  it('is deterministic with a seeded random source, and differs between seeds', () => {
    const a = uidGenerator({ random: seededRandom('study-1') });
    const b = uidGenerator({ random: seededRandom('study-1') });
    const c = uidGenerator({ random: seededRandom('study-2') });
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect(new Set(first).size).toBe(3);
    expect(c()).not.toBe(first[0]);
  });

  it('fits a UID under another root within 64 characters', () => {
    const root = '1.2.826.0.1.3680043.10.543.';
    const uid = createUid({ root, random: seededRandom(7) });
    expect(uid.startsWith(root)).toBe(true);
    expect(uid.length).toBeLessThanOrEqual(64);
    expect(isValidUid(uid)).toBe(true);
    expect(() => createUid({ root: '1.02.3' })).toThrow(/not a UID root/);
  });

  it('derives the same UID from the same text', () => {
    expect(uidFromText('phantom/seed=1/case=3')).toBe(uidFromText('phantom/seed=1/case=3'));
    expect(uidFromText('a')).not.toBe(uidFromText('b'));
    expect(uuidHex(uidFromText('a'))[12]).toBe('8');
  });
});
