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
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import torch
from torch.nn import functional as F

from .augment import AugmentSpec, augment_volume
from .data import DataError, Pool, TrainingError, balanced_order, mixed_order, same_preprocessing, sample_slices, sha256_file
from .calibration import fit_ood, fit_temperature, ood_threshold, reliability
from .inference import calibrate, predict_set
from .model import ResNeXtPlus, covid_logit, freeze_batchnorm, network_spec, parameter_count
from .pretrain import PretrainSources, pretrain_encoder

CHECKPOINT_LAST = 'checkpoint-last.pt'
BATCHNORM_MODES = {
    'frozen': 'running statistics estimated once before training (no gradients), then BatchNorm in eval mode throughout',
    'refresh': 'BatchNorm in eval mode for every step; running statistics re-estimated from the current weights before each epoch',
    'live': 'batch statistics over the step\'s slices during training (running averages updated); eval mode for validation, inference, export',
}
CHECKPOINT_BEST = 'best.pt'
CHECKPOINT_STAGE1 = 'stage1.pt'


def as_list(value) -> list[str]:
    """A folder option that may be one path (the original recipe) or several (the mix)."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


@dataclass
class TrainConfig:
    train: str | list[str]  # prepared folder(s): the training pool (README "Real data")
    val: str | list[str]
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
    pretrain_steps: Optional[int] = None  # stage 1 (pretrain.py); None: 4000, or 0 with init; 0 starts stage 2 from random weights
    pretrain_volumes: int = 8
    pretrain_slices: int = 4
    pretrain_lr: float = 1e-3
    device: str = 'auto'
    time_budget_min: Optional[float] = None
    # The mix and the folds (README "Real data"): patients (groups) held out of training and
    # validation (the fold's test patient), patients moved from the training folders to
    # validation, sampling weight per domain, and the epoch length when mixing.
    hold_out: list[str] = field(default_factory=list)
    val_groups: list[str] = field(default_factory=list)
    domain_weights: dict[str, float] = field(default_factory=dict)
    steps_per_epoch: Optional[int] = None
    # Start from another run's weights (its best.pt, or a .pt file): stage 1 is then skipped
    # unless pretrain_steps says otherwise, and BatchNorm is re-estimated on this run's pool.
    init: Optional[str] = None
    # Stage 1's other sources (pretrain.py): labelled real 2-D slices (and a held-out part of them)
    # and unlabelled real CT for the contrastive loss.
    pretrain_slice_sets: list[str] = field(default_factory=list)
    pretrain_slice_val: list[str] = field(default_factory=list)
    pretrain_slice_count: int = 8
    pretrain_slice_weight: float = 1.0
    pretrain_ssl_sets: list[str] = field(default_factory=list)
    pretrain_ssl_pairs: int = 8
    pretrain_ssl_weight: float = 1.0
    pretrain_ssl_temperature: float = 0.2
    # Stage 2/3 augmentation: the lung-density transform's δmax in HU (augment.py; 0: off).
    lung_density_hu: float = 0.0

    def augment_spec(self) -> AugmentSpec:
        return AugmentSpec(lung_density_hu=self.lung_density_hu)

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
    path = Path(run) if str(run).endswith('.pt') else Path(run) / which
    if not path.is_file():
        raise FileNotFoundError(f'{path} does not exist (has `python -m training train` finished an epoch in {run}?)')
    checkpoint = torch.load(path, map_location=device)
    model = ResNeXtPlus(network_spec(checkpoint['spec']['backbone'], checkpoint['spec']['ablation']))
    model.load_state_dict(checkpoint['model'])
    return model.to(device).eval(), checkpoint


@torch.no_grad()
def batchnorm_cases(cases: list, volumes: int, weights: Optional[dict[str, float]] = None) -> list:
    """Evenly spaced cases for the BatchNorm estimate; with several domains, as many of each as
    its sampling weight asks (so the estimate sees the mix that training sees)."""
    domains = sorted({c.domain for c in cases})
    if len(domains) <= 1 or not weights:
        step = max(1, len(cases) // max(1, volumes))
        return cases[::step][:volumes]
    total = sum(weights.get(d, 0.0) for d in domains) or 1.0
    chosen = []
    for d in domains:
        members = [c for c in cases if c.domain == d]
        want = max(1, round(volumes * weights.get(d, 0.0) / total)) if weights.get(d, 0.0) > 0 else 0
        idx = np.unique(np.linspace(0, len(members) - 1, min(want, len(members))).round().astype(np.int64)) if want else []
        chosen += [members[i] for i in idx]
    return chosen


def estimate_batchnorm(model: ResNeXtPlus, data, volumes: int, slice_count: int, device: torch.device,
                       weights: Optional[dict[str, float]] = None) -> int:
    """Running mean/var of every BatchNorm as a cumulative average over up to ``volumes`` training
    volumes (evenly spaced slices, no augmentation); returns how many volumes were used."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average
    model.train()
    chosen = batchnorm_cases(data.labelled(), volumes, weights)
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
    cells: dict[tuple[str, float], list[float]] = {}
    for c, p in labelled:
        q = min(max(p.probability, eps), 1 - eps)
        y = c.target
        losses.append(-(y * math.log(q) + (1 - y) * math.log(1 - q)))
        cells.setdefault((c.domain, y), []).append(losses[-1])
        correct += int((p.probability >= 0.5) == (y == 1.0))
    spread = float(np.std([p.probability for _, p in labelled]))
    loss = float(np.mean(losses))
    if len({d for d, _ in cells}) > 1:
        # A mixed validation split (60 phantoms, 13 cases of one real patient): every (domain, class)
        # cell weighs the same, so the epoch is chosen for the real patient as much as for phantoms.
        loss = float(np.mean([np.mean(v) for v in cells.values()]))
    return {'loss': loss, 'accuracy': correct / len(labelled), 'cases': len(labelled), 'probabilityStd': spread,
            'cells': {f'{d}/{"covid" if y else "non-covid"}': float(np.mean(v)) for (d, y), v in sorted(cells.items())}}


def _predictions_json(predictions) -> list[dict]:
    return [{'id': c.id, 'label': c.label, 'probability': p.probability, 'passProbabilities': p.pass_probabilities,
             'attention': p.attention.tolist()} for c, p in predictions]


def code_version() -> Optional[str]:
    """The training code's git commit (with "+changes" when the worktree differs from it), or None."""
    import subprocess

    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=here, capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain', '--', str(here)], cwd=here, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (head + ('+changes' if dirty else '')) or None


def load_pools(config: TrainConfig) -> tuple[Pool, Pool]:
    """(training pool, validation pool) of a run: the training folders without the held-out and
    the validation patients; the validation folders without the held-out patients, plus the
    validation patients' cases from the training folders."""
    overlap = set(config.hold_out) & set(config.val_groups)
    if overlap:
        raise DataError(f'patient(s) {", ".join(sorted(overlap))} cannot be both held out and used for validation')
    train_set = Pool.load(as_list(config.train), exclude=[*config.hold_out, *config.val_groups])
    val_set = Pool.load(as_list(config.val), exclude=config.hold_out)
    if config.val_groups:
        moved = Pool(train_set.sets, only=config.val_groups)
        missing = sorted(set(config.val_groups) - {c.group for c in moved.cases})
        if missing:
            raise DataError(f'validation patient(s) {", ".join(missing)} have no case in the training folders')
        val_set = Pool.merge([val_set, moved])
    if not same_preprocessing(train_set, val_set):
        raise DataError('the training and validation folders were prepared differently (manifest preprocessing or mask differ)')
    held = sorted(set(config.hold_out) - set(train_set.groups()) - {c.group for s in train_set.sets for c in s.cases})
    if held:
        raise DataError(f'held-out patient(s) {", ".join(held)} appear in no training folder (a typo?)')
    return train_set, val_set


def domain_weights(config: TrainConfig, pool: Pool) -> dict[str, float]:
    """The sampling weight of every domain in the pool (1 for any not given)."""
    return {d: float(config.domain_weights.get(d, 1.0)) for d in pool.domains()}


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

    train_set, val_set = load_pools(config)
    cases = train_set.labelled()
    if not cases:
        raise DataError(f'{config.train}: no labelled cases to train on')
    targets = [c.target for c in cases]
    norm = train_set.preprocessing['normalization']
    mean, std = float(norm['mean']), float(norm['std'])
    mixing = len(train_set.domains()) > 1 or bool(config.domain_weights) or config.steps_per_epoch is not None
    weights = domain_weights(config, train_set) if mixing else None

    spec = network_spec(config.backbone, config.ablation)
    model = ResNeXtPlus(spec).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr_min)
    steps_per_epoch = config.steps_per_epoch or len(balanced_order(targets, np.random.default_rng(0)))
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
            f'{len(cases)} training volumes ({targets.count(1.0)} covid)'
            + (f' in domains {", ".join(f"{d} (weight {w:g})" for d, w in weights.items())}' if weights else '')
            + (f'; held out: {", ".join(config.hold_out)}' if config.hold_out else '')
            + (f'; validation patients: {", ".join(config.val_groups)}' if config.val_groups else ''))
        initialised = None
        if config.init:
            source, init_checkpoint = load_run_model(config.init, device=device)
            if source.spec != spec:
                raise DataError(f'--init {config.init}: its network ({source.spec.backbone}, {source.spec.ablation}) is not this run\'s')
            model.load_state_dict(source.state_dict())
            initialised = {'from': str(Path(config.init).resolve()), 'epoch': init_checkpoint.get('epoch'),
                           'sha256': sha256_file(Path(config.init) if str(config.init).endswith('.pt') else Path(config.init) / CHECKPOINT_BEST)}
            log(f'initialised from {config.init} (epoch {init_checkpoint.get("epoch")})')
        pretrain_steps = config.pretrain_steps if config.pretrain_steps is not None else (0 if config.init else 4000)
        pretraining = []
        sources = None
        if pretrain_steps > 0:
            sources = PretrainSources(
                volumes=train_set, val=val_set,
                slices=Pool.load(config.pretrain_slice_sets) if config.pretrain_slice_sets else None,
                slices_val=Pool.load(config.pretrain_slice_val) if config.pretrain_slice_val else None,
                ssl=Pool.load(config.pretrain_ssl_sets) if config.pretrain_ssl_sets else None)
            for extra in (sources.slices, sources.slices_val, sources.ssl):
                if extra is not None and not same_preprocessing(extra, train_set):
                    raise DataError('the stage-1 folders were prepared differently from the training folders')
            log(f'stage 1: pretraining the slice encoder, {pretrain_steps} steps of {config.pretrain_volumes} volumes × '
                f'{config.pretrain_slices} slices (each slice takes its volume\'s label)'
                + (f' + {config.pretrain_slice_count} labelled 2-D slices of {len(sources.slices.cases)}' if sources.slices else '')
                + (f' + {config.pretrain_ssl_pairs} contrastive pairs from {len(sources.ssl.cases)} real series' if sources.ssl else ''))
            pretraining = pretrain_encoder(model, sources, steps=pretrain_steps, volumes=config.pretrain_volumes,
                                           slices=config.pretrain_slices, lr=config.pretrain_lr, augment=config.augment, rng=rng,
                                           device=device, slice_count=config.pretrain_slice_count, slice_weight=config.pretrain_slice_weight,
                                           ssl_pairs=config.pretrain_ssl_pairs, ssl_weight=config.pretrain_ssl_weight,
                                           ssl_temperature=config.pretrain_ssl_temperature, log=log)
        used = 0 if config.batchnorm == 'live' else estimate_batchnorm(model, train_set, config.bn_warmup_volumes, config.slices_per_step, device, weights)
        if pretrain_steps > 0:
            _atomic_save({'model': model.state_dict(), 'spec': spec.to_json(), 'epoch': 0, 'config': config.to_json()}, out / CHECKPOINT_STAGE1)
        _write_json(out / 'config.json', {
            'config': config.to_json(), 'network': spec.to_json(), 'parameters': parameter_count(model),
            'augment': config.augment_spec().to_json(), 'stepsPerEpoch': steps_per_epoch, 'lrStepSizeUp': step_size_up,
            'batchNorm': {'mode': config.batchnorm, 'warmupVolumes': used, 'meaning': BATCHNORM_MODES[config.batchnorm]},
            'pretraining': {'steps': pretrain_steps, 'volumesPerStep': config.pretrain_volumes, 'slicesPerVolume': config.pretrain_slices,
                            'lr': {'schedule': 'cosine', 'max': config.pretrain_lr, 'min': config.pretrain_lr / 10}, 'history': pretraining,
                            **({'slices2d': {'data': sources.slices.identity(), 'perStep': config.pretrain_slice_count,
                                             'weight': config.pretrain_slice_weight,
                                             'heldOut': sources.slices_val.identity() if sources.slices_val else None}} if sources and sources.slices else {}),
                            **({'selfSupervised': {'data': sources.ssl.identity(), 'pairsPerStep': config.pretrain_ssl_pairs,
                                                   'weight': config.pretrain_ssl_weight, 'temperature': config.pretrain_ssl_temperature,
                                                   'objective': 'NT-Xent (SimCLR) with a queue of 256 recent projections; views: a slice and itself or its neighbour, '
                                                                'optionally a 3-slice slab, each zoomed, rotated, blurred, stretched and given noise independently'}}
                               if sources and sources.ssl else {})},
            'initialisedFrom': initialised,
            'mix': {'domainWeights': weights, 'holdOut': config.hold_out, 'validationGroups': config.val_groups,
                    'sampling': 'domain by weight, then class (half each), then patient (uniform), then case' if weights else
                                'positive-class resampling (minority class repeated to the majority count)'},
            'preprocessing': train_set.preprocessing, 'mask': train_set.mask,
            'data': {'train': train_set.identity(), 'val': val_set.identity()},
            'environment': {'python': platform.python_version(), 'torch': torch.__version__, 'device': str(device),
                            'threads': torch.get_num_threads(), 'code': code_version()},
        })
        log(f'stage 2: {steps_per_epoch} steps per epoch (one volume each); BatchNorm {config.batchnorm}'
            + (f' (running estimates from {used} training volumes)' if used else ''))

    augment_all = config.augment == 'all'
    augmentation = config.augment_spec()
    window = train_set.preprocessing['huWindow']
    hu_window = (float(window['lowHu']), float(window['highHu']))
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
            estimate_batchnorm(model, train_set, config.bn_warmup_volumes, config.slices_per_step, device, weights)
        model.train()
        if config.batchnorm != 'live':
            freeze_batchnorm(model)
        losses = []
        partial = False
        order = mixed_order(cases, weights, steps_per_epoch, rng) if weights else balanced_order(targets, rng)
        for i in order:
            case = cases[i]
            slices, masks = train_set.arrays(case)
            idx = sample_slices(slices.shape[0], config.slices_per_step, rng)
            x = torch.from_numpy(np.ascontiguousarray(slices[idx])).to(device)
            m = torch.from_numpy(np.ascontiguousarray(masks[idx], dtype=np.float32)).to(device)
            if augment_all or (config.augment == 'positive' and case.target == 1.0):
                x, m = augment_volume(x, m, mean, std, rng, augmentation, hu_window)
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

    if not (out / CHECKPOINT_BEST).is_file() and (out / CHECKPOINT_STAGE1).is_file():
        # A stage-1-only run (--epochs 0): its encoder is the run's model, for --init of later runs;
        # its LSTM and head are untrained, so there is nothing to calibrate.
        shutil.copyfile(out / CHECKPOINT_STAGE1, out / CHECKPOINT_BEST)
        summary = {'stage1Only': True, 'epochsRun': 0, 'epochsPlanned': 0, 'stopped': None, 'best': best}
        _write_json(out / 'summary.json', summary)
        log(f'stage 1 only: the encoder is {out / CHECKPOINT_STAGE1} (and {CHECKPOINT_BEST}), for --init')
        return summary
    summary = finish(out, val_set, device, log, train_set)
    summary.update({'epochsRun': epoch, 'epochsPlanned': config.epochs, 'stopped': stopped, 'best': best})
    _write_json(out / 'summary.json', summary)
    return summary


OOD_VOLUMES = 120


def ood_cases(cases: list, per_cell: int = OOD_VOLUMES) -> list:
    """At most ``per_cell`` cases of each (domain, label), evenly spaced: the OOD fit's sample."""
    cells: dict[tuple[str, str], list] = {}
    for c in cases:
        cells.setdefault((c.domain, c.label), []).append(c)
    out = []
    for members in cells.values():
        idx = np.unique(np.linspace(0, len(members) - 1, min(per_cell, len(members))).round().astype(np.int64))
        out += [members[i] for i in idx]
    return out


def ood_label(case) -> str:
    """The OOD model's class key: the label, prefixed with the domain when the run mixes domains
    (one Gaussian per kind of data and class, one shared covariance)."""
    return case.label if case.domain == 'default' else f'{case.domain}/{case.label}'


def finish(out: Path, val_set, device: torch.device, log: Callable[[str], None] = print, train_set=None) -> dict:
    """After training, with the best model: the temperature (validation), the threshold and the
    slice factor (validation, on calibrated probabilities), and the OOD model (statistics from the
    training pool, threshold from the validation scores). README "Abstention"."""
    model, checkpoint = load_run_model(out, device=device)
    slice_count = checkpoint['config']['slices_per_step']
    if train_set is None:
        train_set, _ = load_pools(TrainConfig(**checkpoint['config']))
    predictions = predict_set(model, val_set, slice_count, device)
    labelled = [(c, p) for c, p in predictions if c.label is not None]
    temperature = fit_temperature([p.pass_logits for _, p in labelled], [c.target for c, _ in labelled])
    t = temperature['temperature']
    calibrated = [(c, replace(p, probability=p.calibrated(t))) for c, p in predictions]
    calibration = calibrate(calibrated)
    curve = reliability([p.probability for c, p in calibrated if c.label is not None], [c.target for c, _ in labelled])
    before = reliability([p.probability for _, p in labelled], [c.target for c, _ in labelled])
    # The OOD statistics: every training volume, up to OOD_VOLUMES per domain and class (evenly spaced).
    train_predictions = predict_set(model, train_set, slice_count, device, cases=ood_cases(train_set.labelled()))
    ood = fit_ood([p.features for _, p in train_predictions], [ood_label(c) for c, _ in train_predictions])
    val_scores = [ood.score(p.features) for _, p in predictions]
    chosen = ood_threshold(val_scores)
    ood.threshold = chosen['threshold']
    ood.method.update({'threshold': chosen, 'trainingData': train_set.identity()})
    _write_json(out / 'calibration.json', {
        **calibration.to_json(), 'epoch': checkpoint['epoch'], 'sliceCount': slice_count, 'data': val_set.identity(),
        'temperature': temperature, 'reliability': {'validation': curve, 'validationUncalibrated': before},
        'validationScores': [{'id': c.id, 'group': c.group, 'domain': c.domain, 'label': c.label, 'probability': p.probability,
                              'oodScore': sc} for (c, p), sc in zip(calibrated, val_scores)]})
    _write_json(out / 'ood.json', ood.to_json())
    log(f'calibrated on {len(predictions)} validation volumes (best epoch {checkpoint["epoch"]}): temperature {t:.3f} '
        f'(ECE {before["ece"]:.3f} → {curve["ece"]:.3f}), threshold {calibration.threshold:.4f}, slice factor {calibration.factor:.4f}; '
        f'OOD: {ood.components.shape[0]} components from {len(train_predictions)} training volumes, threshold {ood.threshold:.2f}')
    return {'calibration': calibration.to_json(), 'temperature': t, 'oodThreshold': ood.threshold}
