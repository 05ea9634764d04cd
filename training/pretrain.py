"""Slice-encoder pretraining from volume labels (stage 1 of the recipe; README "Pretraining").

The paper started from an ImageNet-pretrained ResNeXt with frozen BatchNorm. No pretrained weights
exist offline, and trained from random weights with one volume per step the network did not learn
here (README "Measured"). This stage gives the encoder (fusion stem, CBAM, ResNeXt stages) its
start from the same weak labels the whole method uses: each step draws ``volumes`` training
volumes (half covid, half not), ``slices`` random lung-bearing slices from each, and every slice
inherits its volume's label; a linear probe on the pooled slice feature is trained with BCE, with
ordinary BatchNorm over the mixed batch. The probe is thrown away afterwards. Slice labels are never
used: a covid volume's slices without lesions are "positive" here too — the multiple-instance noise
that stage 2 (the LSTM and slice attention over 50 ordered slices) resolves.
"""
from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .augment import augment_volume
from .data import Case, PreparedSet
from .model import ResNeXtPlus


def lung_slices(masks: np.ndarray) -> np.ndarray:
    """Indices of the slices whose mask holds lung (all of them when none does)."""
    has = np.flatnonzero(masks.reshape(masks.shape[0], -1).max(axis=1) > 0)
    return has if has.size else np.arange(masks.shape[0])


def pretrain_batch(data: PreparedSet, cases: list[Case], volumes: int, slices: int, rng: np.random.Generator,
                   mean: float, std: float, augment: str, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One mixed batch: (slices [V·K,1,S,S], masks, targets [V·K]), classes balanced per batch."""
    by_class = {t: [i for i, c in enumerate(cases) if c.target == t] for t in (0.0, 1.0)}
    picked = []
    for k in range(volumes):
        pool = by_class[float(k % 2)] or by_class[float(1 - k % 2)]
        picked.append(cases[pool[int(rng.integers(len(pool)))]])
    xs, ms, ys = [], [], []
    for case in picked:
        s, m = data.arrays(case)
        candidates = lung_slices(np.asarray(m))
        idx = np.sort(rng.choice(candidates, size=min(slices, candidates.size), replace=False))
        x = torch.from_numpy(np.ascontiguousarray(s[idx])).to(device)
        mk = torch.from_numpy(np.ascontiguousarray(m[idx], dtype=np.float32)).to(device)
        if augment == 'all' or (augment == 'positive' and case.target == 1.0):
            x, mk = augment_volume(x, mk, mean, std, rng)
        xs.append(x)
        ms.append(mk)
        ys += [case.target] * len(idx)
    return torch.cat(xs), torch.cat(ms), torch.tensor(ys, device=device)


@torch.no_grad()
def probe_validation(model: ResNeXtPlus, probe: nn.Linear, data: PreparedSet, slices: int, device: torch.device) -> dict:
    """Per validation volume the mean slice probability of the probe: BCE and accuracy at 0.5."""
    model.eval()
    losses, correct, n = [], 0, 0
    for case in data.labelled():
        s, m = data.arrays(case)
        idx = lung_slices(np.asarray(m))
        idx = idx[np.unique(np.linspace(0, idx.size - 1, min(idx.size, slices)).round().astype(np.int64))]
        x = torch.from_numpy(np.ascontiguousarray(s[idx])).to(device)
        mk = torch.from_numpy(np.ascontiguousarray(m[idx], dtype=np.float32)).to(device)
        p = float(torch.sigmoid(probe(model.slice_features(x, mk))[:, 0]).mean())
        q = min(max(p, 1e-7), 1 - 1e-7)
        losses.append(-(case.target * math.log(q) + (1 - case.target) * math.log(1 - q)))
        correct += int((p >= 0.5) == (case.target == 1.0))
        n += 1
    return {'loss': float(np.mean(losses)) if losses else None, 'accuracy': correct / n if n else None}


def pretrain_encoder(model: ResNeXtPlus, train_set: PreparedSet, val_set: PreparedSet, *, steps: int, volumes: int, slices: int,
                     lr: float, augment: str, rng: np.random.Generator, device: torch.device,
                     log: Callable[[str], None] = print, report_every: int = 250) -> list[dict]:
    """Trains the encoder in place (Adam, cosine decay from ``lr`` to lr/10); returns the history."""
    cases = train_set.labelled()
    norm = train_set.preprocessing['normalization']
    mean, std = float(norm['mean']), float(norm['std'])
    probe = nn.Linear(model.feature_size, 1).to(device)
    encoder = [*model.stem.parameters(), *model.stages.parameters(), *model.feature_norm.parameters()]
    optimizer = torch.optim.Adam([*encoder, *probe.parameters()], lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, steps), eta_min=lr / 10)
    history, losses = [], []
    started = time.perf_counter()
    for step in range(1, steps + 1):
        model.train()  # batch statistics over the mixed batch
        x, m, y = pretrain_batch(train_set, cases, volumes, slices, rng, mean, std, augment, device)
        loss = F.binary_cross_entropy_with_logits(probe(model.slice_features(x, m))[:, 0], y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(float(loss.item()))
        if step % report_every == 0 or step == steps:
            val = probe_validation(model, probe, val_set, 24, device)
            record = {'step': step, 'trainLoss': float(np.mean(losses[-report_every:])), 'valLoss': val['loss'],
                      'valAccuracy': val['accuracy'], 'lr': schedule.get_last_lr()[0], 'seconds': round(time.perf_counter() - started, 1)}
            history.append(record)
            fmt = lambda v, f: '—' if v is None else format(v, f)  # noqa: E731
            log(f'pretrain step {step}/{steps}  slice loss {record["trainLoss"]:.4f}  val loss {fmt(val["loss"], ".4f")}  '
                f'val acc {fmt(val["accuracy"], ".3f")}  {record["seconds"]:.0f} s')
    return history
