"""Training (paper §IV, DESIGN.md §5), in two stages. Stage 1 (pretrain.py) gives the slice
encoder its start from volume labels, as ImageNet pretraining did in the paper. Stage 2 is the
paper's recipe: volume labels only, one volume per step, 50 ordered slices sampled per step,
positive-class resampling, augmentation, Adam with a cyclic learning rate 1e-5…1e-4, binary
cross-entropy on the covid probability, BatchNorm running estimates frozen.

BatchNorm without pretrained weights (``batchnorm``). The paper froze the running estimates of an
ImageNet-pretrained ResNeXt; no pretrained weights exist offline. Every step here runs BatchNorm
in eval mode (running estimates, never batch statistics: with one volume per batch those would
normalise each slice by its neighbours', so a slice's features would depend on which other slices
share its pass), and the estimates come from a pass without gradients over up to
``bn_warmup_volumes`` training volumes (BatchNorm in train mode, cumulative average):

* ``frozen`` (default): estimated once before stage 2 (after stage 1), frozen for the whole run
  (the paper's setting). Measured without stage 1, from random weights: the features drift away
  from those estimates and training becomes unstable (the tiny synthetic run learned, then
  collapsed to a constant output at epoch 17; on phantoms the pooled features grew from mean 0.5
  to 4.2 and saturated every LSTM gate);
* ``refresh``: estimated before the first epoch and again before every epoch, from the current
  weights — frozen within an epoch;
* ``live``: ordinary BatchNorm — batch statistics during steps, running averages for validation,
  inference and export.

Residual branches start at zero (last BN γ = 0), so the network starts as a well-conditioned stack
of identities.
"""
from __future__ import annotations

import json
import math
import os
import platform
import random
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import torch
from torch.nn import functional as F

from .augment import AugmentSpec, augment_volume
from .data import DataError, PreparedSet, TrainingError, balanced_order, same_preprocessing, sample_slices
from .inference import calibrate, predict_set
from .model import ResNeXtPlus, covid_logit, freeze_batchnorm, network_spec, parameter_count
from .pretrain import pretrain_encoder

CHECKPOINT_LAST = 'checkpoint-last.pt'
BATCHNORM_MODES = {
    'frozen': 'running statistics estimated once before training (no gradients), then BatchNorm in eval mode throughout',
    'refresh': 'BatchNorm in eval mode for every step; running statistics re-estimated from the current weights before each epoch',
    'live': 'batch statistics over the step\'s slices during training (running averages updated); eval mode for validation, inference, export',
}
CHECKPOINT_BEST = 'best.pt'


@dataclass
class TrainConfig:
    train: str
    val: str
    out: str
    backbone: str = 'compact'
    ablation: str = 'none'
    epochs: int = 40
    seed: int = 0
    slices_per_step: int = 50
    lr_min: float = 1e-5
    lr_max: float = 1e-4
    lr_half_cycle_epochs: float = 1.0  # CyclicLR step_size_up in epochs (a full cycle is twice this)
    augment: str = 'all'  # all | positive | none
    bn_warmup_volumes: int = 32
    batchnorm: str = 'frozen'  # frozen | refresh | live (see the module docstring)
    pretrain_steps: int = 4000  # stage 1 (pretrain.py); 0 starts stage 2 from random weights
    pretrain_volumes: int = 8
    pretrain_slices: int = 4
    pretrain_lr: float = 1e-3
    device: str = 'auto'
    time_budget_min: Optional[float] = None

    def to_json(self) -> dict:
        return asdict(self)


def resolve_device(name: str) -> torch.device:
    if name == 'auto':
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    if name == 'cuda' and not torch.cuda.is_available():
        raise TrainingError('--device cuda was asked for but torch sees no CUDA device')
    return torch.device(name)


def seed_everything(seed: int) -> np.random.Generator:
    """Seeds python, numpy and torch; returns the one generator that draws sampling and augmentation."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    if torch.cuda.is_available():
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    return np.random.default_rng(seed)


def _atomic_save(obj, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + '.tmp')
    torch.save(obj, tmp)
    os.replace(tmp, path)


def _write_json(path: Path, obj) -> None:
    tmp = path.with_suffix(path.suffix + '.tmp')
    tmp.write_text(json.dumps(obj, indent=2) + '\n')
    os.replace(tmp, path)


def _scheduler_state(scheduler) -> dict:
    # torch 1.13's CyclicLR keeps a WeakMethod in its state, which cannot be pickled; the
    # constructor rebuilds it on resume.
    return {k: v for k, v in scheduler.state_dict().items() if k != '_scale_fn_ref'}


def load_run_model(run: str | Path, which: str = CHECKPOINT_BEST, device: torch.device | str = 'cpu') -> tuple[ResNeXtPlus, dict]:
    """The network of a run (its best checkpoint by default) in eval mode, and the checkpoint."""
    path = Path(run) / which
    if not path.is_file():
        raise FileNotFoundError(f'{path} does not exist (has `python -m training train` finished an epoch in {run}?)')
    checkpoint = torch.load(path, map_location=device)
    model = ResNeXtPlus(network_spec(checkpoint['spec']['backbone'], checkpoint['spec']['ablation']))
    model.load_state_dict(checkpoint['model'])
    return model.to(device).eval(), checkpoint


@torch.no_grad()
def estimate_batchnorm(model: ResNeXtPlus, data: PreparedSet, volumes: int, slice_count: int, device: torch.device) -> int:
    """Running mean/var of every BatchNorm as a cumulative average over up to ``volumes`` training
    volumes (evenly spaced slices, no augmentation); returns how many volumes were used."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average
    model.train()
    cases = data.labelled()
    step = max(1, len(cases) // max(1, volumes))
    chosen = cases[::step][:volumes]
    for case in chosen:
        slices, masks = data.arrays(case)
        n = slices.shape[0]
        idx = np.unique(np.linspace(0, n - 1, min(n, slice_count)).round().astype(np.int64))
        x = torch.from_numpy(np.ascontiguousarray(slices[idx])).to(device)
        m = torch.from_numpy(np.ascontiguousarray(masks[idx], dtype=np.float32)).to(device)
        model.slice_features(x, m)
    for m, momentum in zip(norms, saved):
        m.momentum = momentum
    freeze_batchnorm(model)
    return len(chosen)


def evaluate_loss(predictions) -> dict:
    """Validation loss (BCE of the whole-volume probability) and volume accuracy at 0.5 — the
    per-epoch line only; the reported metrics come from `lunglens evaluate`."""
    labelled = [(c, p) for c, p in predictions if c.label is not None]
    if not labelled:
        return {'loss': None, 'accuracy': None, 'cases': 0, 'probabilityStd': None}
    eps = 1e-7
    losses, correct = [], 0
    for c, p in labelled:
        q = min(max(p.probability, eps), 1 - eps)
        y = c.target
        losses.append(-(y * math.log(q) + (1 - y) * math.log(1 - q)))
        correct += int((p.probability >= 0.5) == (y == 1.0))
    spread = float(np.std([p.probability for _, p in labelled]))
    return {'loss': float(np.mean(losses)), 'accuracy': correct / len(labelled), 'cases': len(labelled), 'probabilityStd': spread}


def _predictions_json(predictions) -> list[dict]:
    return [{'id': c.id, 'label': c.label, 'probability': p.probability, 'passProbabilities': p.pass_probabilities,
             'attention': p.attention.tolist()} for c, p in predictions]


def train(config: TrainConfig, resume: bool = False, log: Callable[[str], None] = print) -> dict:
    """Trains into ``config.out``; returns the summary also written to ``summary.json``."""
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    last_path = out / CHECKPOINT_LAST
    checkpoint = None
    if resume:
        if not last_path.is_file():
            raise FileNotFoundError(f'--resume: {last_path} does not exist')
        checkpoint = torch.load(last_path, map_location='cpu')
        saved = TrainConfig(**checkpoint['config'])
        # The recipe comes from the run; only the length, the budget and the device may change.
        config = replace(saved, epochs=config.epochs, time_budget_min=config.time_budget_min, device=config.device)
    device = resolve_device(config.device)
    rng = seed_everything(config.seed)

    train_set = PreparedSet.load(config.train)
    val_set = PreparedSet.load(config.val)
    if not same_preprocessing(train_set, val_set):
        raise DataError('the training and validation folders were prepared differently (manifest preprocessing or mask differ)')
    cases = train_set.labelled()
    if not cases:
        raise DataError(f'{config.train}: no labelled cases to train on')
    targets = [c.target for c in cases]
    norm = train_set.preprocessing['normalization']
    mean, std = float(norm['mean']), float(norm['std'])

    spec = network_spec(config.backbone, config.ablation)
    model = ResNeXtPlus(spec).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr_min)
    steps_per_epoch = len(balanced_order(targets, np.random.default_rng(0)))
    step_size_up = max(1, round(config.lr_half_cycle_epochs * steps_per_epoch))
    scheduler = torch.optim.lr_scheduler.CyclicLR(optimizer, base_lr=config.lr_min, max_lr=config.lr_max, step_size_up=step_size_up,
                                                  mode='triangular', cycle_momentum=False)
    history: list[dict] = []
    best = {'epoch': None, 'valLoss': None, 'valAccuracy': None}
    first_epoch = 1
    if checkpoint is not None:
        model.load_state_dict(checkpoint['model'])
        optimizer.load_state_dict(checkpoint['optimizer'])
        scheduler.load_state_dict(checkpoint['scheduler'])
        rng.bit_generator.state = checkpoint['rng']['numpy']
        random.setstate(checkpoint['rng']['python'])
        torch.set_rng_state(checkpoint['rng']['torch'])
        history, best = checkpoint['history'], checkpoint['best']
        first_epoch = checkpoint['epoch'] + 1
        log(f'resuming {out} after epoch {checkpoint["epoch"]}')
    started = time.perf_counter()
    if checkpoint is None:
        log(f'{spec.backbone} ({spec.ablation}) {parameter_count(model):,} parameters on {device}; '
            f'{len(cases)} training volumes ({targets.count(1.0)} covid)')
        pretraining = []
        if config.pretrain_steps > 0:
            log(f'stage 1: pretraining the slice encoder, {config.pretrain_steps} steps of {config.pretrain_volumes} volumes × '
                f'{config.pretrain_slices} slices (each slice takes its volume\'s label)')
            pretraining = pretrain_encoder(model, train_set, val_set, steps=config.pretrain_steps, volumes=config.pretrain_volumes,
                                           slices=config.pretrain_slices, lr=config.pretrain_lr, augment=config.augment, rng=rng,
                                           device=device, log=log)
        used = 0 if config.batchnorm == 'live' else estimate_batchnorm(model, train_set, config.bn_warmup_volumes, config.slices_per_step, device)
        _write_json(out / 'config.json', {
            'config': config.to_json(), 'network': spec.to_json(), 'parameters': parameter_count(model),
            'augment': AugmentSpec().to_json(), 'stepsPerEpoch': steps_per_epoch, 'lrStepSizeUp': step_size_up,
            'batchNorm': {'mode': config.batchnorm, 'warmupVolumes': used, 'meaning': BATCHNORM_MODES[config.batchnorm]},
            'pretraining': {'steps': config.pretrain_steps, 'volumesPerStep': config.pretrain_volumes, 'slicesPerVolume': config.pretrain_slices,
                            'lr': {'schedule': 'cosine', 'max': config.pretrain_lr, 'min': config.pretrain_lr / 10}, 'history': pretraining},
            'preprocessing': train_set.preprocessing, 'mask': train_set.manifest.get('mask'),
            'data': {'train': train_set.identity(), 'val': val_set.identity()},
            'environment': {'python': platform.python_version(), 'torch': torch.__version__, 'device': str(device),
                            'threads': torch.get_num_threads()},
        })
        log(f'stage 2: {steps_per_epoch} steps per epoch (one volume each); BatchNorm {config.batchnorm}'
            + (f' (running estimates from {used} training volumes)' if used else ''))

    augment_all = config.augment == 'all'
    budget_s = None if config.time_budget_min is None else config.time_budget_min * 60.0
    last_epoch_s = 0.0
    stopped = None
    epoch = first_epoch - 1
    for epoch in range(first_epoch, config.epochs + 1):
        elapsed = time.perf_counter() - started
        if budget_s is not None and epoch > first_epoch and elapsed + last_epoch_s > budget_s:
            stopped = f'time budget: {elapsed / 60:.1f} min used, next epoch needs ~{last_epoch_s / 60:.1f} min'
            epoch -= 1
            break
        epoch_start = time.perf_counter()
        if config.batchnorm == 'refresh' and epoch > 1:
            estimate_batchnorm(model, train_set, config.bn_warmup_volumes, config.slices_per_step, device)
        model.train()
        if config.batchnorm != 'live':
            freeze_batchnorm(model)
        losses = []
        partial = False
        for i in balanced_order(targets, rng):
            case = cases[i]
            slices, masks = train_set.arrays(case)
            idx = sample_slices(slices.shape[0], config.slices_per_step, rng)
            x = torch.from_numpy(np.ascontiguousarray(slices[idx])).to(device)
            m = torch.from_numpy(np.ascontiguousarray(masks[idx], dtype=np.float32)).to(device)
            if augment_all or (config.augment == 'positive' and case.target == 1.0):
                x, m = augment_volume(x, m, mean, std, rng)
            logits, _ = model(x, m)
            loss = F.binary_cross_entropy_with_logits(covid_logit(logits)[0], torch.tensor(case.target, device=device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(float(loss.item()))
            if budget_s is not None and time.perf_counter() - started > budget_s:
                partial = True
                break
        predictions = predict_set(model, val_set, config.slices_per_step, device)
        val = evaluate_loss(predictions)
        last_epoch_s = time.perf_counter() - epoch_start
        record = {'epoch': epoch, 'trainLoss': float(np.mean(losses)), 'steps': len(losses), 'valLoss': val['loss'],
                  'valAccuracy': val['accuracy'], 'valProbabilityStd': val['probabilityStd'], 'lr': scheduler.get_last_lr()[0], 'seconds': round(last_epoch_s, 2)}
        if partial:
            record['partial'] = True
        history.append(record)
        improved = best['epoch'] is None or (val['loss'] is not None and val['loss'] < best['valLoss'])
        if improved:
            best = {'epoch': epoch, 'valLoss': val['loss'], 'valAccuracy': val['accuracy']}
            _atomic_save({'model': model.state_dict(), 'spec': spec.to_json(), 'epoch': epoch, 'val': val,
                          'config': config.to_json()}, out / CHECKPOINT_BEST)
            _write_json(out / 'val-predictions.json', {'epoch': epoch, 'cases': _predictions_json(predictions)})
        _atomic_save({'model': model.state_dict(), 'optimizer': optimizer.state_dict(), 'scheduler': _scheduler_state(scheduler),
                      'rng': {'numpy': rng.bit_generator.state, 'python': random.getstate(), 'torch': torch.get_rng_state()},
                      'epoch': epoch, 'history': history, 'best': best, 'config': config.to_json(), 'spec': spec.to_json()}, last_path)
        _write_json(out / 'history.json', history)
        fmt = lambda v, f: '—' if v is None else format(v, f)  # noqa: E731
        log(f'epoch {epoch}/{config.epochs}  train loss {record["trainLoss"]:.4f}  val loss {fmt(val["loss"], ".4f")}  '
            f'val acc {fmt(val["accuracy"], ".3f")}  val p sd {fmt(val["probabilityStd"], ".3f")}  lr {record["lr"]:.2e}  {last_epoch_s:.0f} s{"  (partial: time budget)" if partial else ""}'
            f'{"  *best" if improved else ""}')
        if partial:
            stopped = 'time budget reached inside the epoch'
            break

    summary = finish(out, val_set, device, log)
    summary.update({'epochsRun': epoch, 'epochsPlanned': config.epochs, 'stopped': stopped, 'best': best})
    _write_json(out / 'summary.json', summary)
    return summary


def finish(out: Path, val_set: PreparedSet, device: torch.device, log: Callable[[str], None] = print) -> dict:
    """Calibrates the threshold and the slice rule on the validation split with the best model."""
    model, checkpoint = load_run_model(out, device=device)
    slice_count = checkpoint['config']['slices_per_step']
    predictions = predict_set(model, val_set, slice_count, device)
    calibration = calibrate(predictions)
    _write_json(out / 'calibration.json', {**calibration.to_json(), 'epoch': checkpoint['epoch'], 'sliceCount': slice_count,
                                           'data': val_set.identity()})
    log(f'calibrated on {len(predictions)} validation volumes (best epoch {checkpoint["epoch"]}): '
        f'threshold {calibration.threshold:.4f}, slice factor {calibration.factor:.4f}')
    return {'calibration': calibration.to_json()}
