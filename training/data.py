"""Prepared data sets (what `lunglens prepare` writes) and how training draws from them.

A prepared folder holds ``manifest.json`` and, per case, ``cases/<id>-slices.npy`` (float32
[N,1,S,S], already windowed and normalized: the exact model input) and ``cases/<id>-masks.npy``
(uint8 [N,1,S,S], the dilated lung mask). Python never re-implements that preprocessing
(DESIGN.md §4); it only reads the arrays, memory-mapped.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

MANIFEST_FORMAT = 'lunglens-prepared'
MANIFEST_VERSION = 1
LABELS = ('non-covid', 'covid')  # the logits' order


class TrainingError(Exception):
    """An error the command reports as one sentence (bad input, missing run files, failed check)."""


class DataError(TrainingError, ValueError):
    """A prepared folder that does not follow the contract; the message says what is wrong."""


@dataclass(frozen=True)
class Case:
    id: str
    series_instance_uid: str
    source: str
    label: Optional[str]  # 'covid' | 'non-covid' | None (unlabelled)
    slice_positive: Optional[list[bool]]
    slices: int
    lung_volume_ml: Optional[float]
    lung_status: Optional[str]
    slices_file: Path
    masks_file: Path

    @property
    def target(self) -> Optional[float]:
        """1.0 for covid, 0.0 for non-covid, None when unlabelled."""
        return None if self.label is None else float(self.label == 'covid')


class PreparedSet:
    """One prepared folder: its manifest, its cases and their arrays (memory-mapped on demand)."""

    def __init__(self, root: Path, manifest: dict, cases: list[Case]) -> None:
        self.root = root
        self.manifest = manifest
        self.cases = cases

    @classmethod
    def load(cls, folder: str | Path) -> 'PreparedSet':
        root = Path(folder).resolve()
        path = root / 'manifest.json'
        if not path.is_file():
            raise DataError(f'{root}: no manifest.json (is this a folder written by `lunglens prepare`?)')
        try:
            manifest = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise DataError(f'{path}: not valid JSON ({error})') from error
        if manifest.get('format') != MANIFEST_FORMAT:
            raise DataError(f'{path}: format is {manifest.get("format")!r}, expected {MANIFEST_FORMAT!r}')
        if manifest.get('version') != MANIFEST_VERSION:
            raise DataError(f'{path}: manifest version {manifest.get("version")!r} is not supported (expected {MANIFEST_VERSION})')
        pre = manifest.get('preprocessing') or {}
        try:
            size = int(pre['size'])
            float(pre['huWindow']['lowHu']), float(pre['huWindow']['highHu'])
            float(pre['normalization']['mean']), float(pre['normalization']['std'])
        except (KeyError, TypeError, ValueError) as error:
            raise DataError(f'{path}: preprocessing must give size, huWindow {{lowHu, highHu}} and normalization {{mean, std}}') from error
        if size < 1:
            raise DataError(f'{path}: preprocessing.size must be positive, got {size}')
        cases = []
        for i, c in enumerate(manifest.get('cases') or []):
            try:
                label = c.get('label')
                if label not in (None, *LABELS):
                    raise DataError(f'{path}: case {c.get("id")!r} has label {label!r}; expected "covid", "non-covid" or null')
                positive = c.get('slicePositive')
                if positive is not None and len(positive) != int(c['slices']):
                    raise DataError(f'{path}: case {c["id"]!r} has {len(positive)} slicePositive entries for {c["slices"]} slices')
                cases.append(Case(
                    id=str(c['id']), series_instance_uid=str(c.get('seriesInstanceUid', '')), source=str(c.get('source', '')),
                    label=label, slice_positive=None if positive is None else [bool(v) for v in positive],
                    slices=int(c['slices']), lung_volume_ml=c.get('lungVolumeMl'), lung_status=c.get('lungStatus'),
                    slices_file=root / c['slicesFile'], masks_file=root / c['masksFile']))
            except KeyError as error:
                raise DataError(f'{path}: case #{i} lacks {error}') from error
        return cls(root, manifest, cases)

    @property
    def preprocessing(self) -> dict:
        return self.manifest['preprocessing']

    @property
    def size(self) -> int:
        return int(self.preprocessing['size'])

    @property
    def air_value(self) -> float:
        """The normalized value of air (windowed 0): what padding must be."""
        n = self.preprocessing['normalization']
        return (0.0 - float(n['mean'])) / float(n['std'])

    def labelled(self) -> list[Case]:
        return [c for c in self.cases if c.label is not None]

    def arrays(self, case: Case) -> tuple[np.ndarray, np.ndarray]:
        """The case's (slices float32 [N,1,S,S], masks uint8 [N,1,S,S]), memory-mapped, checked."""
        expected = (case.slices, 1, self.size, self.size)
        out = []
        for file, dtype in ((case.slices_file, np.float32), (case.masks_file, np.uint8)):
            if not file.is_file():
                raise DataError(f'case {case.id!r}: {file} is missing')
            array = np.load(file, mmap_mode='r')
            if array.shape != expected or array.dtype != dtype:
                raise DataError(f'case {case.id!r}: {file.name} is {array.dtype} {list(array.shape)}, expected {np.dtype(dtype)} {list(expected)}')
            out.append(array)
        return out[0], out[1]

    def identity(self) -> dict:
        """What a run or a model card records about the data it saw."""
        raw = (self.root / 'manifest.json').read_bytes()
        labels = [c.label for c in self.cases]
        return {
            'path': str(self.root),
            'manifestSha256': hashlib.sha256(raw).hexdigest(),
            'createdBy': self.manifest.get('createdBy'),
            'cases': len(self.cases),
            'covid': labels.count('covid'),
            'nonCovid': labels.count('non-covid'),
            'unlabelled': labels.count(None),
            'slices': sum(c.slices for c in self.cases),
            'withSliceLabels': sum(c.slice_positive is not None for c in self.cases),
            'rejected': len(self.manifest.get('rejected') or []),
        }


def same_preprocessing(a: PreparedSet, b: PreparedSet) -> bool:
    return json.dumps(a.preprocessing, sort_keys=True) == json.dumps(b.preprocessing, sort_keys=True) and a.manifest.get('mask') == b.manifest.get('mask')


# ----------------------------------------------------------------------------------------------
# Sampling


def sample_slices(total: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of the slices one training step sees, in slice order.

    All of them when ``total <= length``; otherwise stratified jitter: [0, total) is cut into
    ``length`` equal bins and one index is drawn uniformly in each, so the sample spans the whole
    volume, keeps its order and still differs from step to step.
    """
    if total < 1:
        raise ValueError('a volume needs at least one slice')
    if total <= length:
        return np.arange(total)
    edges = (np.arange(length + 1) * total) // length  # each bin holds ≥ 1 index because total > length
    return edges[:-1] + (rng.random(length) * (edges[1:] - edges[:-1])).astype(np.int64)


def balanced_order(targets: Sequence[float], rng: np.random.Generator) -> np.ndarray:
    """One epoch's case order with positive-class resampling.

    The larger class is seen once; the smaller class is repeated (whole copies, then a random
    subset without replacement) to the same count; the result is shuffled. With one class only,
    every case once.
    """
    targets = np.asarray(targets)
    pos = np.flatnonzero(targets == 1.0)
    neg = np.flatnonzero(targets == 0.0)
    if len(pos) == 0 or len(neg) == 0:
        return rng.permutation(len(targets))
    minority, majority = (pos, neg) if len(pos) < len(neg) else (neg, pos)
    copies, rest = divmod(len(majority), len(minority))
    resampled = np.concatenate([np.tile(minority, copies), rng.choice(minority, rest, replace=False)])
    return rng.permutation(np.concatenate([majority, resampled]))
