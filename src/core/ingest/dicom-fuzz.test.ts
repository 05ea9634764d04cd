// The reader against thousands of mutated DICOM files — truncated, bytes flipped, lengths set
// huge, VRs made up, sequences nested thousands deep: every file is either read or rejected with
// a code and a sentence, nothing crashes or hangs, and memory stays bounded.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { writePhantoms } from '../phantom/index.js';
import { inspectPaths } from './inspect.js';

const VRS = ['AE', 'AS', 'CS', 'DA', 'DS', 'IS', 'LO', 'OB', 'OW', 'SH', 'SQ', 'UI', 'UL', 'US', 'UN'];
let bases: Buffer[] = [];
let folder: string;
let written = 0;

/** A Part 10 header followed by a sequence nested `depth` items deep, never closed. */
function deepSequence(base: Buffer, depth: number): Buffer {
  const meta = base.subarray(0, base.indexOf(Buffer.from([0x08, 0x00]), 132 + 12)); // preamble, DICM, file meta group
  const parts: Buffer[] = [meta];
  for (let i = 0; i < depth; i++) {
    parts.push(Buffer.from([0x08, 0x00, 0x15, 0x11, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff])); // (0008,1115) SQ, undefined length
    parts.push(Buffer.from([0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff])); // item, undefined length
  }
  return Buffer.concat(parts);
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 24 }), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('huge-length' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('bogus-vr' as const), n: fc.integer({ min: 1, max: 6 }), vr: fc.stringMatching(/^[A-Z]{2}$/) }),
  fc.record({ kind: fc.constant('deep-sequence' as const), depth: fc.integer({ min: 100, max: 20_000 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(base: Buffer, m: Mutation): Buffer {
  const b = Buffer.from(base);
  const pos = (f: number) => Math.min(b.length - 1, Math.floor(f * b.length));
  switch (m.kind) {
    case 'truncate': return b.subarray(0, Math.max(133, pos(m.at)));
    case 'flip': for (const f of m.at) b[pos(f)] = m.value; return b;
    case 'huge-length': b.writeUInt32LE(0xfffffff0, Math.max(132, pos(m.at) & ~1) % (b.length - 4)); return b;
    case 'bogus-vr': {
      let done = 0;
      for (let i = 136; i < b.length - 2 && done < m.n; i++) {
        if (VRS.includes(b.toString('latin1', i, i + 2)) && i % 2 === 0) {
          b.write(m.vr, i, 'latin1');
          done++;
          i += 40;
        }
      }
      return b;
    }
    case 'deep-sequence': return deepSequence(base, m.depth);
  }
}

/**
 * The base file with its SOP Instance UID's last digits replaced by `n` (same length, in the file
 * meta and the data set): every mutant is an instance of its own, so the series builder and the
 * pixel decoders see it instead of dropping it as a duplicate.
 */
function uniqueInstance(base: Buffer, n: number): Buffer {
  const b = Buffer.from(base);
  const at = b.indexOf(Buffer.from([0x02, 0x00, 0x03, 0x00])); // (0002,0003) MediaStorageSOPInstanceUID
  const length = b.readUInt16LE(at + 6);
  const uid = b.toString('latin1', at + 8, at + 8 + length).replace(/\0$/, '');
  const digits = String(n).padStart(5, '0');
  const unique = `${uid.slice(0, uid.length - digits.length)}${digits}`;
  for (let i = b.indexOf(uid, 0, 'latin1'); i >= 0; i = b.indexOf(uid, i + 1, 'latin1')) b.write(unique, i, 'latin1');
  return b;
}

beforeAll(async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'lunglens-fuzz-'));
  const labels = await writePhantoms({ out: path.join(root, 'base'), count: 1, seed: 'fuzz', size: 64, slices: [4, 4] });
  const dir = path.join(root, 'base', labels.cases[0]!.path);
  bases = readdirSync(dir).map((f) => readFileSync(path.join(dir, f)));
  folder = path.join(root, 'mutants');
  const samples = fc.sample(fc.tuple(fc.nat({ max: bases.length - 1 }), mutation), { numRuns: 2500, seed: 20261127 });
  mkdirSync(folder);
  for (const [i, m] of samples) writeFileSync(path.join(folder, `m${String(written).padStart(5, '0')}.dcm`), mutate(uniqueInstance(bases[i]!, written++), m));
}, 120_000);

describe('DICOM fuzzing', () => {
  it('reads or rejects every one of 2,500 mutated files, with a code and a sentence, within bounded time and memory', async () => {
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const result = await inspectPaths([folder], { workers: 2 });
    const seconds = (performance.now() - started) / 1000;
    const rssGrowth = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    const accounted = new Set([...result.rejected.map((r) => r.path), ...result.series.flatMap((s) => s.files)]);
    // every file is part of a series that was read, or rejected — with a code and a sentence
    for (const f of readdirSync(folder)) expect(accounted.has(path.join(folder, f)), f).toBe(true);
    for (const r of result.rejected) {
      expect(r.code).toMatch(/^[a-z-]+$/);
      expect(r.message.length).toBeGreaterThan(10);
    }
    expect(result.rejected.length).toBeGreaterThan(500);
    expect(result.rejected.filter((r) => r.code === 'duplicate-instance').length).toBeLessThan(100);
    const counts = new Map<string, number>();
    for (const r of result.rejected) counts.set(r.code, (counts.get(r.code) ?? 0) + 1);
    const codes = [...counts].map(([c, n]) => `${c} ${n}`).join(', ');
    console.log(`dicom fuzz: ${written} files, ${result.rejected.length} rejected (${codes}), ${result.series.length} series read, ${seconds.toFixed(1)} s, RSS +${rssGrowth.toFixed(0)} MiB`);
    expect(seconds).toBeLessThan(120);
    expect(rssGrowth).toBeLessThan(1024);
  }, 180_000);
});
