"""Real scans, reported honestly (README "Real data"): every real case scanned by a model that
never saw its patient — the shipped model where it did not, else the fold model that held the
patient out (leave-one-patient-out) — with its calibrated probability, OOD score, verdict and
reasons, and the metrics of `lunglens evaluate` over the pooled verdicts.

    python -m training real --final RUN --fold RUN [--fold RUN …] --data DIR [--data DIR …] --out REPORT
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional, Sequence

from .data import Pool, TrainingError
from .evaluate import RunJudge, fmt_interval, fmt_percent, labels_json, lunglens_evaluate
from .facts import facts_of, load_facts
from .train import TrainConfig, load_pools, load_run_model, resolve_device


class RealError(TrainingError):
    pass


def seen_groups(run: Path) -> tuple[set[str], list[str]]:
    """(patients whose cases the run trained or validated on, the patients it held out)."""
    _, checkpoint = load_run_model(run)
    config = TrainConfig(**checkpoint['config'])
    train_set, val_set = load_pools(config)
    seen = {c.group for c in train_set.cases} | {c.group for c in val_set.cases}
    if checkpoint['config'].get('init'):
        # A fine-tune inherits what its starting run saw.
        seen |= seen_groups(Path(checkpoint['config']['init']).parent if str(checkpoint['config']['init']).endswith('.pt')
                            else Path(checkpoint['config']['init']))[0]
    return seen, list(config.hold_out)


def choose_run(group: str, final: Path, folds: Sequence[Path], seen: dict[Path, set[str]], held: dict[Path, list[str]]) -> tuple[Path, str]:
    """The model that scans a patient's cases, and why: the final model if it never saw the
    patient, else the fold that held the patient out."""
    if group not in seen[final]:
        return final, 'shipped model (patient not used in its training or validation)'
    for fold in folds:
        if group in held[fold] and group not in seen[fold]:
            return fold, f'leave-one-patient-out: fold model {fold.name} (patient held out)'
    raise RealError(f'patient {group!r} was used to train the final model and no --fold holds it out: no honest score for it')


def manifest_identity(pool: Pool, manifest: Optional[str | Path]) -> Optional[dict]:
    """The real-data manifest (path, sha256) and its entries behind the pool's cases (an inserted
    case counts its background's entry)."""
    if manifest is None:
        return None
    path = Path(manifest)
    raw = path.read_bytes()
    m = json.loads(raw)
    groups = {c.group for c in pool.cases}
    entries = [{'id': s['id'], 'patient': s['patient_group'], 'label': s.get('label'), 'role': s.get('role'), 'uses': s.get('uses'),
                'source': s.get('source'), 'seriesInstanceUid': s.get('series_instance_uid')}
               for s in m.get('series') or [] if s.get('patient_group') in groups and s.get('role') != 'excluded']
    return {'path': str(path), 'sha256': hashlib.sha256(raw).hexdigest(), 'series': entries}


def real_report(final: str | Path, folds: Sequence[str | Path], data: Sequence[str | Path], out: str | Path, device: str = 'auto',
                uncalibrated: str = 'indeterminate', command: Optional[Sequence[str]] = None,
                log: Callable[[str], None] = print, manifest: Optional[str | Path] = None) -> dict:
    final, folds, out = Path(final), [Path(f) for f in folds], Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch_device = resolve_device(device)
    pool = Pool.load(data)
    facts = load_facts(pool)
    seen, held = {}, {}
    for run in [final, *folds]:
        seen[run], held[run] = seen_groups(run)
    judges: dict[Path, RunJudge] = {}
    items, rows = [], []
    # Case ids repeat across prepared folders (each numbers its own case-0001…): the report names
    # a case by its folder and id.
    qualified = {id(c): f'{pool.owner(c).root.name}/{c.id}' for c in pool.cases}
    for case in pool.cases:
        run, why = choose_run(case.group, final, folds, seen, held)
        judge = judges.get(run) or judges.setdefault(run, RunJudge(run, torch_device, uncalibrated))
        f = facts_of(facts, pool, case)
        item = {**judge.item(pool, case, f), 'id': qualified[id(case)]}
        items.append(item)
        a = item.get('abstention') or {}
        rows.append({'id': qualified[id(case)], 'patient': case.group, 'domain': case.domain, 'label': case.label, 'source': case.source,
                     'slices': case.slices, 'model': run.name, 'how': why, 'status': item['status'],
                     'probability': item['probability'], 'threshold': item['threshold'], 'classifierVerdict': item['verdict'],
                     'oodScore': item.get('oodScore'), 'oodThreshold': judge.ood.threshold if judge.ood else None,
                     'verdict': a.get('verdict') if item['status'] == 'ok' else 'not analysed',
                     'reasons': a.get('reasons') if item['status'] == 'ok' else [{'code': item['error']['code'], 'message': item['error']['message']}],
                     'facts': f.to_json() if f else None})
        p = '—' if item['probability'] is None else f'{item["probability"]:.3f}'
        log(f'{qualified[id(case)]} ({case.group}, {case.label}): {rows[-1]["verdict"]} p {p} via {run.name}')
    results = {'model': {'name': 'leave-one-patient-out', 'runs': {r.name: j.model_json for r, j in judges.items()}}, 'items': items}
    (out / 'results.json').write_text(json.dumps(results) + '\n')
    labels = labels_json(pool)
    # `patient` lets `lunglens evaluate` count the volumes of one patient as one cluster: they are not independent.
    labels['cases'] = [{**entry, 'id': qualified[id(c)], 'patient': c.group}
                       for entry, c in zip(labels['cases'], [c for c in pool.cases if c.label is not None])]
    (out / 'labels.json').write_text(json.dumps(labels, indent=1) + '\n')
    metrics = {}
    labelled = [c for c in pool.cases if c.label is not None]
    if {c.label for c in labelled} == {'covid', 'non-covid'}:
        metrics['all'] = lunglens_evaluate(out / 'results.json', out / 'labels.json', command)
    report = {
        'createdAt': datetime.now(timezone.utc).isoformat(timespec='seconds'), 'data': pool.identity(),
        'manifest': manifest_identity(pool, manifest),
        'models': {r.name: {'path': str(r.resolve()), 'heldOut': held[r], 'sha256': j.model_json['sha256']} for r, j in judges.items()},
        'cases': rows, 'metrics': metrics, 'summary': summarise(rows),
    }
    (out / 'report.json').write_text(json.dumps(report, indent=2) + '\n')
    (out / 'report.md').write_text(report_markdown(report))
    log(f'wrote {out / "report.md"} and report.json')
    return report


def summarise(rows: list[dict]) -> dict:
    """Verdict counts per (domain, label), and the issue's bar for real non-COVID scans: no covid
    verdict with p ≥ 0.5 (each non-covid, or indeterminate with a reason)."""
    out: dict = {}
    for r in rows:
        key = f'{r["domain"]}/{r["label"] or "unlabelled"}'
        d = out.setdefault(key, {'cases': 0, 'verdicts': {}})
        d['cases'] += 1
        d['verdicts'][r['verdict']] = d['verdicts'].get(r['verdict'], 0) + 1
    negatives = [r for r in rows if r['label'] == 'non-covid' and r['status'] == 'ok']
    out['nonCovidCalledCovid'] = sum(r['verdict'] == 'covid' for r in negatives)
    out['nonCovidCovidWithP50'] = sum(r['verdict'] == 'covid' and (r['probability'] or 0) >= 0.5 for r in negatives)
    out['nonCovidAnalysed'] = len(negatives)
    return out


def _p(v) -> str:
    return '—' if v is None else f'{v:.3f}'


def interval_note(ci: dict, volumes, patients: int) -> str:
    """How `lunglens evaluate` computed the intervals (its `ci95.method`), and a warning where they
    count volumes of one patient as independent (then they may be too wide or too narrow)."""
    method = ci.get('method') or 'intervals: not given'
    if ci.get('patients') is None and volumes is not None and volumes > patients:
        return f'{method}: volumes of one patient are not independent, so these do not hold here'
    return method


def report_markdown(report: dict) -> str:
    lines = ['# Real scans: leave-one-patient-out', '',
             '| case | patient | label | model | p (calibrated) | threshold | OOD score / limit | verdict | reasons |', '|---|---|---|---|---|---|---|---|---|']
    for r in report['cases']:
        reasons = '; '.join(x['code'] for x in (r['reasons'] or [])) or '—'
        ood = '—' if r['oodScore'] is None else f'{r["oodScore"]:.2f} / {r["oodThreshold"]:.2f}'
        lines.append(f'| {r["id"]} | {r["patient"]} | {r["label"] or "—"} | {r["model"]} | {_p(r["probability"])} | {_p(r["threshold"])} | {ood} | '
                     f'{r["verdict"]} | {reasons} |')
    m = report['metrics'].get('all')
    if m:
        v, s = m.get('volume') or {}, m.get('slice') or {}
        ci = v.get('ci95') or {}
        patients = len({r['patient'] for r in report['cases'] if r['label'] is not None and r['status'] == 'ok'})
        lines += ['', f'Pooled (classifier verdicts, before abstention): volume ACC {fmt_percent(v.get("acc"))}, SEN {fmt_percent(v.get("sen"))} '
                      f'({fmt_interval(ci.get("sen"))}), SPE {fmt_percent(v.get("spe"))} ({fmt_interval(ci.get("spe"))}), AUC {fmt_percent(v.get("auc"))} '
                      f'({fmt_interval(ci.get("auc"))}) ({v.get("count")} volumes of {patients} patients; {interval_note(ci, v.get("count"), patients)}); '
                      f'slice PRE {fmt_percent(s.get("pre"))}, F1 {fmt_percent(s.get("f1"))}, AUC {fmt_percent(s.get("auc"))} ({s.get("count")} slices).']
    lines += ['', f'Summary: {json.dumps(report["summary"])}']
    return '\n'.join(lines) + '\n'
