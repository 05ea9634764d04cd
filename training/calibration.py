"""Fitting what the verdict rules of inference.py apply (README "Abstention"): the temperature
that calibrates the probability, its reliability diagram and expected calibration error, and the
out-of-distribution model with its threshold. Everything here is fitted on a run's own data: the
temperature and the OOD threshold on its validation split, the OOD statistics on its training
split — never on the patients a fold holds out.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from scipy.optimize import minimize_scalar

from .inference import OodModel, calibrated_probability

ECE_BINS = 10
OOD_VARIANCE = 0.95  # the PPCA keeps the leading components that explain this share of the variance …
OOD_MAX_COMPONENTS = 32  # … up to this many (the card carries them)
OOD_QUANTILE = 0.99  # the threshold: this quantile of the validation volumes' scores …
OOD_MARGIN = 1.10  # … times this margin (README "Abstention": why)


def _nll(pass_logits: Sequence[Sequence[Sequence[float]]], targets: Sequence[float], temperature: float) -> float:
    eps = 1e-7
    total = 0.0
    for logits, y in zip(pass_logits, targets):
        p = min(max(calibrated_probability(logits, temperature), eps), 1 - eps)
        total -= y * math.log(p) + (1 - y) * math.log(1 - p)
    return total / max(1, len(targets))


def fit_temperature(pass_logits: Sequence[Sequence[Sequence[float]]], targets: Sequence[float]) -> dict:
    """The temperature T > 0 that minimises the validation BCE of the calibrated probability
    (inference.calibrated_probability), searched over log T in [−3, 3] (T ≈ 0.05 … 20)."""
    if len(set(targets)) < 2:
        return {'temperature': 1.0, 'why': 'validation has one class only: temperature 1 (uncalibrated)', 'cases': len(targets)}
    result = minimize_scalar(lambda u: _nll(pass_logits, targets, math.exp(u)), bounds=(-3.0, 3.0), method='bounded',
                             options={'xatol': 1e-4})
    t = float(math.exp(result.x))
    return {'temperature': t, 'cases': len(targets), 'nllBefore': _nll(pass_logits, targets, 1.0), 'nllAfter': _nll(pass_logits, targets, t),
            'method': 'minimum validation BCE over T (bounded scalar search of log T in [-3, 3])'}


def reliability(probabilities: Sequence[float], targets: Sequence[float], bins: int = ECE_BINS) -> dict:
    """Equal-width bins over [0, 1] (a probability of exactly 1 falls in the last): per bin the
    count, mean predicted probability and observed fraction of covid; ECE = Σ n_b/n · |acc_b − conf_b|."""
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(targets, dtype=np.float64)
    out, ece = [], 0.0
    index = np.minimum((p * bins).astype(np.int64), bins - 1)
    for b in range(bins):
        sel = index == b
        n = int(sel.sum())
        row = {'lower': b / bins, 'upper': (b + 1) / bins, 'count': n, 'meanProbability': None, 'fractionCovid': None}
        if n:
            row['meanProbability'] = float(p[sel].mean())
            row['fractionCovid'] = float(y[sel].mean())
            ece += n / len(p) * abs(row['fractionCovid'] - row['meanProbability'])
        out.append(row)
    return {'bins': out, 'ece': float(ece) if len(p) else None, 'cases': int(len(p))}


def fit_ood(features: Sequence[np.ndarray], labels: Sequence[str], variance: float = OOD_VARIANCE,
            max_components: int = OOD_MAX_COMPONENTS) -> OodModel:
    """Class means and the PPCA of the pooled within-class covariance (inference.OodModel) from
    the training volumes' feature vectors."""
    x = np.stack([np.asarray(f, dtype=np.float64).reshape(-1) for f in features])
    labels = list(labels)
    means = {}
    centred = []
    for name in sorted(set(labels)):
        sel = np.array([l == name for l in labels])
        if sel.any():
            means[name] = x[sel].mean(axis=0)
            centred.append(x[sel] - means[name])
    if not means:
        raise ValueError('no labelled training features for the OOD model')
    c = np.concatenate(centred)
    n, d = c.shape
    cov = c.T @ c / max(1, n - len(means))
    eigenvalues, eigenvectors = np.linalg.eigh(cov)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, eigenvectors = np.maximum(eigenvalues[order], 0.0), eigenvectors[:, order]
    total = float(eigenvalues.sum())
    share = np.cumsum(eigenvalues) / total if total > 0 else np.ones(d)
    k = int(min(max_components, d - 1, n - len(means) - 1, np.searchsorted(share, variance) + 1))
    k = max(1, k)
    residual = float(eigenvalues[k:].sum() / max(1, d - k))
    floor = 1e-6 * max(total / d, 1e-12)
    return OodModel(means, eigenvectors[:, :k].T.copy(), np.maximum(eigenvalues[:k], floor), max(residual, floor),
                    method={'trainingVolumes': int(n), 'classes': {k_: int(sum(l == k_ for l in labels)) for k_ in means},
                            'componentsKept': k, 'varianceExplained': float(share[k - 1]) if total > 0 else 1.0,
                            'covariance': 'pooled within-class, probabilistic PCA (k leading eigenvectors, the remaining variance '
                                          'spread evenly over the other dimensions)'})


def ood_threshold(scores: Sequence[float], quantile: float = OOD_QUANTILE, margin: float = OOD_MARGIN) -> dict:
    """The threshold: the ``quantile`` of the validation volumes' scores (linear interpolation)
    times ``margin``, so that in-distribution volumes like the validation ones abstain rarely."""
    s = np.asarray([v for v in scores if np.isfinite(v)], dtype=np.float64)
    if not len(s):
        return {'threshold': math.inf, 'why': 'no validation scores: no OOD abstention'}
    q = float(np.quantile(s, quantile))
    return {'threshold': q * margin, 'quantile': quantile, 'margin': margin, 'quantileValue': q, 'validationVolumes': int(len(s)),
            'validationMax': float(s.max()), 'validationMedian': float(np.median(s)),
            'rule': f'{quantile:g} quantile of the validation volumes\' scores × {margin:g}'}
