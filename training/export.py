"""ONNX export (DESIGN.md §4), its check against PyTorch in onnxruntime-node, and the model card.

Graph: inputs ``slices`` float32 [N,1,S,S] and ``masks`` float32 [N,1,S,S]; outputs ``logits``
float32 [1,2] (non-covid, covid) and ``attention`` float32 [N] (softmax over the slices); N is
dynamic. The card next to it carries everything the TypeScript side needs (preprocessing copied
from the training manifest, the slice strategy, the threshold and the slice rule) plus the
training data, the recipe and the measured metrics.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import tempfile
import warnings
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import onnx
import torch

from .data import LABELS, PreparedSet, TrainingError, sha256_file
from .facts import analysable_facts, training_limits
from .inference import (EVEN_ODDS, REASON_TEMPLATES, SLICE_RULE_KIND, SLICE_STRATEGY_KIND, InputChecks, InputFacts, OodModel, body_fraction_outside_lung, decide,
                        indeterminate_reasons)
from .model import ResNeXtPlus, parameter_count
from .train import CHECKPOINT_BEST, TrainConfig, load_pools, load_run_model

OPSET = 17
PARITY_SLICE_COUNTS = (1, 7, 50, 123)
PARITY_TOLERANCE = 1e-4
GOLDEN_SLICE_COUNTS = (1, 7, 61)
PROJECT_ROOT = Path(__file__).resolve().parent.parent
ONNX_RUNNER = Path(__file__).resolve().parent / 'onnx_run.mjs'


class ExportError(TrainingError):
    pass


class _Exported(torch.nn.Module):
    """The graph's three outputs: logits, attention and the OOD score's features (model.infer)."""

    def __init__(self, model: ResNeXtPlus) -> None:
        super().__init__()
        self.model = model

    def forward(self, slices: torch.Tensor, masks: torch.Tensor):
        return self.model.infer(slices, masks)


OUTPUT_NAMES = ['logits', 'attention', 'features']


def export_onnx(model: ResNeXtPlus, size: int, path: Path, opset: int = OPSET, example_slices: int = 7) -> None:
    """Writes the graph and runs onnx.checker on it (full check, shape inference included)."""
    model = model.cpu().eval()
    wrapped = _Exported(model).eval()
    g = torch.Generator().manual_seed(0)
    x = torch.randn(example_slices, 1, size, size, generator=g)
    m = (torch.rand(example_slices, 1, size, size, generator=g) > 0.5).float()
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad(), warnings.catch_warnings():
        # Known and harmless here: the LSTM always runs with batch 1 (the slices are its time axis),
        # and torch 1.13 lacks shape inference for prim::Constant (onnx.checker runs below).
        warnings.filterwarnings('ignore', message='.*LSTM can cause an error.*')
        warnings.filterwarnings('ignore', message='.*shape inference of prim::Constant.*')
        warnings.filterwarnings('ignore', category=torch.jit.TracerWarning)  # nn.LSTM's own input-size asserts
        torch.onnx.export(wrapped, (x, m), str(path), input_names=['slices', 'masks'], output_names=OUTPUT_NAMES,
                          dynamic_axes={'slices': {0: 'N'}, 'masks': {0: 'N'}, 'attention': {0: 'N'}},
                          opset_version=opset, do_constant_folding=True)
    graph = onnx.load(str(path))
    onnx.checker.check_model(graph, full_check=True)
    names = [i.name for i in graph.graph.input]
    if names != ['slices', 'masks']:
        raise ExportError(f'the exported graph has inputs {names}, expected ["slices", "masks"]')
    outputs = [o.name for o in graph.graph.output]
    if outputs != OUTPUT_NAMES:
        raise ExportError(f'the exported graph has outputs {outputs}, expected {OUTPUT_NAMES}')


def run_onnx_node(model_path: Path, inputs: Sequence[dict[str, np.ndarray]], node: str = 'node') -> list[dict[str, np.ndarray]]:
    """Runs the model in onnxruntime-node (training/onnx_run.mjs) on each input set."""
    if shutil.which(node) is None:
        raise ExportError(f'`{node}` was not found; the ONNX check needs Node with onnxruntime-node (npm ci in the project)')
    with tempfile.TemporaryDirectory(prefix='lunglens-onnx-') as tmp:
        work = Path(tmp)
        runs = []
        for i, feeds in enumerate(inputs):
            entry = {}
            for name, array in feeds.items():
                file = f'in{i}.{name}.bin'
                np.ascontiguousarray(array, dtype='<f4').tofile(work / file)
                entry[name] = {'file': file, 'dims': list(array.shape)}
            runs.append({'inputs': entry, 'outputs': f'out{i}'})
        shutil.copyfile(model_path, work / 'model.onnx')
        (work / 'job.json').write_text(json.dumps({'model': 'model.onnx', 'runs': runs}))
        done = subprocess.run([node, str(ONNX_RUNNER), str(work / 'job.json')], capture_output=True, text=True, cwd=PROJECT_ROOT)
        if done.returncode != 0:
            raise ExportError(f'onnxruntime-node failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}')
        results = []
        for line in done.stdout.strip().splitlines():
            record = json.loads(line)
            results.append({name: np.fromfile(work / o['file'], dtype='<f4').reshape(o['dims']) for name, o in record['outputs'].items()})
            results[-1]['_ms'] = np.array(record['ms'])
        return results


def parity_inputs(size: int, counts: Sequence[int] = PARITY_SLICE_COUNTS, seed: int = 0,
                  volume: Optional[tuple[np.ndarray, np.ndarray]] = None) -> list[dict[str, np.ndarray]]:
    """Inputs for each N: the first N slices of ``volume`` (repeated cyclically when it is
    shorter), or seeded noise and random masks without one."""
    rng = np.random.default_rng(seed)
    out = []
    for n in counts:
        if volume is not None:
            idx = np.arange(n) % volume[0].shape[0]
            slices = np.ascontiguousarray(volume[0][idx], dtype=np.float32)
            masks = np.ascontiguousarray(volume[1][idx], dtype=np.float32)
        else:
            slices = rng.normal(0.0, 1.0, size=(n, 1, size, size)).astype(np.float32)
            masks = (rng.random((n, 1, size, size)) > 0.5).astype(np.float32)
        out.append({'slices': slices, 'masks': masks})
    return out


def check_parity(model: ResNeXtPlus, model_path: Path, size: int, counts: Sequence[int] = PARITY_SLICE_COUNTS,
                 tolerance: float = PARITY_TOLERANCE, volume: Optional[tuple[np.ndarray, np.ndarray]] = None, source: str = 'seeded noise') -> dict:
    """Max |Δ| between PyTorch and onnxruntime-node for logits, attention and features at each N."""
    inputs = parity_inputs(size, counts, volume=volume)
    onnx_out = run_onnx_node(model_path, inputs)
    model = model.cpu().eval()
    report = {'tolerance': tolerance, 'runtime': 'onnxruntime-node (cpu)', 'inputs': source, 'cases': []}
    worst = 0.0
    for feeds, got in zip(inputs, onnx_out):
        with torch.no_grad():
            logits, attention, features = model.infer(torch.from_numpy(feeds['slices']), torch.from_numpy(feeds['masks']))
        n = feeds['slices'].shape[0]
        if got['logits'].shape != (1, 2) or got['attention'].shape != (n,) or got['features'].shape != tuple(features.shape):
            raise ExportError(f'N={n}: onnxruntime returned logits {got["logits"].shape}, attention {got["attention"].shape} '
                              f'and features {got["features"].shape}')
        d_logits = float(np.max(np.abs(got['logits'] - logits.numpy())))
        d_attention = float(np.max(np.abs(got['attention'] - attention.numpy())))
        d_features = float(np.max(np.abs(got['features'] - features.numpy())))
        worst = max(worst, d_logits, d_attention, d_features)
        report['cases'].append({'slices': n, 'maxAbsLogits': d_logits, 'maxAbsAttention': d_attention, 'maxAbsFeatures': d_features,
                                'attentionSum': float(got['attention'].sum()), 'onnxMs': float(got['_ms'])})
    report['maxAbs'] = worst
    report['passed'] = worst <= tolerance
    return report


GOLDEN_FORMULA = ('slices[n,0,y,x] = float32(1.5·sin(0.37·(x+1)·(n+1)/S + 0.11·y) − 0.5·cos(0.23·x − 0.19·(y+n))); '
                  'masks[n,0,y,x] = 1 when (x − S/2 + 0.5)² + (y − S/2 + 0.5)² < (0.3·S)², else 0')


def golden_inputs(size: int, n: int) -> dict[str, np.ndarray]:
    """Closed-form inputs that the TypeScript side rebuilds bit for bit (src/core/model/golden.ts)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    slices = np.empty((n, 1, size, size), dtype=np.float32)
    for k in range(n):
        slices[k, 0] = 1.5 * np.sin(0.37 * (x + 1) * (k + 1) / size + 0.11 * y) - 0.5 * np.cos(0.23 * x - 0.19 * (y + k))
    inside = (x - size / 2 + 0.5) ** 2 + (y - size / 2 + 0.5) ** 2 < (0.3 * size) ** 2
    masks = np.broadcast_to(inside.astype(np.float32), (n, 1, size, size)).copy()
    return {'slices': slices, 'masks': masks}


def golden_outputs(model: ResNeXtPlus, size: int, counts: Sequence[int] = GOLDEN_SLICE_COUNTS, ood: Optional[OodModel] = None,
                   preprocessing: Optional[dict] = None) -> dict:
    """PyTorch's outputs on the closed-form inputs: the card carries them so that any runtime (the
    app's onnxruntime-node test, an installed workstation) can check it computes the same model."""
    model = model.cpu().eval()
    cases = []
    for n in counts:
        feeds = golden_inputs(size, n)
        with torch.no_grad():
            logits, attention, features = model.infer(torch.from_numpy(feeds['slices']), torch.from_numpy(feeds['masks']))
        case = {'slices': n, 'logits': [float(v) for v in logits[0]], 'attention': [float(v) for v in attention],
                'features': [float(v) for v in features[0]]}
        if ood is not None:
            case['oodScore'] = ood.score(features[0].double().numpy())
        if preprocessing is not None:
            case['bodyFractionOutsideLung'] = body_fraction_outside_lung(feeds['slices'], feeds['masks'], preprocessing)
        cases.append(case)
    return {'inputs': GOLDEN_FORMULA, 'tolerance': PARITY_TOLERANCE, 'source': 'PyTorch ' + torch.__version__, 'cases': cases}


def _read_json(path: Path) -> Optional[dict]:
    return json.loads(path.read_text()) if path.is_file() else None


def evaluation_records(path: Path) -> list[dict]:
    """The test evaluations a run's `evaluation.json` holds, one per test split (`evaluate` keeps
    one record per split's manifest; a file of the older single-record form is one record)."""
    recorded = _read_json(path)
    if recorded is None:
        return []
    return list(recorded['evaluations']) if 'evaluations' in recorded else [recorded]


ABSTENTION_RULE = (
    'verdict = "indeterminate" when any reason applies, else "covid" when the calibrated probability ≥ threshold, else '
    '"non-covid". Reasons, checked in this order, each with a strict limit (a value exactly at the limit passes): '
    'uncalibrated-input (results `calibrated` is false and inputChecks.uncalibrated is "indeterminate"); '
    'not-axial (angle between the slice normal direction[6..8] and the body axis, acos(|n_z| / |n|) in degrees, > maxNormalAngleDeg); '
    'thick-slices (spacingMm[2] > maxSliceSpacingMm); partial-coverage (lungVolumeMl < minLungVolumeMl); '
    'pre-masked (bodyFractionOutsideLung < minBodyFractionOutsideLung: of the prepared input pixels outside the dilated lung '
    'mask, over all slices, the fraction whose value x stands for ≥ bodyHuFloor HU, i.e. lowHu + (x·std + mean)·(highHu − lowHu) '
    '≥ bodyHuFloor; 0 when there is no such pixel); wide-field-of-view (where inputChecks has minLungWidthFraction: '
    'lungWidthFraction < it, the columns from the leftmost to the rightmost that the dilated input mask touches on any slice, '
    'over the input width); out-of-distribution (ood score > ood.threshold, or not a number); '
    'equivocal (the calibrated probability p and abstention.evenOdds e disagree with the threshold t: (p ≥ t) ≠ (p ≥ e)). '
    'The probability, the attention and the slice rule are still reported for an indeterminate volume; slicePositive is all '
    'false for it (no positive volume).')

REASON_TEXT = REASON_TEMPLATES


def abstention_golden(checks: InputChecks, ood_threshold: float, threshold: float) -> list[dict]:
    """Verdict cases both implementations must reproduce exactly (codes and sentences): one per
    reason, one with several, the limits themselves (which pass), and clean covid / non-covid."""
    base = InputFacts(calibrated=True, slice_spacing_mm=min(2.5, checks.max_slice_spacing_mm), lung_volume_ml=max(3500.0, checks.min_lung_volume_ml + 1),
                      normal_angle_deg=0.0, body_fraction=max(0.3, checks.min_body_fraction + 0.01),
                      lung_width=None if checks.min_lung_width is None else max(0.75, checks.min_lung_width + 0.05))
    ood_ok = 0.5 * ood_threshold if math.isfinite(ood_threshold) else 10.0
    hi, lo = min(0.999, threshold + 0.5 * (1 - threshold)), 0.5 * threshold
    cases = [
        ('clean, covid', base, hi, ood_ok),
        ('clean, non-covid', base, lo, ood_ok),
        ('probability exactly at the threshold or even odds, whichever is higher: covid', base, max(threshold, EVEN_ODDS), ood_ok),
        ('between the threshold and even odds: equivocal', base, (threshold + EVEN_ODDS) / 2, ood_ok),
        ('every limit exactly met: no reason', replace(base, slice_spacing_mm=checks.max_slice_spacing_mm, lung_volume_ml=checks.min_lung_volume_ml,
                                                         normal_angle_deg=checks.max_normal_angle_deg, body_fraction=checks.min_body_fraction,
                                                         lung_width=checks.min_lung_width),
         hi, ood_threshold if math.isfinite(ood_threshold) else ood_ok),
        ('uncalibrated 8-bit stack', replace(base, calibrated=False), hi, ood_ok),
        ('coronal reformat', replace(base, normal_angle_deg=90.0), lo, ood_ok),
        ('8 mm slices', replace(base, slice_spacing_mm=checks.max_slice_spacing_mm + 2.7), lo, ood_ok),
        ('partial scan', replace(base, lung_volume_ml=0.6 * checks.min_lung_volume_ml), hi, ood_ok),
        ('pre-masked export', replace(base, body_fraction=0.3 * checks.min_body_fraction), lo, ood_ok),
        *([('PET/CT field of view', replace(base, lung_width=0.8 * checks.min_lung_width), lo, ood_ok)] if checks.min_lung_width is not None else []),
        ('out of distribution', base, hi, 1.7 * ood_threshold if math.isfinite(ood_threshold) else math.inf),
        ('several reasons', replace(base, calibrated=False, slice_spacing_mm=checks.max_slice_spacing_mm + 1.3,
                                    body_fraction=0.4 * checks.min_body_fraction), hi, 2.3 * ood_threshold if math.isfinite(ood_threshold) else math.inf),
        ('not a number as OOD score', base, lo, math.nan),
    ]
    out = []
    for what, facts, p, score in cases:
        reasons = indeterminate_reasons(facts, score, checks, ood_threshold, p, threshold)
        out.append({'what': what, 'facts': facts.to_json(), 'probability': p, 'oodScore': None if math.isnan(score) else score,
                    'verdict': decide(p, threshold, reasons), 'reasons': [{'code': c, 'message': m} for c, m in reasons]})
    return out


def abstention_block(run: Path, config: dict, calibration: dict, uncalibrated: str) -> dict:
    """The card's probability calibration, OOD model, input checks and their verdict rule."""
    ood_json = _read_json(run / 'ood.json')
    if ood_json is None or 'temperature' not in calibration:
        raise ExportError(f'{run}: ood.json and a temperature in calibration.json are needed (`python -m training calibrate --run {run}`)')
    ood = OodModel.from_json(ood_json)
    train_set, _ = load_pools(TrainConfig(**config['config']))
    limits = training_limits(analysable_facts(train_set))
    checks = InputChecks.from_limits(limits, uncalibrated)
    return {
        'probabilityCalibration': {
            'kind': 'temperature', 'temperature': calibration['temperature']['temperature'],
            'rule': 'per pass p_j = 1 / (1 + exp(−(l_covid − l_non-covid) / T)); volume probability = mean of the p_j. The threshold '
                    'and the slice rule apply to this calibrated probability.',
            'fit': calibration['temperature'], 'data': calibration.get('data'),
            'reliability': calibration.get('reliability'),
        },
        'ood': {**ood.to_json(), 'combine': 'the volume\'s feature vector is the mean over its passes of the `features` output',
                'score': 'for each class mean μ_c: d = f − μ_c, p = eigenvectors · d, D² = Σ_j p_j² / eigenvalues_j + (|d|² − Σ_j p_j²) / '
                         'residualVariance (negative residual taken as 0); score = sqrt(min over classes of D²)'},
        'inputChecks': {**checks.to_json(), 'basis': limits['basis'],
                        'facts': 'calibrated: results `calibrated` (units HU); sliceSpacingMm: spacingMm[2]; lungVolumeMl: the lung mask before '
                                 'dilation; normalAngleDeg: from direction[6..8]; bodyFractionOutsideLung and lungWidthFraction: from the '
                                 'prepared input tensors'},
        'abstention': {'rule': ABSTENTION_RULE, 'reasons': [{'code': k, 'message': v} for k, v in REASON_TEXT.items()],
                       'messageFormat': '{name:.Nf} is the named value with N decimals (values: normalAngleDeg, maxNormalAngleDeg, '
                                        'sliceSpacingMm, maxSliceSpacingMm, lungVolumeMl, minLungVolumeMl, bodyPercent = 100·bodyFraction, '
                                        'limitPercent = 100·minBodyFractionOutsideLung, lungWidthPercent = 100·lungWidthFraction, '
                                        'minLungWidthPercent = 100·minLungWidthFraction, oodScore, oodThreshold, probability, threshold, '
                                        'evenOdds)',
                       'evenOdds': EVEN_ODDS,
                       'golden': abstention_golden(checks, ood.threshold, calibration['threshold'])},
    }


def card_limits(config: dict, real: Optional[dict]) -> list[str]:
    """The limits in plain words, with the numbers of this model's data."""
    patients = sorted({g for part in ('train', 'val') for g in _groups(config['data'][part], 'real')})
    limits = ['not a clinical device; no regulatory clearance']
    if patients:
        limits.append(f'trained on synthetic phantoms and on {len(patients)} real non-COVID chest CT patients, with synthetic COVID-19 '
                      'lesions inserted into their lungs; no real COVID-19 CT volume was available, so the sensitivity to real COVID-19 '
                      'is not measured here — the inserted lesions and the phantoms are models of the disease, not the disease')
    else:
        limits.append('trained and measured on the data named under training and metrics (synthetic phantoms unless stated otherwise); '
                      'performance on real scans is unknown until measured on them')
    if real:
        s = real.get('summary') or {}
        limits.append(f'real-scan figures rest on {len({c["patient"] for c in real.get("cases", []) if c["domain"] == "real"})} patients, each '
                      f'scored by a model that never saw it (leave-patients-out); {s.get("nonCovidAnalysed")} untouched real non-COVID series')
    limits += [
        'two classes only (covid, non-covid): other pneumonias and lung diseases were not modelled, so they may be called covid',
        'abstains (verdict "indeterminate") when a scan is unlike its training data, fails an input check, or when its calibrated '
        'probability and the threshold disagree (covid by the threshold yet under even odds, or the reverse); indeterminate means '
        'no answer, never a negative; a scan can be unlike the training data and still pass the OOD check',
        'reads whole images at 128 × 128: small findings and lungs in a wide field of view reach it as a few pixels',
        'slice verdicts come from attention learned without slice labels (weak supervision); they point to slices, they do not '
        'delineate lesions',
        'inputs must be prepared exactly as `preprocessing` says (the app reads these constants from this card)',
    ]
    return limits


def _groups(identity: dict, domain: str) -> list[str]:
    """The patients of one domain in a data identity (a Pool's, or a merged pool's parts)."""
    out = list((identity.get('groups') or {}).get(domain, []))
    for part in identity.get('parts') or []:
        out += _groups(part, domain)
    return out


def build_card(run: Path, onnx_path: Path, name: str, model: ResNeXtPlus, checkpoint: dict, parity: Optional[dict], opset: int,
               uncalibrated: str = 'indeterminate', real: Optional[dict] = None) -> dict:
    config = _read_json(run / 'config.json')
    calibration = _read_json(run / 'calibration.json')
    summary = _read_json(run / 'summary.json') or {}
    history = _read_json(run / 'history.json') or []
    if config is None or calibration is None:
        raise ExportError(f'{run}: config.json and calibration.json are needed (run `python -m training train` to the end, or `calibrate`)')
    spec = model.spec
    recipe = config['config']
    slice_count = int(recipe['slices_per_step'])
    metrics = []
    best = sha256_file(run / CHECKPOINT_BEST)
    # Records measured on another checkpoint of this run (it was trained further since) are stale.
    for evaluation in (e for e in evaluation_records(run / 'evaluation.json') if e.get('checkpointSha256') == best):
        metrics.append({'split': 'test', 'data': evaluation['data'], 'volume': evaluation['metrics'].get('volume'),
                        'slice': evaluation['metrics'].get('slice'), 'sliceScore': evaluation['metrics'].get('sliceScore'),
                        'notAnalysed': {'count': evaluation['metrics'].get('errors'),
                                        'why': 'volumes without a lung mask are skipped (no verdict), as lunglens scan does; not in the metrics'},
                        'sliceBaselineEverySlice': evaluation.get('sliceBaseline'), 'abstention': evaluation.get('abstention'),
                        'reliability': evaluation.get('reliability'),
                        'measuredWith': evaluation.get('measuredWith'),
                        'measuredAt': evaluation.get('createdAt')})
    metrics.append({'split': 'validation', 'data': calibration.get('data'), 'calibration': calibration.get('method'),
                    'note': 'the threshold and the slice factor were chosen on this split, so these numbers are optimistic'})
    architecture_name = 'ResNeXt+ (ResNeXt-50 32×4d)' if spec.backbone == 'resnext50' else 'ResNeXt+ (compact ResNeXt-style backbone)'
    return {
        'format': 'lunglens-model-card',
        'version': 1,
        'name': name,
        'createdAt': datetime.now(timezone.utc).isoformat(timespec='seconds'),
        'file': onnx_path.name,
        'sha256': sha256_file(onnx_path),
        'opset': opset,
        'architecture': {
            'name': architecture_name,
            'description': 'per slice: two 7×7 stride-2 convolutions (slice; lung mask) summed → BN → ReLU → CBAM (channel: '
                           'avg+max pooled through a shared MLP, sigmoid; spatial: channel avg+max maps, 9×9 conv, sigmoid) → '
                           '3×3/2 max-pool → ResNeXt stages → global average and max pool, concatenated → LayerNorm; bidirectional LSTM over the slices; slice '
                           'attention (FC → tanh → FC → softmax over slices) weighting the LSTM features; FC 1024 → ReLU → FC 2',
            'backbone': spec.backbone,
            'ablation': spec.ablation,
            'parameters': parameter_count(model),
            'network': spec.to_json(),
            'featureSize': model.feature_size,
        },
        'inputs': {
            'slices': {'dtype': 'float32', 'shape': ['N', 1, 'S', 'S'], 'meaning': 'windowed and normalized slices, index order (DESIGN.md §2)'},
            'masks': {'dtype': 'float32', 'shape': ['N', 1, 'S', 'S'], 'meaning': 'the dilated lung mask, values 0 or 1',
                      'used': spec.uses_mask},
        },
        'outputs': {
            'logits': {'dtype': 'float32', 'shape': [1, 2], 'order': list(LABELS)},
            'attention': {'dtype': 'float32', 'shape': ['N'], 'meaning': 'softmax over the pass\'s slices (sums to 1)'
                          + ('' if spec.uses_slice_attention else '; uniform 1/N: this model has no slice attention (N-SLA)')},
            'features': {'dtype': 'float32', 'shape': [1, model.ood_feature_size],
                         'meaning': f'the attention-weighted LSTM output the head classifies ({2 * spec.lstm_hidden}) followed by the mean of '
                                    f'the pass\'s slice features ({model.feature_size}); the input of the OOD score (`ood`)'},
        },
        'labels': list(LABELS),
        'preprocessing': config['preprocessing'],
        'mask': config.get('mask'),
        'sliceStrategy': {
            'kind': SLICE_STRATEGY_KIND,
            'sliceCount': slice_count,
            'description': f'N ≤ {slice_count}: one pass over all slices. N > {slice_count}: P = ceil(N / {slice_count}) passes, pass j '
                           'holding slices j, j+P, j+2P, … in index order. Volume probability = mean over passes of '
                           'softmax(logits)[1]. Slice attention = its weight in its pass × (pass length / N), so it sums to 1 '
                           'over the volume.',
        },
        'threshold': calibration['threshold'],
        'thresholdRule': 'covid when the calibrated volume probability (probabilityCalibration) ≥ threshold and no reason to abstain (abstention)',
        'slicePositiveRule': {
            'kind': SLICE_RULE_KIND,
            'factor': calibration['factor'],
            'description': 'slice k is positive when the volume is positive (probability ≥ threshold) and attention_k × N > factor',
        },
        'calibration': {'data': calibration.get('data'), 'method': calibration.get('method'), 'epoch': calibration.get('epoch')},
        'training': {
            'data': config['data'],
            'recipe': {
                'epochsPlanned': recipe['epochs'], 'epochsRun': summary.get('epochsRun'), 'stopped': summary.get('stopped'),
                'bestEpoch': checkpoint.get('epoch'), 'seed': recipe['seed'],
                # Stage 1 (pretrain.py): the slice encoder from volume labels, before the paper's recipe.
                'pretraining': config.get('pretraining'),
                'slicesPerStep': slice_count,
                'sliceSampling': 'stratified jitter: [0, N) cut into slicesPerStep equal bins, one slice drawn per bin, order kept',
                'batch': 'one volume', 'classBalance': 'positive-class resampling (minority class repeated to the majority count)',
                'augmentation': {'applyTo': recipe['augment'], **config.get('augment', {})},
                'optimizer': 'Adam', 'learningRate': {'schedule': 'CyclicLR triangular', 'min': recipe['lr_min'], 'max': recipe['lr_max'],
                                                      'stepSizeUp': config.get('lrStepSizeUp'), 'cycleMomentum': False},
                'loss': 'binary cross-entropy on softmax(logits)[covid]',
                'batchNorm': config.get('batchNorm'),
                'lstmInit': f'weights N(0, σ={spec.lstm_init_std}), biases 0',
                'selection': 'checkpoint with the lowest validation loss (whole-volume interleaved inference)',
                'sliceLabels': 'never used for training; validation slice labels only calibrate the slice factor',
            },
            'history': history,
            'environment': config.get('environment'),
        },
        'metrics': metrics,
        **abstention_block(run, config, calibration, uncalibrated),
        'realData': real,
        'verification': parity,
        'golden': golden_outputs(model, int(config['preprocessing']['size']), ood=OodModel.from_json(_read_json(run / 'ood.json')),
                                 preprocessing=config['preprocessing']),
        'intendedUse': 'Research and demonstration: flags chest CT volumes for COVID-19-like findings and points a reader to the '
                       'slices that drove the verdict. Not a clinical device: not for diagnosis or treatment decisions.',
        'limits': card_limits(config, real),
    }


def reliability_curves(card: dict) -> list[tuple[str, dict]]:
    """(label, reliability) for the validation split (where T was fitted) and every test split."""
    out = []
    fit = (card.get('probabilityCalibration') or {}).get('reliability') or {}
    if fit.get('validation'):
        out.append(('validation (T fitted here)', fit['validation']))
    for m in card.get('metrics') or []:
        if m.get('split') == 'test' and m.get('reliability'):
            out.append((f'test {Path(str((m.get("data") or {}).get("path", "?"))).name}', m['reliability']))
    return out


def reliability_svg(curves: list[tuple[str, dict]], title: str) -> str:
    """A reliability diagram: mean predicted probability against the observed fraction of covid
    per bin (dot area ∝ count), the diagonal, one colour per split with its ECE in the legend."""
    size, pad = 360, 48
    x = lambda v: pad + v * size  # noqa: E731
    y = lambda v: pad + (1 - v) * size  # noqa: E731
    colours = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b']
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size + 2 * pad + 230}" height="{size + 2 * pad}" font-family="sans-serif" font-size="11">',
             f'<text x="{pad}" y="{pad - 18}" font-size="13">{title}</text>',
             f'<rect x="{pad}" y="{pad}" width="{size}" height="{size}" fill="none" stroke="#444"/>',
             f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}" stroke="#999" stroke-dasharray="4 3"/>']
    for t in range(0, 11, 2):
        v = t / 10
        parts += [f'<text x="{x(v)}" y="{y(0) + 16}" text-anchor="middle">{v:.1f}</text>',
                  f'<text x="{x(0) - 6}" y="{y(v) + 4}" text-anchor="end">{v:.1f}</text>']
    parts += [f'<text x="{x(0.5)}" y="{y(0) + 34}" text-anchor="middle">mean calibrated probability in the bin</text>',
              f'<text transform="translate({pad - 34},{y(0.5)}) rotate(-90)" text-anchor="middle">fraction covid in the bin</text>']
    for i, (label, r) in enumerate(curves):
        colour = colours[i % len(colours)]
        bins = [b for b in r['bins'] if b['count']]
        total = max(1, sum(b['count'] for b in bins))
        points = ' '.join(f'{x(b["meanProbability"]):.1f},{y(b["fractionCovid"]):.1f}' for b in bins)
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        for b in bins:
            radius = 2.5 + 9 * (b['count'] / total) ** 0.5
            parts.append(f'<circle cx="{x(b["meanProbability"]):.1f}" cy="{y(b["fractionCovid"]):.1f}" r="{radius:.1f}" fill="{colour}" '
                         f'fill-opacity="0.5"><title>{label}: {b["count"]} volumes</title></circle>')
        ece = '—' if r.get('ece') is None else f'{r["ece"]:.3f}'
        ly = pad + 14 + 18 * i
        parts += [f'<rect x="{x(1) + 16}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>',
                  f'<text x="{x(1) + 32}" y="{ly}">{label}: ECE {ece}, n = {r.get("cases")}</text>']
    parts.append('</svg>')
    return '\n'.join(parts) + '\n'


def export_run(run: str | Path, out: str | Path, name: Optional[str] = None, check: bool = True, opset: int = OPSET,
               log: Callable[[str], None] = print, uncalibrated: str = 'indeterminate', real: Optional[str | Path] = None) -> dict:
    run, out = Path(run), Path(out)
    if out.suffix != '.onnx':
        raise ExportError(f'--out must end with .onnx, got {out}')
    name = name or out.stem
    model, checkpoint = load_run_model(run)
    config = _read_json(run / 'config.json')
    if config is None:
        raise ExportError(f'{run}: config.json is missing')
    size = int(config['preprocessing']['size'])
    export_onnx(model, size, out, opset)
    log(f'wrote {out} ({out.stat().st_size / 1e6:.1f} MB, opset {opset}); onnx.checker: clean')
    parity = None
    if check:
        volume, source = None, 'seeded noise'
        try:  # real slices when the run's validation data is still there
            val = PreparedSet.load(config['data']['val']['path'])
            volume = val.arrays(val.cases[0])
            source = f'validation case {val.cases[0].id} ({val.cases[0].slices} slices, repeated cyclically)'
        except (TrainingError, OSError, IndexError, KeyError):
            pass
        parity = check_parity(model, out, size, volume=volume, source=source)
        log('parity with PyTorch in onnxruntime-node: ' + ', '.join(
            f'N={c["slices"]}: {max(c["maxAbsLogits"], c["maxAbsAttention"], c["maxAbsFeatures"]):.1e}' for c in parity['cases']))
        if not parity['passed']:
            raise ExportError(f'onnxruntime-node differs from PyTorch by {parity["maxAbs"]:.2e} > {parity["tolerance"]:.0e}')
    card = build_card(run, out, name, model, checkpoint, parity, opset, uncalibrated, _read_json(Path(real)) if real else None)
    curves = reliability_curves(card)
    if curves:
        svg = out.with_name(out.stem + '.reliability.svg')
        svg.write_text(reliability_svg(curves, f'{name}: reliability (calibrated probability)'))
        card['probabilityCalibration']['diagram'] = svg.name
        log(f'wrote {svg}')
    card_path = out.with_name(out.stem + '.card.json')
    tmp = card_path.with_suffix('.tmp')
    tmp.write_text(json.dumps(card, indent=2, ensure_ascii=False) + '\n')
    os.replace(tmp, card_path)
    log(f'wrote {card_path}')
    return card
