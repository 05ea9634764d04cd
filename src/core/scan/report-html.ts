/**
 * The scan's self-contained HTML report: no scripts, no external resources (it opens from a USB
 * stick on an offline workstation). Per series: the verdict, an attention timeline as inline SVG
 * (attention per slice along z, predicted-positive slices shaded, top slices marked) and the key
 * slices as inline PNG thumbnails.
 */
import { assumptionsOf, lungVolumeText, type SeriesResult } from '../analysis/index.js';
import type { ScanResults } from './results-schema.js';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * Attention along the slices as an SVG area chart, with the uniform weight 1/N as a dashed line.
 * A sparse set's slices are sections far apart: they are drawn as separate bars, labelled by
 * index, without the inferior/superior axis of a volume.
 */
export function timelineSvg(item: SeriesResult, width = 560, height = 90): string {
  const a = item.sliceAttention;
  const n = a.length;
  if (n === 0) return '';
  const max = Math.max(...a, 2 / n);
  const x = (k: number) => (n === 1 ? width / 2 : (k / (n - 1)) * (width - 2) + 1);
  const y = (v: number) => height - 14 - (v / max) * (height - 20);
  const band = Math.max(1, (width - 2) / n);
  const positives = item.slicePositive
    .map((p, k) => (p ? `<rect x="${(x(k) - band / 2).toFixed(1)}" y="0" width="${band.toFixed(1)}" height="${height - 14}" fill="#f4c7c3"/>` : ''))
    .join('');
  const line = a.map((v, k) => `${x(k).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const area = `1,${height - 14} ${line} ${x(n - 1).toFixed(1)},${height - 14}`;
  const tops = item.topSlices
    .map((k) => `<circle cx="${x(k).toFixed(1)}" cy="${y(a[k]!).toFixed(1)}" r="3" fill="#b3261e"><title>slice ${k}: attention ${(a[k]! * n).toFixed(2)}× uniform</title></circle>`)
    .join('');
  const uniform = y(1 / n).toFixed(1);
  if (item.contiguous === false) {
    const bars = a.map((v, k) => `<rect x="${(x(k) - band * 0.35).toFixed(1)}" y="${y(v).toFixed(1)}" width="${(band * 0.7).toFixed(1)}" height="${(height - 14 - y(v)).toFixed(1)}" fill="#1a73e8"><title>slice ${k + 1} of ${n}: attention ${(v * n).toFixed(2)}× uniform</title></rect>`).join('');
    return `<svg class="timeline" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="slice attention, slice by slice (not a contiguous volume)">`
      + positives + bars
      + `<line x1="0" x2="${width}" y1="${uniform}" y2="${uniform}" stroke="#5f6368" stroke-dasharray="3 3" stroke-width="0.8"/>`
      + `<text x="1" y="${height - 2}" font-size="10" fill="#5f6368">slices 1–${n} (separate sections, by file name)</text></svg>`;
  }
  return `<svg class="timeline" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="slice attention along z">`
    + positives
    + `<polygon points="${area}" fill="#c6dafc"/><polyline points="${line}" fill="none" stroke="#1a73e8" stroke-width="1.2"/>`
    + `<line x1="0" x2="${width}" y1="${uniform}" y2="${uniform}" stroke="#5f6368" stroke-dasharray="3 3" stroke-width="0.8"/>`
    + tops
    + `<text x="1" y="${height - 2}" font-size="10" fill="#5f6368">slice 0 (inferior)</text>`
    + `<text x="${width - 1}" y="${height - 2}" font-size="10" fill="#5f6368" text-anchor="end">slice ${n - 1} (superior)</text></svg>`;
}

function verdictCell(item: SeriesResult): string {
  if (item.status !== 'ok') return `<span class="badge ${item.status}">${item.status}</span>`;
  const [cls, label] = item.verdict === 'covid' ? ['covid', 'COVID-19 suspected'] : item.verdict === 'indeterminate' ? ['indeterminate', 'Indeterminate — no answer'] : ['clear', 'No COVID-19 pattern'];
  return `<span class="badge ${cls}">${label}</span> <span class="p">p = ${item.probability!.toFixed(3)}</span>`;
}

/** Why the model gave no answer, one sentence each (an indeterminate volume only). */
function reasonsList(item: SeriesResult): string {
  if (item.verdict !== 'indeterminate' || !item.reasons?.length) return '';
  return `<ul class="reasons">${item.reasons.map((r) => `<li>${escapeHtml(r.message)}</li>`).join('')}</ul>`;
}

export function reportHtml(results: ScanResults, thumbnails: (item: SeriesResult, slice: number) => Buffer | null, intendedUse: string): string {
  const s = results.summary;
  const rows = results.items.map((item, i) => {
    const detail = item.status === 'ok'
      ? `${timelineSvg(item)}<div class="thumbs">${item.topSlices.map((k) => {
        const png = thumbnails(item, k);
        return png ? `<figure><img alt="slice ${k}" src="data:image/png;base64,${png.toString('base64')}"><figcaption>slice ${k} · ${(item.sliceAttention[k]! * item.sliceAttention.length).toFixed(1)}×</figcaption></figure>` : '';
      }).join('')}</div>`
      : `<p class="error"><code>${escapeHtml(item.error?.code ?? 'error')}</code> ${escapeHtml(item.error?.message ?? '')}</p>`;
    const assumed = assumptionsOf(item);
    const shown = new Set(assumed ? assumed.lines : []);
    const others = item.warnings.filter((w) => !shown.has(w.message));
    const warnings = others.length ? `<ul class="warnings">${others.map((w) => `<li><code>${escapeHtml(w.code)}</code> ${escapeHtml(w.message)}</li>`).join('')}</ul>` : '';
    const band = assumed ? `<div class="assumed"><b>${escapeHtml(assumed.title)}</b><ul>${assumed.lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul></div>` : '';
    const dims = item.dimensions ? `${item.dimensions.join('×')}` : '';
    const lungs = lungVolumeText(item);
    return `<section class="series" id="s${i}"><h2>${escapeHtml(item.seriesDescription || item.id)} ${verdictCell(item)}${assumed ? ` <span class="badge uncal">${escapeHtml(assumed.title.toLowerCase())}</span>` : ''}</h2>`
      + `<p class="meta">${escapeHtml(item.path)} · ${dims}${lungs ? ` · lungs ${escapeHtml(lungs)}` : ''}`
      + `${item.slicePositive.length ? ` · ${item.slicePositive.filter(Boolean).length} positive slices` : ''}</p>${reasonsList(item)}${band}${detail}${warnings}</section>`;
  }).join('\n');
  const m = results.model;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>LungLens scan report</title><style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#202124;max-width:980px}
h1{font-size:20px}h2{font-size:15px;margin:0 0 4px}.meta{color:#5f6368;margin:0 0 6px;font-size:12px;word-break:break-all}
.series{border-top:1px solid #dadce0;padding:12px 0}.badge{border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600}
.covid{background:#fce8e6;color:#b3261e}.clear{background:#e6f4ea;color:#137333}.indeterminate{background:#fef7e0;color:#8a5a00}
.reasons{font-size:13px;color:#8a5a00;margin:4px 0}.error{color:#b3261e}.badge.error{background:#fce8e6}
.badge.skipped{background:#f1f3f4;color:#5f6368}.p{color:#5f6368;font-size:12px}.thumbs{display:flex;gap:8px;flex-wrap:wrap}
figure{margin:0}figcaption{font-size:11px;color:#5f6368}.notice{background:#fef7e0;padding:8px 12px;border-radius:6px}
.warnings{font-size:12px;color:#5f6368;margin:4px 0 0}.badge.uncal{background:#fef7e0;color:#8a5300}
.assumed{background:#fef7e0;border-left:3px solid #f9ab00;padding:6px 10px;margin:6px 0;font-size:12px}.assumed ul{margin:2px 0 0;padding-left:18px}</style></head><body>
<h1>LungLens scan report</h1>
<p class="notice">${escapeHtml(intendedUse)}</p>
<p>Model <b>${escapeHtml(m.name)}</b> (${escapeHtml(m.version)}, sha256 ${m.sha256.slice(0, 12)}…) on ${escapeHtml(m.executionProvider)}${m.provider.fallbackReason ? ` — ${escapeHtml(m.provider.fallbackReason)}` : '.'}</p>
<p>${s.series} series: ${s.ok} analysed (${s.covid} COVID-19 suspected, ${s.nonCovid} not${s.indeterminate ? `, ${s.indeterminate} indeterminate` : ''}), ${s.error} with errors, ${s.skipped} skipped${results.complete ? '' : ' — <b>the scan did not finish; run it again with --resume</b>'}.</p>
${rows}
</body></html>
`;
}
