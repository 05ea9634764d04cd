"""ONNX export (DESIGN.md §4), its check against PyTorch in onnxruntime-node, and the model card.

Graph: inputs ``slices`` float32 [N,1,S,S] and ``masks`` float32 [N,1,S,S]; outputs ``logits``
float32 [1,2] (non-covid, covid) and ``attention`` float32 [N] (softmax over the slices); N is
dynamic. The card next to it carries everything the TypeScript side needs (preprocessing copied
from the training manifest, the slice strategy, the threshold and the slice rule) plus the
training data, the recipe and the measured metrics.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import onnx
import torch

from .data import LABELS, PreparedSet, TrainingError
from .inference import SLICE_RULE_KIND, SLICE_STRATEGY_KIND
from .model import ResNeXtPlus, parameter_count
from .train import CHECKPOINT_BEST, load_run_model

OPSET = 17
PARITY_SLICE_COUNTS = (1, 7, 50, 123)
PARITY_TOLERANCE = 1e-4
GOLDEN_SLICE_COUNTS = (1, 7, 61)
PROJECT_ROOT = Path(__file__).resolve().parent.parent
ONNX_RUNNER = Path(__file__).resolve().parent / 'onnx_run.mjs'


class ExportError(TrainingError):
    pass


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def export_onnx(model: ResNeXtPlus, size: int, path: Path, opset: int = OPSET, example_slices: int = 7) -> None:
    """Writes the graph and runs onnx.checker on it (full check, shape inference included)."""
    model = model.cpu().eval()
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
        torch.onnx.export(model, (x, m), str(path), input_names=['slices', 'masks'], output_names=['logits', 'attention'],
                          dynamic_axes={'slices': {0: 'N'}, 'masks': {0: 'N'}, 'attention': {0: 'N'}},
                          opset_version=opset, do_constant_folding=True)
    graph = onnx.load(str(path))
    onnx.checker.check_model(graph, full_check=True)
    names = [i.name for i in graph.graph.input]
    if names != ['slices', 'masks']:
        raise ExportError(f'the exported graph has inputs {names}, expected ["slices", "masks"]')


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
    """Max |Δ| between PyTorch and onnxruntime-node for logits and attention at each N."""
    inputs = parity_inputs(size, counts, volume=volume)
    onnx_out = run_onnx_node(model_path, inputs)
    model = model.cpu().eval()
    report = {'tolerance': tolerance, 'runtime': 'onnxruntime-node (cpu)', 'inputs': source, 'cases': []}
    worst = 0.0
    for feeds, got in zip(inputs, onnx_out):
        with torch.no_grad():
            logits, attention = model(torch.from_numpy(feeds['slices']), torch.from_numpy(feeds['masks']))
        n = feeds['slices'].shape[0]
        if got['logits'].shape != (1, 2) or got['attention'].shape != (n,):
            raise ExportError(f'N={n}: onnxruntime returned logits {got["logits"].shape} and attention {got["attention"].shape}')
        d_logits = float(np.max(np.abs(got['logits'] - logits.numpy())))
        d_attention = float(np.max(np.abs(got['attention'] - attention.numpy())))
        worst = max(worst, d_logits, d_attention)
        report['cases'].append({'slices': n, 'maxAbsLogits': d_logits, 'maxAbsAttention': d_attention,
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


def golden_outputs(model: ResNeXtPlus, size: int, counts: Sequence[int] = GOLDEN_SLICE_COUNTS) -> dict:
    """PyTorch's outputs on the closed-form inputs: the card carries them so that any runtime (the
    app's onnxruntime-node test, an installed workstation) can check it computes the same model."""
    model = model.cpu().eval()
    cases = []
    for n in counts:
        feeds = golden_inputs(size, n)
        with torch.no_grad():
            logits, attention = model(torch.from_numpy(feeds['slices']), torch.from_numpy(feeds['masks']))
        cases.append({'slices': n, 'logits': [float(v) for v in logits[0]], 'attention': [float(v) for v in attention]})
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


def build_card(run: Path, onnx_path: Path, name: str, model: ResNeXtPlus, checkpoint: dict, parity: Optional[dict], opset: int) -> dict:
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
                        'sliceBaselineEverySlice': evaluation.get('sliceBaseline'), 'measuredWith': evaluation.get('measuredWith'),
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
        'thresholdRule': 'covid when the volume probability ≥ threshold',
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
        'verification': parity,
        'golden': golden_outputs(model, int(config['preprocessing']['size'])),
        'intendedUse': 'Research and demonstration: flags chest CT volumes for COVID-19-like findings and points a reader to the '
                       'slices that drove the verdict. Not a clinical device: not for diagnosis or treatment decisions.',
        'limits': [
            'not a clinical device; no regulatory clearance',
            'trained and measured on the data named under training and metrics (synthetic phantoms unless stated otherwise); '
            'performance on real scans is unknown until measured on them',
            'two classes only (covid, non-covid): other pneumonias and lung diseases were not modelled',
            'slice verdicts come from attention learned without slice labels (weak supervision); they point to slices, they do not '
            'delineate lesions',
            'inputs must be prepared exactly as `preprocessing` says (the app reads these constants from this card)',
        ],
    }


def export_run(run: str | Path, out: str | Path, name: Optional[str] = None, check: bool = True, opset: int = OPSET,
               log: Callable[[str], None] = print) -> dict:
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
            f'N={c["slices"]}: {max(c["maxAbsLogits"], c["maxAbsAttention"]):.1e}' for c in parity['cases']))
        if not parity['passed']:
            raise ExportError(f'onnxruntime-node differs from PyTorch by {parity["maxAbs"]:.2e} > {parity["tolerance"]:.0e}')
    card = build_card(run, out, name, model, checkpoint, parity, opset)
    card_path = out.with_name(out.stem + '.card.json')
    tmp = card_path.with_suffix('.tmp')
    tmp.write_text(json.dumps(card, indent=2, ensure_ascii=False) + '\n')
    os.replace(tmp, card_path)
    log(f'wrote {card_path}')
    return card
