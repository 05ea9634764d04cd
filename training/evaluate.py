"""Evaluation on a test split: deterministic whole-volume inference per case, `results.json` in
DESIGN.md §3's format, and the paper's metrics from `lunglens evaluate` — the project's one
implementation of them (TypeScript); Python only writes the inputs and reads its JSON.

With several runs (``--run`` repeated, e.g. the four ablations) the report has one row each.
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional, Sequence

import torch

from .data import PreparedSet, TrainingError
from .export import PROJECT_ROOT, evaluation_records, sha256_file
from .calibration import reliability
from .facts import analysable_facts, facts_of, load_facts, training_limits
from .inference import InputChecks, InputFacts, OodModel, decide, indeterminate_reasons, predict_volume, slice_positives
from .train import CHECKPOINT_BEST, TrainConfig, load_pools, load_run_model, resolve_device

ABLATION_ROWS = {'none': 'proposed', 'n-sca': 'N-SCA', 'n-sla': 'N-SLA', 'n-msca': 'N-MSCA'}
METRIC_KEYS = ('acc', 'pre', 'f1', 'sen', 'spe', 'auc')


class EvaluateError(TrainingError):
    pass


def lunglens_command() -> list[str]:
    """How to call the CLI: $LUNGLENS_CLI (a command line) or `node bin/lunglens.js` of this checkout."""
    configured = os.environ.get('LUNGLENS_CLI')
    return shlex.split(configured) if configured else ['node', str(PROJECT_ROOT / 'bin' / 'lunglens.js')]


def lunglens_evaluate(results: Path, labels: Path, command: Optional[Sequence[str]] = None) -> dict:
    argv = [*(command or lunglens_command()), 'evaluate', '--results', str(results), '--labels', str(labels)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, cwd=PROJECT_ROOT)
    except FileNotFoundError as error:
        raise EvaluateError(f'cannot run {argv[0]!r}: {error}') from error
    if done.returncode != 0:
        raise EvaluateError(f'`{" ".join(argv)}` failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}')
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError as error:
        raise EvaluateError(f'`lunglens evaluate` printed no JSON: {done.stdout[:500]!r}') from error


def labels_json(data: PreparedSet) -> dict:
    """`lunglens phantom`'s labels.json shape (DESIGN.md §3), from the manifest's labelled cases."""
    # `path` (absolute: the series' source) lets `lunglens evaluate` match series without a UID.
    # A non-COVID series has no COVID-19 slice, whether or not its labels said so slice by slice.
    return {'cases': [{'id': c.id, 'seriesInstanceUid': c.series_instance_uid, 'label': c.label,
                       'slicePositive': c.slice_positive if c.slice_positive is not None or c.label != 'non-covid' else [False] * c.slices,
                       'path': c.source} for c in data.cases if c.label is not None]}


class RunJudge:
    """A run's best model with everything its card would carry: temperature, threshold, slice
    factor, OOD model and input checks (the last two when the run has ood.json and its training
    folders have facts.json). ``item`` gives one case's results.json entry."""

    def __init__(self, run: Path, device: torch.device, uncalibrated: str = 'indeterminate') -> None:
        self.run = run
        self.device = device
        self.model, self.checkpoint = load_run_model(run, device=device)
        calibration = json.loads((run / 'calibration.json').read_text())
        self.threshold, self.factor = float(calibration['threshold']), float(calibration['factor'])
        self.temperature = float((calibration.get('temperature') or {}).get('temperature', 1.0))
        self.slice_count = int(self.checkpoint['config']['slices_per_step'])
        ood = run / 'ood.json'
        self.ood = OodModel.from_json(json.loads(ood.read_text())) if ood.is_file() else None
        self.checks: Optional[InputChecks] = None
        try:
            train_set, _ = load_pools(TrainConfig(**self.checkpoint['config']))
            values = analysable_facts(train_set)
            if values:
                limits = training_limits(values)
                self.checks = InputChecks.from_limits(limits, uncalibrated)
        except (TrainingError, OSError):
            self.checks = None  # the training folders are gone: no input checks, said in the item

    @property
    def model_json(self) -> dict:
        return {'name': self.run.name, 'version': f'epoch-{self.checkpoint["epoch"]}', 'sha256': sha256_file(self.run / CHECKPOINT_BEST),
                'executionProvider': f'pytorch-{self.device.type}', 'epoch': self.checkpoint['epoch']}

    def item(self, data, case, facts: Optional[InputFacts]) -> dict:
        if case.lung_status not in (None, 'ok'):
            # `lunglens scan` skips a volume without a lung mask (no verdict); so does its evaluation.
            return {'id': case.id, 'seriesInstanceUid': case.series_instance_uid, 'path': case.source, 'status': 'skipped',
                    'probability': None, 'verdict': None, 'threshold': self.threshold, 'sliceAttention': [], 'slicePositive': [],
                    'lungVolumeMl': case.lung_volume_ml, 'timingsMs': {},
                    'error': {'code': case.lung_status, 'message': f'no lung mask ({case.lung_status}): skipped, as lunglens scan does'}}
        slices, masks = data.arrays(case)
        p = predict_volume(self.model, slices, masks, self.slice_count, self.device)
        probability = p.calibrated(self.temperature)
        score = self.ood.score(p.features) if self.ood is not None else None
        reasons = None
        if self.checks is not None and self.ood is not None and facts is not None:
            reasons = indeterminate_reasons(facts, score, self.checks, self.ood.threshold, probability, self.threshold)
        verdict = 'covid' if probability >= self.threshold else 'non-covid'
        return {
            'id': case.id, 'seriesInstanceUid': case.series_instance_uid, 'path': case.source, 'status': 'ok',
            # `verdict` is the classifier's (probability ≥ threshold), what the metrics score; `abstention` is the
            # card's full rule: the verdict the app shows.
            'probability': probability, 'verdict': verdict, 'threshold': self.threshold,
            'sliceAttention': p.attention.tolist(), 'slicePositive': slice_positives(p.attention, probability, self.threshold, self.factor),
            'lungVolumeMl': case.lung_volume_ml, 'timingsMs': {'inference': round(p.inference_ms, 1)},
            'uncalibratedProbability': p.probability, 'oodScore': score,
            'abstention': None if reasons is None else {'verdict': decide(probability, self.threshold, reasons),
                                                        'reasons': [{'code': c, 'message': m} for c, m in reasons],
                                                        'facts': facts.to_json()},
        }


def results_json(run: Path, data, device: torch.device, log: Callable[[str], None] = print) -> dict:
    """Runs the run's best model over every case: `lunglens scan`'s results.json shape."""
    judge = RunJudge(run, device)
    facts = load_facts(data)
    items = []
    for i, case in enumerate(data.cases):
        items.append(judge.item(data, case, facts_of(facts, data, case)))
        if (i + 1) % 10 == 0:
            log(f'  {i + 1}/{len(data.cases)} cases')
    return {'model': judge.model_json, 'items': items}


def abstention_summary(results: dict) -> dict:
    """How many analysed volumes the card's rule would call indeterminate, and why."""
    rows = [it for it in results['items'] if it['status'] == 'ok']
    judged = [it for it in rows if it.get('abstention') is not None]
    reasons: dict[str, int] = {}
    for it in judged:
        for r in it['abstention']['reasons']:
            reasons[r['code']] = reasons.get(r['code'], 0) + 1
    return {'analysed': len(rows), 'judged': len(judged), 'indeterminate': sum(it['abstention']['verdict'] == 'indeterminate' for it in judged),
            'reasons': reasons}


def fmt_percent(v) -> str:
    """A metric of `lunglens evaluate` (0…1) in %, one decimal, or '—' where it is null."""
    return '—' if v is None else f'{100.0 * float(v):.1f}'


def fmt_interval(v) -> str:
    """A 95 % interval of `lunglens evaluate` (`volume.ci95.*`) in %: '94.0–99.3', or '—'."""
    return '—' if not v else f'{fmt_percent(v[0])}–{fmt_percent(v[1])}'


def report_markdown(rows: list[dict], test: dict) -> str:
    head = '| configuration | run | ' + ' | '.join(f'vol {k.upper()}' for k in METRIC_KEYS) + ' | ' + ' | '.join(f'slice {k.upper()}' for k in METRIC_KEYS) + ' |'
    lines = [
        '# LungLens detector — evaluation', '',
        f'Test split: `{test["path"]}` — {test["cases"]} cases ({test["covid"]} covid, {test["nonCovid"]} non-covid, '
        f'{test["withSliceLabels"]} with slice labels), manifest sha256 `{test["manifestSha256"][:16]}…`.',
        'Metrics in % from `lunglens evaluate` (volume verdict: probability ≥ the run\'s calibrated threshold; slice verdict: '
        'the run\'s attention-over-uniform factor). Threshold and factor were calibrated on each run\'s validation split.', '',
        head, '|' + '---|' * (2 + 2 * len(METRIC_KEYS)),
    ]
    for r in rows:
        v, s = r['metrics'].get('volume') or {}, r['metrics'].get('slice') or {}
        lines.append(f'| {r["configuration"]} | {r["run"]} | ' + ' | '.join(fmt_percent(v.get(k)) for k in METRIC_KEYS) + ' | '
                     + ' | '.join(fmt_percent(s.get(k)) for k in METRIC_KEYS) + ' |')
    lines += ['', f'95 % intervals of the volume metrics, {test["cases"]} volumes (AUC by DeLong, SEN and SPE by Wilson score; each volume '
              'counted as independent):', '', '| run | vol AUC | vol SEN | vol SPE |', '|---|---|---|---|']
    for r in rows:
        ci = (r['metrics'].get('volume') or {}).get('ci95') or {}
        lines.append(f'| {r["run"]} | {fmt_interval(ci.get("auc"))} | {fmt_interval(ci.get("sen"))} | {fmt_interval(ci.get("spe"))} |')
    lines += ['', '| run | backbone | best epoch | threshold | slice factor | not analysed (no lung mask) | slice baseline PRE / F1 |', '|---|---|---|---|---|---|---|']
    for r in rows:
        b = r.get('sliceBaseline') or {}
        lines.append(f'| {r["run"]} | {r["backbone"]} | {r["bestEpoch"]} | {r["threshold"]:.4f} | {r["factor"]:.4f} | {r["metrics"].get("errors", 0)} | '
                     f'{fmt_percent(b.get("pre"))} / {fmt_percent(b.get("f1"))} |')
    lines += ['', 'Slice baseline: the same volume verdicts, with every slice of a volume called covid marked positive — what the '
              'slice metrics are worth without attention. The attention is what the slice AUC (score = probability × attention × N) ranks.']
    return '\n'.join(lines) + '\n'


def evaluate_runs(runs: Sequence[str | Path], test: str | Path, out: Optional[str | Path] = None, device: str = 'auto',
                  command: Optional[Sequence[str]] = None, log: Callable[[str], None] = print) -> dict:
    runs = [Path(r) for r in runs]
    data = PreparedSet.load(test)
    out = Path(out) if out is not None else runs[0] / 'evaluation'
    out.mkdir(parents=True, exist_ok=True)
    torch_device = resolve_device(device)
    labels_path = out / 'labels.json'
    labels_path.write_text(json.dumps(labels_json(data), indent=2) + '\n')
    identity = data.identity()
    rows = []
    for run in runs:
        config = json.loads((run / 'config.json').read_text())
        if json.dumps(config['preprocessing'], sort_keys=True) != json.dumps(data.preprocessing, sort_keys=True):
            raise EvaluateError(f'{run} was trained on data prepared differently from {test} (manifest preprocessing differs)')
        log(f'{run}: inference on {len(data.cases)} cases')
        results = results_json(run, data, torch_device, log)
        folder = out / run.name if len(runs) > 1 else out
        folder.mkdir(parents=True, exist_ok=True)
        results_path = folder / 'results.json'
        results_path.write_text(json.dumps(results) + '\n')
        metrics = lunglens_evaluate(results_path, labels_path, command)
        (folder / 'metrics.json').write_text(json.dumps(metrics, indent=2) + '\n')
        # The slice metrics without attention: every slice of a volume called covid marked positive.
        baseline = {**results, 'items': [{**it, 'slicePositive': [it['verdict'] == 'covid'] * len(it['sliceAttention'])} for it in results['items']]}
        baseline_path = folder / 'results-every-slice.json'
        baseline_path.write_text(json.dumps(baseline) + '\n')
        slice_baseline = lunglens_evaluate(baseline_path, labels_path, command).get('slice')
        spec = config['network']
        row = {'configuration': ABLATION_ROWS.get(spec['ablation'], spec['ablation']), 'run': run.name, 'runPath': str(run.resolve()),
               'backbone': spec['backbone'], 'ablation': spec['ablation'], 'bestEpoch': results['model']['epoch'],
               'threshold': results['items'][0]['threshold'] if results['items'] else None,
               'factor': json.loads((run / 'calibration.json').read_text())['factor'], 'metrics': metrics,
               'results': str(results_path.resolve()), 'sliceBaseline': slice_baseline}
        rows.append(row)
        truth = {c.id: c.target for c in data.cases}
        scored = [(it['probability'], truth[it['id']]) for it in results['items'] if it['status'] == 'ok' and truth.get(it['id']) is not None]
        record = {'data': identity, 'metrics': metrics, 'sliceBaseline': slice_baseline, 'results': str(results_path.resolve()),
                  'abstention': abstention_summary(results),
                  'reliability': reliability([p for p, _ in scored], [y for _, y in scored]) if scored else None,
                  'checkpointSha256': results['model']['sha256'],
                  'epoch': results['model']['epoch'],
                  'measuredWith': 'lunglens evaluate', 'createdAt': datetime.now(timezone.utc).isoformat(timespec='seconds')}
        # One record per test split (by its manifest) for this checkpoint: a second split adds one.
        kept = [r for r in evaluation_records(run / 'evaluation.json')
                if r.get('checkpointSha256') == record['checkpointSha256'] and r.get('data', {}).get('manifestSha256') != identity.get('manifestSha256')]
        (run / 'evaluation.json').write_text(json.dumps({'evaluations': kept + [record]}, indent=2) + '\n')
        vol, sl = metrics.get('volume') or {}, metrics.get('slice') or {}
        log(f'{run.name}: volume ACC {fmt_percent(vol.get("acc"))} F1 {fmt_percent(vol.get("f1"))} AUC {fmt_percent(vol.get("auc"))} '
            f'(95 % {fmt_interval((vol.get("ci95") or {}).get("auc"))}); '
            f'slice PRE {fmt_percent(sl.get("pre"))} F1 {fmt_percent(sl.get("f1"))} AUC {fmt_percent(sl.get("auc"))}; not analysed {metrics.get("errors", 0)}')
    order = list(ABLATION_ROWS)
    rows.sort(key=lambda r: (order.index(r['ablation']) if r['ablation'] in order else len(order), r['run']))
    report = {'test': identity, 'createdAt': datetime.now(timezone.utc).isoformat(timespec='seconds'), 'rows': rows}
    (out / 'report.json').write_text(json.dumps(report, indent=2) + '\n')
    (out / 'report.md').write_text(report_markdown(rows, identity))
    log(f'wrote {out / "report.md"} and report.json')
    return report
