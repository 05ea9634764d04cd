"""Small synthetic prepared folders in exactly the `lunglens prepare` format, for tests and smoke
runs. They are not phantoms (those come from `lunglens phantom` + `lunglens prepare`): each slice
is a body ellipse with two lung ellipses and, on the positive slices of a covid case, a brighter
blob inside a lung — enough for a network to have something to learn.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .inference import InputFacts, body_fraction_outside_lung, lung_width_fraction

PREPROCESSING = {'size': 32, 'huWindow': {'lowHu': -1350, 'highHu': 150}, 'normalization': {'mean': 0.5, 'std': 0.25}}


def _unit(hu: float, low: float, high: float) -> float:
    return min(1.0, max(0.0, (hu - low) / (high - low)))


def synthetic_case(slices: int, size: int, positive: Sequence[bool], rng: np.random.Generator, pre: dict) -> tuple[np.ndarray, np.ndarray]:
    """(slices float32 [N,1,S,S] normalized, masks uint8 [N,1,S,S]) for one case."""
    low, high = pre['huWindow']['lowHu'], pre['huWindow']['highHu']
    mean, std = pre['normalization']['mean'], pre['normalization']['std']
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    c = (size - 1) / 2.0
    body = ((x - c) / (0.45 * size)) ** 2 + ((y - c) / (0.35 * size)) ** 2 <= 1
    out = np.zeros((slices, 1, size, size), dtype=np.float32)
    masks = np.zeros((slices, 1, size, size), dtype=np.uint8)
    blob_side = rng.choice([-1, 1])
    for k in range(slices):
        t = k / max(1, slices - 1)
        grow = 0.6 + 0.4 * np.sin(np.pi * t)  # lungs larger mid-volume
        image = np.where(body, _unit(40, low, high), 0.0)
        lung = np.zeros((size, size), dtype=bool)
        for side in (-1, 1):
            lung |= ((x - c - side * 0.2 * size) / (0.14 * size * grow)) ** 2 + ((y - c) / (0.24 * size * grow)) ** 2 <= 1
        image[lung] = _unit(-850, low, high)
        if positive[k]:
            blob = ((x - c - blob_side * 0.2 * size) ** 2 + (y - c - 0.05 * size) ** 2) <= (0.08 * size) ** 2
            image[blob & lung] = _unit(-350, low, high)
        image = np.clip(image + rng.normal(0, 0.02, image.shape), 0, 1)
        out[k, 0] = (image - mean) / std
        grown = lung.copy()  # a 1-pixel dilation stands in for the prepared (dilated) mask
        grown[1:] |= lung[:-1]; grown[:-1] |= lung[1:]; grown[:, 1:] |= lung[:, :-1]; grown[:, :-1] |= lung[:, 1:]
        masks[k, 0] = grown
    return out, masks


def write_prepared(folder: str | Path, cases: Sequence[tuple[Optional[str], int]], seed: int = 0, size: int = 32,
                   slice_labels: bool = True, preprocessing: Optional[dict] = None) -> Path:
    """Writes a prepared folder. ``cases``: (label, slice count) each; covid cases get a run of
    positive slices in their middle third."""
    root = Path(folder)
    (root / 'cases').mkdir(parents=True, exist_ok=True)
    pre = json.loads(json.dumps(preprocessing or {**PREPROCESSING, 'size': size}))
    rng = np.random.default_rng(seed)
    entries = []
    for i, (label, n) in enumerate(cases):
        case_id = f'syn-{seed}-{i:03d}'
        positive = [False] * n
        if label == 'covid':
            start = int(rng.integers(n // 4, max(n // 4 + 1, n // 2)))
            for k in range(start, min(n, start + max(1, n // 3))):
                positive[k] = True
        slices, masks = synthetic_case(n, pre['size'], positive, rng, pre)
        np.save(root / 'cases' / f'{case_id}-slices.npy', slices)
        np.save(root / 'cases' / f'{case_id}-masks.npy', masks)
        entries.append({'id': case_id, 'seriesInstanceUid': f'2.25.{seed}{i:04d}', 'source': f'synthetic/{case_id}', 'label': label,
                        'slicePositive': positive if (slice_labels and label is not None) else None, 'slices': n,
                        'lungVolumeMl': 3000.0, 'lungStatus': 'ok',
                        'slicesFile': f'cases/{case_id}-slices.npy', 'masksFile': f'cases/{case_id}-masks.npy'})
    manifest = {'format': 'lunglens-prepared', 'version': 1, 'preprocessing': pre, 'mask': 'dilated',
                'createdBy': 'training.synthetic', 'cases': entries, 'rejected': []}
    (root / 'manifest.json').write_text(json.dumps(manifest, indent=2) + '\n')
    # What `python -m training facts` would find for these cases (there is no series to inspect).
    facts = {}
    for e in entries:
        s, m = np.load(root / e['slicesFile']), np.load(root / e['masksFile'])
        facts[e['id']] = {**InputFacts(True, 2.5, e['lungVolumeMl'], 0.0, body_fraction_outside_lung(s, m, pre), lung_width_fraction(m)).to_json(),
                          'seriesInstanceUid': e['seriesInstanceUid'], 'source': e['source']}
    (root / 'facts.json').write_text(json.dumps({'cases': facts, 'notInspected': []}, indent=1) + '\n')
    return root
