// How reliable verdicts, spacing and lung volumes are on uncalibrated input (issue 18): the same
// phantom studies written as DICOM and as 8-bit PNG stacks in a lung and a mediastinal window,
// each set scanned with the built CLI (`npm run build` first) and scored with `lunglens evaluate`;
// per case the estimated pixel and slice spacing and lung volume against the phantom's truth.
//
//   npx tsx scripts/measure-uncalibrated.ts --out DIR [--count 24] [--seed uncal-18] [--size 512]
//
// Prints a table per case and the summary figures; writes DIR/summary.json.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writePhantoms, type PhantomLabels } from '../src/core/phantom/index.js';
import type { ScanResults } from '../src/core/scan/results-schema.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const out = path.resolve(flag('out', 'uncalibrated-measure'));
const count = Number(flag('count', '24'));
const seed = flag('seed', 'uncal-18');
const size = Number(flag('size', '512'));
const cli = path.resolve(import.meta.dirname, '../bin/lunglens.js');

type Set = 'dicom' | 'png-lung' | 'png-mediastinal';
const sets: Set[] = ['dicom', 'png-lung', 'png-mediastinal'];
const labels = new Map<Set, PhantomLabels>();
const results = new Map<Set, ScanResults>();
const evaluations = new Map<Set, unknown>();

for (const set of sets) {
  const dir = path.join(out, set);
  const labelsFile = path.join(dir, 'labels.json');
  if (!existsSync(labelsFile)) {
    const format = set === 'dicom' ? 'dicom' : 'png';
    const window = set === 'png-mediastinal' ? 'mediastinal' : 'lung';
    process.stderr.write(`writing ${count} phantoms as ${set} …\n`);
    await writePhantoms({ out: dir, count, seed, size, format, window });
  }
  labels.set(set, JSON.parse(readFileSync(labelsFile, 'utf8')) as PhantomLabels);
  const scanDir = path.join(out, `${set}-scan`);
  if (!existsSync(path.join(scanDir, 'results.json'))) {
    process.stderr.write(`scanning ${set} …\n`);
    try {
      execFileSync(process.execPath, [cli, 'scan', dir, '--out', scanDir], { stdio: ['ignore', 'ignore', 'inherit'] });
    } catch (error) {
      // Exit 2: nothing could be analysed (every series skipped) — results.json is still written.
      if ((error as { status?: number }).status !== 2) throw error;
    }
  }
  results.set(set, JSON.parse(readFileSync(path.join(scanDir, 'results.json'), 'utf8')) as ScanResults);
  try {
    evaluations.set(set, JSON.parse(execFileSync(process.execPath, [cli, 'evaluate', '--results', path.join(scanDir, 'results.json'), '--labels', labelsFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })));
  } catch {
    evaluations.set(set, { volume: null, note: 'no analysed series to evaluate' });
  }
}

const rows = labels.get('dicom')!.cases.map((c) => {
  const find = (set: Set) => {
    const entry = labels.get(set)!.cases.find((x) => x.id === c.id)!;
    const folder = path.join(out, set, entry.path);
    return results.get(set)!.items.find((i) => (set === 'dicom' ? i.seriesInstanceUid === c.seriesInstanceUid : i.path === folder));
  };
  const truth = labels.get('png-lung')!.cases.find((x) => x.id === c.id)!.truth!;
  const [d, l, m] = sets.map(find);
  const rel = (a: number | null | undefined, b: number) => (a === null || a === undefined ? null : a / b - 1);
  return {
    id: c.id, label: c.label, truthSpacing: truth.spacingMm, truthLungMl: truth.lungVolumeMl,
    verdict: { dicom: d?.verdict ?? d?.status, lung: l?.verdict ?? l?.status, mediastinal: m?.verdict ?? m?.status },
    probability: { dicom: d?.probability ?? null, lung: l?.probability ?? null, mediastinal: m?.probability ?? null },
    pixelError: { lung: rel(l?.spacingMm?.[0], truth.spacingMm[0]), mediastinal: rel(m?.spacingMm?.[0], truth.spacingMm[0]) },
    sliceError: { lung: rel(l?.spacingMm?.[2], truth.spacingMm[2]), mediastinal: rel(m?.spacingMm?.[2], truth.spacingMm[2]) },
    lungError: { dicom: rel(d?.lungVolumeMl, truth.lungVolumeMl), lung: rel(l?.lungVolumeMl, truth.lungVolumeMl), mediastinal: rel(m?.lungVolumeMl, truth.lungVolumeMl) },
    lungVsDicom: { lung: d?.lungVolumeMl ? rel(l?.lungVolumeMl, d.lungVolumeMl) : null, mediastinal: d?.lungVolumeMl ? rel(m?.lungVolumeMl, d.lungVolumeMl) : null },
    status: { dicom: d?.status, lung: l?.status, mediastinal: m?.status },
  };
});

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)} %`);
const share = (xs: (number | null)[], ok: (x: number) => boolean) => {
  const valid = xs.filter((x): x is number => x !== null);
  return { n: valid.length, within: valid.filter(ok).length };
};
console.log('| case | label | DICOM | PNG lung | PNG mediastinal | pixel err lung / med | slice err lung / med | lung vol err vs truth: DICOM / PNG lung / PNG med |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const v = (x: string | null | undefined, p: number | null) => `${x}${p !== null ? ` (${p.toFixed(2)})` : ''}`;
  console.log(`| ${r.id} | ${r.label} | ${v(r.verdict.dicom, r.probability.dicom)} | ${v(r.verdict.lung, r.probability.lung)} | ${v(r.verdict.mediastinal, r.probability.mediastinal)} | ${pct(r.pixelError.lung)} / ${pct(r.pixelError.mediastinal)} | ${pct(r.sliceError.lung)} / ${pct(r.sliceError.mediastinal)} | ${pct(r.lungError.dicom)} / ${pct(r.lungError.lung)} / ${pct(r.lungError.mediastinal)} |`);
}
const agree = (k: 'lung' | 'mediastinal') => rows.filter((r) => r.verdict[k] === r.verdict.dicom).length;
const summary = {
  date: new Date().toISOString(), count: rows.length, seed, size,
  verdictAgreement: { lung: agree('lung') / rows.length, mediastinal: agree('mediastinal') / rows.length },
  pixelWithin15: { lung: share(rows.map((r) => r.pixelError.lung), (x) => Math.abs(x) <= 0.15), mediastinal: share(rows.map((r) => r.pixelError.mediastinal), (x) => Math.abs(x) <= 0.15) },
  lungWithin20: {
    dicom: share(rows.map((r) => r.lungError.dicom), (x) => Math.abs(x) <= 0.2),
    lung: share(rows.map((r) => r.lungError.lung), (x) => Math.abs(x) <= 0.2),
    mediastinal: share(rows.map((r) => r.lungError.mediastinal), (x) => Math.abs(x) <= 0.2),
  },
  statusOk: Object.fromEntries(sets.map((s) => [s, results.get(s)!.items.filter((i) => i.status === 'ok').length])),
  evaluate: Object.fromEntries(sets.map((s) => [s, evaluations.get(s)])),
  rows,
};
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'summary.json'), `${JSON.stringify(summary, null, 1)}\n`);
const auc = (s: Set) => (evaluations.get(s) as { volume?: { auc?: number | null } | null }).volume?.auc ?? null;
console.log(`\n${rows.length} phantoms (seed ${seed}, ${size}²):`);
console.log(`verdict agreement with DICOM: lung-window PNG ${agree('lung')}/${rows.length}, mediastinal-window PNG ${agree('mediastinal')}/${rows.length}`);
console.log(`volume ROC AUC (lunglens evaluate): DICOM ${auc('dicom')}, PNG lung ${auc('png-lung')}, PNG mediastinal ${auc('png-mediastinal')}`);
console.log(`pixel spacing within 15 %: lung ${summary.pixelWithin15.lung.within}/${summary.pixelWithin15.lung.n}, mediastinal ${summary.pixelWithin15.mediastinal.within}/${summary.pixelWithin15.mediastinal.n}`);
console.log(`lung volume within 20 % of the truth: DICOM ${summary.lungWithin20.dicom.within}/${summary.lungWithin20.dicom.n}, PNG lung ${summary.lungWithin20.lung.within}/${summary.lungWithin20.lung.n}, PNG mediastinal ${summary.lungWithin20.mediastinal.within}/${summary.lungWithin20.mediastinal.n}`);
console.log(`status ok: ${JSON.stringify(summary.statusOk)}`);
