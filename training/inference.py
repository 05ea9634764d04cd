"""Deterministic whole-volume inference and the calibration of its verdict rules.

The network was trained on ordered runs of L slices (L = ``sliceCount``, 50). A volume of N
slices is read without randomness (the model card's ``sliceStrategy`` ``interleaved``):

* N ≤ L: one pass over all N slices;
* N > L: P = ⌈N / L⌉ interleaved passes, pass j holding slices j, j + P, j + 2P, … in order,
  so every slice is seen exactly once and each pass spans the whole volume like a training
  sample does.

The volume probability is the mean of the passes' covid probabilities, softmax(logits)[1]. A
slice's attention is its softmax weight inside its pass times (pass length / N), so the
volume's attention sums to 1 and attention × N compares a slice with the uniform weight.

Slice verdicts (``slicePositiveRule`` ``attention-over-uniform``): slice k is positive when the
volume is positive (probability ≥ threshold) and attention_k × N > factor.

``src/core/model/slice-strategy.ts`` implements exactly the same rule for the app; keep the two
in step (the tests here and there check the same cases).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence

import numpy as np
import torch

from .data import Case, PreparedSet

SLICE_STRATEGY_KIND = 'interleaved'
SLICE_RULE_KIND = 'attention-over-uniform'


def interleaved_passes(total: int, slice_count: int) -> list[np.ndarray]:
    """The slice indices of each pass, each in slice-index order."""
    if total < 1:
        raise ValueError(f'a volume needs at least one slice, got {total}')
    if slice_count < 1:
        raise ValueError(f'slice_count must be positive, got {slice_count}')
    passes = math.ceil(total / slice_count)
    return [np.arange(j, total, passes) for j in range(passes)]


def covid_probability(logits: Sequence[float]) -> float:
    """softmax(logits)[1] for logits (non-covid, covid), computed stably."""
    d = float(logits[0]) - float(logits[1])
    if d > 0:
        e = math.exp(-d)
        return e / (1.0 + e)
    return 1.0 / (1.0 + math.exp(d))


def combine_passes(total: int, plan: Sequence[np.ndarray], outputs: Sequence[tuple[Sequence[float], np.ndarray]]) -> tuple[float, np.ndarray]:
    """(volume probability, attention per slice in index order) from each pass's (logits, attention)."""
    if len(plan) != len(outputs):
        raise ValueError(f'{len(plan)} passes planned, {len(outputs)} outputs')
    attention = np.zeros(total, dtype=np.float64)
    probability = 0.0
    for indices, (logits, weights) in zip(plan, outputs):
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != (len(indices),):
            raise ValueError(f'a pass of {len(indices)} slices returned {weights.shape} attention weights')
        probability += covid_probability(logits)
        attention[indices] = weights * (len(indices) / total)
    return probability / len(plan), attention


def slice_positives(attention: np.ndarray, probability: float, threshold: float, factor: float) -> list[bool]:
    """The card's rule: positive volume and attention × N > factor."""
    n = len(attention)
    positive = probability >= threshold
    return [bool(positive and a * n > factor) for a in attention]


@dataclass
class VolumePrediction:
    probability: float
    attention: np.ndarray  # float64 [N], sums to 1
    pass_probabilities: list[float]
    inference_ms: float


@torch.no_grad()
def predict_volume(model: torch.nn.Module, slices: np.ndarray, masks: np.ndarray, slice_count: int, device: torch.device | str = 'cpu') -> VolumePrediction:
    """Runs the interleaved passes over one volume's prepared arrays ([N,1,S,S] each)."""
    model.eval()
    start = time.perf_counter()
    total = slices.shape[0]
    plan = interleaved_passes(total, slice_count)
    outputs = []
    for indices in plan:
        x = torch.from_numpy(np.ascontiguousarray(slices[indices], dtype=np.float32)).to(device)
        m = torch.from_numpy(np.ascontiguousarray(masks[indices], dtype=np.float32)).to(device)
        logits, attention = model(x, m)
        outputs.append((logits[0].double().cpu().tolist(), attention.double().cpu().numpy()))
    probability, attention = combine_passes(total, plan, outputs)
    return VolumePrediction(probability, attention, [covid_probability(o[0]) for o in outputs], (time.perf_counter() - start) * 1000.0)


def predict_set(model: torch.nn.Module, data: PreparedSet, slice_count: int, device: torch.device | str = 'cpu', cases: Optional[Iterable[Case]] = None) -> list[tuple[Case, VolumePrediction]]:
    out = []
    for case in (data.cases if cases is None else cases):
        slices, masks = data.arrays(case)
        out.append((case, predict_volume(model, slices, masks, slice_count, device)))
    return out


# ----------------------------------------------------------------------------------------------
# Calibration on the validation split


@dataclass
class Calibration:
    threshold: float
    factor: float
    method: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {'threshold': self.threshold, 'factor': self.factor, 'method': self.method}


def _midpoints(values: Iterable[float], low: float, high: float) -> list[float]:
    """Cut points that separate every pair of distinct sorted values, plus one below and above."""
    v = sorted(set(float(x) for x in values))
    if not v:
        return []
    cuts = [(a + b) / 2.0 for a, b in zip(v, v[1:])]
    return [max(low, v[0] - 1e-6)] + cuts + [min(high, v[-1] + 1e-6)]


def _f1(tp: int, fp: int, fn: int) -> float:
    return 0.0 if tp == 0 else 2.0 * tp / (2.0 * tp + fp + fn)


def _factor_scores(ratios: np.ndarray, truth: np.ndarray, positives: int) -> list[tuple[float, float]]:
    """(factor, slice F1) for a cut between every two distinct ratios (and above all of them);
    slices outside ``ratios`` (negative volumes) are predicted negative."""
    order = np.argsort(-ratios, kind='stable')
    r, y = ratios[order], truth[order]
    tp, fp = np.cumsum(y), np.cumsum(~y)
    out = [(float(r[0]) + 1e-6 if len(r) else 1.0, 0.0)]  # nothing predicted positive
    for i in range(len(r)):
        if i + 1 < len(r) and r[i + 1] == r[i]:
            continue  # a cut cannot separate equal ratios
        k = (float(r[i]) + float(r[i + 1])) / 2.0 if i + 1 < len(r) else max(0.0, float(r[i]) - 1e-6)
        out.append((k, _f1(int(tp[i]), int(fp[i]), positives - int(tp[i]))))
    return out


def calibrate(predictions: Sequence[tuple[Case, VolumePrediction]], default_threshold: float = 0.5, default_factor: float = 1.0) -> Calibration:
    """Volume threshold and attention factor from validation predictions.

    1. Threshold: among cut points between the sorted validation probabilities, those with the
       highest balanced accuracy (mean of sensitivity and specificity) on the labelled cases.
    2. Among those thresholds and every cut point between the slices' attention × N values, the
       pair with the highest slice-level F1 on the cases that have ``slicePositive`` (slice labels
       are used here only, never for training). Ties: threshold nearest 0.5, then factor nearest 1.

    So the threshold never trades volume accuracy for slice F1. Defaults (0.5, 1.0) are kept
    where the validation split cannot decide (one class only, no slice labels).
    """
    labelled = [(c, p) for c, p in predictions if c.label is not None]
    method: dict = {'volumeCases': len(labelled), 'rule': 'max balanced accuracy, then max slice F1'}
    classes = {c.label for c, _ in labelled}
    if len(classes) < 2:
        thresholds = [default_threshold]
        method['threshold'] = f'default {default_threshold}: validation has {sorted(classes) or "no"} labels only'
    else:
        scored = []
        for t in _midpoints([p.probability for _, p in labelled], 0.0, 1.0):
            pos = [p.probability >= t for _, p in labelled]
            truth = [c.label == 'covid' for c, _ in labelled]
            sen = sum(a and b for a, b in zip(pos, truth)) / max(1, sum(truth))
            spe = sum((not a) and (not b) for a, b in zip(pos, truth)) / max(1, len(truth) - sum(truth))
            scored.append(((sen + spe) / 2.0, t))
        best = max(s for s, _ in scored)
        thresholds = [t for s, t in scored if s == best]
        method['balancedAccuracy'] = best
    with_slices = [(c, p) for c, p in labelled if c.slice_positive is not None]
    method['sliceCases'] = len(with_slices)
    if not with_slices or not any(any(c.slice_positive) for c, _ in with_slices):
        t = min(thresholds, key=lambda v: (abs(v - 0.5), v))
        method['factor'] = f'default {default_factor}: no positive slice labels in the validation split'
        return Calibration(t, default_factor, method)
    ratios = np.concatenate([p.attention * len(p.attention) for _, p in with_slices])
    truth = np.concatenate([np.asarray(c.slice_positive, dtype=bool) for c, _ in with_slices])
    best_key, best = None, (default_threshold, default_factor, 0.0)
    for t in thresholds:
        volume_pos = np.concatenate([np.full(len(p.attention), p.probability >= t) for _, p in with_slices])
        for k, f1 in _factor_scores(ratios[volume_pos], truth[volume_pos], int(truth.sum())):
            key = (f1, -abs(t - 0.5), -abs(k - 1.0))
            if best_key is None or key > best_key:
                best_key, best = key, (t, k, f1)
    method['sliceF1'] = best[2]
    return Calibration(float(best[0]), float(best[1]), method)
