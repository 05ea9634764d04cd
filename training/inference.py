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
import string
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
    probability: float  # uncalibrated (temperature 1): mean of the passes' softmax(logits)[1]
    attention: np.ndarray  # float64 [N], sums to 1
    pass_probabilities: list[float]
    inference_ms: float
    pass_logits: list[list[float]] = field(default_factory=list)  # per pass (l_non-covid, l_covid)
    features: Optional[np.ndarray] = None  # float64 [D]: the mean over passes of the `features` output

    def calibrated(self, temperature: float) -> float:
        return calibrated_probability(self.pass_logits, temperature) if self.pass_logits else self.probability


@torch.no_grad()
def predict_volume(model: torch.nn.Module, slices: np.ndarray, masks: np.ndarray, slice_count: int, device: torch.device | str = 'cpu') -> VolumePrediction:
    """Runs the interleaved passes over one volume's prepared arrays ([N,1,S,S] each)."""
    model.eval()
    start = time.perf_counter()
    total = slices.shape[0]
    plan = interleaved_passes(total, slice_count)
    outputs, features = [], []
    for indices in plan:
        x = torch.from_numpy(np.ascontiguousarray(slices[indices], dtype=np.float32)).to(device)
        m = torch.from_numpy(np.ascontiguousarray(masks[indices], dtype=np.float32)).to(device)
        logits, attention, feature = model.infer(x, m)
        outputs.append((logits[0].double().cpu().tolist(), attention.double().cpu().numpy()))
        features.append(feature[0].double().cpu().numpy())
    probability, attention = combine_passes(total, plan, outputs)
    return VolumePrediction(probability, attention, [covid_probability(o[0]) for o in outputs], (time.perf_counter() - start) * 1000.0,
                            [list(o[0]) for o in outputs], combine_features(features))


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


# ----------------------------------------------------------------------------------------------
# Calibrated probability, out-of-distribution score, input checks, and the verdict (README
# "Abstention"). src/core/… implements the same rules from the model card; the card's
# `abstention.golden` cases are what both sides are checked against.


def calibrated_probability(pass_logits: Sequence[Sequence[float]], temperature: float) -> float:
    """The card's `probabilityCalibration` (kind "temperature"): per pass
    p_j = σ((l_covid − l_non-covid) / T); the volume probability is the mean of the p_j."""
    if not pass_logits:
        raise ValueError('no pass logits')
    if not temperature > 0:
        raise ValueError(f'the temperature must be positive, got {temperature}')
    return float(np.mean([covid_probability([0.0, (float(l[1]) - float(l[0])) / temperature]) for l in pass_logits]))


def combine_features(per_pass: Sequence[np.ndarray]) -> np.ndarray:
    """The volume's feature vector: the mean of the passes' `features` outputs."""
    return np.mean(np.stack([np.asarray(f, dtype=np.float64).reshape(-1) for f in per_pass]), axis=0)


@dataclass
class OodModel:
    """The card's `ood` block: a Gaussian per class with one shared covariance, estimated as
    probabilistic PCA (the k leading eigenvectors V and eigenvalues λ of the pooled within-class
    covariance, the rest of the variance spread evenly, σ² per dimension): a shrunk covariance that
    a card can carry. For a volume feature f:

        d_c = f − μ_c;  p = V d_c;  D²_c = Σ_j p_j² / λ_j + (|d_c|² − Σ_j p_j²) / σ²
        score = sqrt(min over classes c of D²_c)

    the Mahalanobis distance to the nearest class. Above ``threshold``: out of distribution."""
    means: dict[str, np.ndarray]  # label → μ_c [D]
    components: np.ndarray  # V [k, D], orthonormal rows
    eigenvalues: np.ndarray  # λ [k]
    residual_variance: float  # σ²
    threshold: float = math.inf
    method: dict = field(default_factory=dict)

    def score(self, feature: np.ndarray) -> float:
        f = np.asarray(feature, dtype=np.float64).reshape(-1)
        best = math.inf
        for mu in self.means.values():
            d = f - mu
            p = self.components @ d
            d2 = float(np.sum(p * p / self.eigenvalues) + max(0.0, float(d @ d) - float(p @ p)) / self.residual_variance)
            best = min(best, d2)
        return math.sqrt(best)

    def to_json(self) -> dict:
        return {'kind': 'mahalanobis-ppca', 'feature': 'features', 'dimension': int(self.components.shape[1]),
                'components': int(self.components.shape[0]),
                'classMeans': {k: [float(v) for v in mu] for k, mu in self.means.items()},
                'eigenvectors': [[float(v) for v in row] for row in self.components],
                'eigenvalues': [float(v) for v in self.eigenvalues], 'residualVariance': float(self.residual_variance),
                'threshold': float(self.threshold), 'method': self.method}

    @classmethod
    def from_json(cls, value: dict) -> 'OodModel':
        return cls({k: np.asarray(v, dtype=np.float64) for k, v in value['classMeans'].items()},
                   np.asarray(value['eigenvectors'], dtype=np.float64), np.asarray(value['eigenvalues'], dtype=np.float64),
                   float(value['residualVariance']), float(value['threshold']), dict(value.get('method') or {}))


# The input checks' defaults (the card's `inputChecks`; README "Abstention" says how each was set).
BODY_HU_FLOOR = -500.0


def body_fraction_outside_lung(slices: np.ndarray, masks: np.ndarray, preprocessing: dict) -> float:
    """Of the prepared pixels outside the (dilated) lung mask, the fraction whose value stands for
    ≥ −500 HU (body tissue), over all slices. Near 0 when everything but the lungs was blanked out
    before the scan reached LungLens (a pre-masked export). Computed on the model's input tensors,
    so both implementations see the same numbers: HU = lowHu + (x·std + mean)·(highHu − lowHu)."""
    window, norm = preprocessing['huWindow'], preprocessing['normalization']
    low, high = float(window['lowHu']), float(window['highHu'])
    # x ≥ cut ⇔ its HU ≥ −500; float64 like the TypeScript side, compared on float32 values.
    cut = ((BODY_HU_FLOOR - low) / (high - low) - float(norm['mean'])) / float(norm['std'])
    x = np.asarray(slices, dtype=np.float32).reshape(-1)
    outside = np.asarray(masks).reshape(-1) == 0
    total = int(outside.sum())
    if total == 0:
        return 0.0
    return float(np.count_nonzero(x[outside].astype(np.float64) >= cut)) / total


def lung_width_fraction(masks: np.ndarray) -> float:
    """The share of the image width that the lungs span: the (dilated) mask's union over all
    slices, from its leftmost to its rightmost column, over the image's width; 0 without a mask.
    The model reads whole images at one size, so in a field of view much wider than the chest
    (PET/CT, a body scan) the lungs reach it smaller than in any scan it was trained on."""
    m = np.asarray(masks).reshape(-1, *np.asarray(masks).shape[-2:]) != 0
    columns = np.flatnonzero(m.any(axis=(0, 1)))
    return 0.0 if columns.size == 0 else float(columns[-1] - columns[0] + 1) / m.shape[-1]


def slice_normal_angle_deg(direction: Sequence[float]) -> float:
    """Angle between the slice normal (direction[6:9], DESIGN.md §2) and the patient's
    cranio-caudal axis, 0…90°: 0 for axial slices, 90 for coronal or sagittal ones."""
    n = np.asarray(direction[6:9], dtype=np.float64)
    z = abs(float(n[2])) / max(1e-12, float(np.linalg.norm(n)))
    return math.degrees(math.acos(min(1.0, z)))


@dataclass
class InputFacts:
    """What the input checks look at, as the TypeScript side has it for a scanned series."""
    calibrated: bool  # HU from the file (results.json `calibrated`); false for 8-bit stacks
    slice_spacing_mm: float  # spacingMm[2]: spacing along the slice normal
    lung_volume_ml: float  # the lung mask before dilation
    normal_angle_deg: float  # slice_normal_angle_deg(direction)
    body_fraction: float  # body_fraction_outside_lung of the prepared tensors
    lung_width: Optional[float] = None  # lung_width_fraction of the prepared masks (None: facts written before it existed)

    def to_json(self) -> dict:
        return {'calibrated': self.calibrated, 'sliceSpacingMm': self.slice_spacing_mm, 'lungVolumeMl': self.lung_volume_ml,
                'normalAngleDeg': self.normal_angle_deg, 'bodyFractionOutsideLung': self.body_fraction,
                **({} if self.lung_width is None else {'lungWidthFraction': self.lung_width})}

    @classmethod
    def from_json(cls, v: dict) -> 'InputFacts':
        return cls(bool(v['calibrated']), float(v['sliceSpacingMm']), float(v['lungVolumeMl']), float(v['normalAngleDeg']),
                   float(v['bodyFractionOutsideLung']), None if v.get('lungWidthFraction') is None else float(v['lungWidthFraction']))


@dataclass
class InputChecks:
    """The card's `inputChecks`: the limits, and whether uncalibrated grey levels abstain."""
    max_slice_spacing_mm: float
    min_lung_volume_ml: float
    max_normal_angle_deg: float = 30.0
    min_body_fraction: float = 0.05
    uncalibrated: str = 'indeterminate'  # or 'warn': verdict kept, the app's uncalibrated band says so
    min_lung_width: Optional[float] = None  # None: no field-of-view check (a card without it)

    def to_json(self) -> dict:
        return {'maxSliceSpacingMm': self.max_slice_spacing_mm, 'minLungVolumeMl': self.min_lung_volume_ml,
                'maxNormalAngleDeg': self.max_normal_angle_deg, 'minBodyFractionOutsideLung': self.min_body_fraction,
                'bodyHuFloor': BODY_HU_FLOOR, 'uncalibrated': self.uncalibrated,
                **({} if self.min_lung_width is None else {'minLungWidthFraction': self.min_lung_width})}

    @classmethod
    def from_limits(cls, limits: dict, uncalibrated: str) -> 'InputChecks':
        """From facts.training_limits."""
        return cls(limits['maxSliceSpacingMm'], limits['minLungVolumeMl'], limits['maxNormalAngleDeg'], limits['minBodyFractionOutsideLung'],
                   uncalibrated, limits.get('minLungWidthFraction'))

    @classmethod
    def from_json(cls, v: dict) -> 'InputChecks':
        return cls(float(v['maxSliceSpacingMm']), float(v['minLungVolumeMl']), float(v['maxNormalAngleDeg']),
                   float(v['minBodyFractionOutsideLung']), str(v['uncalibrated']),
                   None if v.get('minLungWidthFraction') is None else float(v['minLungWidthFraction']))


# The sentences of the reasons (the card's `abstention.reasons`): `{name:.Nf}` is the value with N
# decimals. The TypeScript side formats the card's copy of these templates.
REASON_TEMPLATES = {
    'uncalibrated-input': 'The grey levels are not calibrated Hounsfield units (an image stack); the model was trained on calibrated CT only.',
    'not-axial': 'The slices are not axial (their normal is {normalAngleDeg:.1f}° from the body axis, limit {maxNormalAngleDeg:.1f}°); '
                 'the model reads axial slices only.',
    'thick-slices': 'The slices are {sliceSpacingMm:.1f} mm apart, more than the {maxSliceSpacingMm:.1f} mm the model was trained on.',
    'partial-coverage': 'The lung mask holds {lungVolumeMl:.0f} mL, less than {minLungVolumeMl:.0f} mL: too little lung is in the scan '
                        'to rule COVID-19 in or out.',
    'pre-masked': 'Only {bodyPercent:.1f} % of the image outside the lungs is body tissue (limit {limitPercent:.1f} %): the input looks '
                  'pre-masked, unlike the scans the model was trained on.',
    'wide-field-of-view': 'The lungs span {lungWidthPercent:.1f} % of the image width, less than the {minLungWidthPercent:.1f} % of the '
                          'scans the model was trained on: the field of view is much wider than the chest, so the lungs reach the '
                          'model smaller than it has seen them.',
    'out-of-distribution': 'The scan\'s features lie at distance {oodScore:.2f} from the training data (limit {oodThreshold:.2f}): unlike '
                           'the scans the model was trained on.',
    'equivocal': 'The calibrated probability {probability:.2f} is on one side of the decision threshold {threshold:.2f} and on the other '
                 'side of even odds ({evenOdds:.2f}): the model leans neither way.',
}

# A calibrated probability on which the threshold and these odds disagree is equivocal: covid by
# the threshold (chosen on validation for balanced accuracy) yet less likely than not, or the reverse.
EVEN_ODDS = 0.5


def equivocal(probability: float, threshold: float, even_odds: Optional[float]) -> bool:
    """Whether the threshold and even odds disagree about the probability (never without even odds)."""
    return even_odds is not None and (probability >= threshold) != (probability >= even_odds)


class _ReasonFormatter(string.Formatter):
    """str.format, except that a value that is not finite reads NaN, ∞ or −∞ (as abstention.ts writes it)."""

    def format_field(self, value, format_spec):
        if isinstance(value, float) and not math.isfinite(value):
            return 'NaN' if math.isnan(value) else ('∞' if value > 0 else '−∞')
        return super().format_field(value, format_spec)


_REASON_FORMATTER = _ReasonFormatter()


def indeterminate_reasons(facts: InputFacts, ood_score: float, checks: InputChecks, ood_threshold: float, probability: float,
                          threshold: float, even_odds: Optional[float] = EVEN_ODDS) -> list[tuple[str, str]]:
    """(code, sentence) for every reason to abstain, in this fixed order; empty when none.
    Every limit is strict: a value exactly at the limit passes. ``probability`` is the calibrated
    volume probability; ``even_odds`` None leaves out the equivocal rule (a card without it)."""
    values = {'probability': probability, 'threshold': threshold, 'evenOdds': math.nan if even_odds is None else even_odds,
              'normalAngleDeg': facts.normal_angle_deg, 'maxNormalAngleDeg': checks.max_normal_angle_deg,
              'sliceSpacingMm': facts.slice_spacing_mm, 'maxSliceSpacingMm': checks.max_slice_spacing_mm,
              'lungVolumeMl': facts.lung_volume_ml, 'minLungVolumeMl': checks.min_lung_volume_ml,
              'bodyPercent': 100 * facts.body_fraction, 'limitPercent': 100 * checks.min_body_fraction,
              'oodScore': ood_score, 'oodThreshold': ood_threshold,
              'lungWidthPercent': math.nan if facts.lung_width is None else 100 * facts.lung_width,
              'minLungWidthPercent': math.nan if checks.min_lung_width is None else 100 * checks.min_lung_width}
    failed = [
        ('uncalibrated-input', not facts.calibrated and checks.uncalibrated == 'indeterminate'),
        ('not-axial', facts.normal_angle_deg > checks.max_normal_angle_deg),
        ('thick-slices', facts.slice_spacing_mm > checks.max_slice_spacing_mm),
        ('partial-coverage', facts.lung_volume_ml < checks.min_lung_volume_ml),
        ('pre-masked', facts.body_fraction < checks.min_body_fraction),
        # Only where both the card and the facts know the lungs' width.
        ('wide-field-of-view', checks.min_lung_width is not None and facts.lung_width is not None and facts.lung_width < checks.min_lung_width),
        ('out-of-distribution', not ood_score <= ood_threshold),  # NaN abstains too
        ('equivocal', equivocal(probability, threshold, even_odds)),
    ]
    return [(code, _REASON_FORMATTER.format(REASON_TEMPLATES[code], **values)) for code, bad in failed if bad]


def decide(probability: float, threshold: float, reasons: Sequence[tuple[str, str]]) -> str:
    """'indeterminate' when there is any reason to abstain, else covid when probability ≥ threshold."""
    if reasons:
        return 'indeterminate'
    return 'covid' if probability >= threshold else 'non-covid'
