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
    # Who the case comes from (README "Real data"): cases of one patient — a real series, the
    # lesions inserted into it, its reformats — share a group and always share a fold. Without a
    # groups.json every case is its own group (phantoms: one synthetic patient each).
    group: str = ''
    # What kind of data it is ('phantom', 'real', 'slices-2d', …): sampling weights are per domain.
    domain: str = 'default'

    @property
    def target(self) -> Optional[float]:
        """1.0 for covid, 0.0 for non-covid, None when unlabelled."""
        return None if self.label is None else float(self.label == 'covid')


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


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
        domain, groups = _read_groups(root)
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
                    slices_file=root / c['slicesFile'], masks_file=root / c['masksFile'],
                    group=groups.get(str(c['id']), str(c['id'])), domain=domain))
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
            'domain': self.cases[0].domain if self.cases else _read_groups(self.root)[0],
        }

    @property
    def mask(self) -> Optional[str]:
        return self.manifest.get('mask')


class Pool:
    """Cases drawn from several prepared folders as one set (the training mix, README "Real
    data"): the same interface as PreparedSet for what training, calibration and evaluation use.
    ``exclude`` drops every case of those groups (the fold's test patient); ``only`` keeps only
    those groups."""

    def __init__(self, sets: Sequence[PreparedSet], exclude: Sequence[str] = (), only: Optional[Sequence[str]] = None) -> None:
        if not sets:
            raise DataError('a data pool needs at least one prepared folder')
        for other in sets[1:]:
            if not same_preprocessing(sets[0], other):
                raise DataError(f'{other.root} was prepared differently from {sets[0].root} (manifest preprocessing or mask differ)')
        self.sets = list(sets)
        self.excluded = sorted(set(exclude))
        self.only = None if only is None else sorted(set(only))
        self._owner: dict[int, PreparedSet] = {}
        self.cases: list[Case] = []
        for data in self.sets:
            for c in data.cases:
                if c.group in self.excluded or (self.only is not None and c.group not in self.only):
                    continue
                self.cases.append(c)
                self._owner[id(c)] = data

    @classmethod
    def merge(cls, pools: Sequence['Pool']) -> 'Pool':
        """One pool holding the cases of several (e.g. the phantom validation folder and a real
        patient split off the training folders)."""
        sets = []
        for p in pools:
            sets += [s for s in p.sets if all(s is not t for t in sets)]
        merged = cls(sets, only=[])
        merged.excluded = sorted({g for p in pools for g in p.excluded})
        merged.only = None
        merged.parts = [p.identity() for p in pools]
        for p in pools:
            for c in p.cases:
                merged.cases.append(c)
                merged._owner[id(c)] = p._owner[id(c)]
        return merged

    @classmethod
    def load(cls, folders: Sequence[str | Path], exclude: Sequence[str] = (), only: Optional[Sequence[str]] = None) -> 'Pool':
        return cls([PreparedSet.load(f) for f in folders], exclude, only)

    @property
    def preprocessing(self) -> dict:
        return self.sets[0].preprocessing

    @property
    def mask(self) -> Optional[str]:
        return self.sets[0].mask

    @property
    def size(self) -> int:
        return self.sets[0].size

    @property
    def air_value(self) -> float:
        return self.sets[0].air_value

    @property
    def manifest(self) -> dict:
        return self.sets[0].manifest

    def labelled(self) -> list[Case]:
        return [c for c in self.cases if c.label is not None]

    def owner(self, case: Case) -> PreparedSet:
        """The prepared folder a case of this pool comes from."""
        return self._owner[id(case)]

    def arrays(self, case: Case) -> tuple[np.ndarray, np.ndarray]:
        return self.owner(case).arrays(case)

    def groups(self, domain: Optional[str] = None) -> list[str]:
        return sorted({c.group for c in self.cases if domain is None or c.domain == domain})

    def domains(self) -> list[str]:
        return sorted({c.domain for c in self.cases})

    def identity(self) -> dict:
        """The folders, what was kept of them, and the patients (groups) of every domain that has them."""
        if getattr(self, 'parts', None):
            return {'parts': self.parts, 'cases': len(self.cases)}
        if len(self.sets) == 1 and not self.excluded and self.only is None:
            return self.sets[0].identity()
        labels = [c.label for c in self.cases]
        return {
            'sets': [s.identity() for s in self.sets],
            'cases': len(self.cases), 'covid': labels.count('covid'), 'nonCovid': labels.count('non-covid'),
            'unlabelled': labels.count(None), 'slices': sum(c.slices for c in self.cases),
            'withSliceLabels': sum(c.slice_positive is not None for c in self.cases),
            'domains': {d: sum(c.domain == d for c in self.cases) for d in self.domains()},
            'groups': {d: self.groups(d) for d in self.domains() if any(c.group != c.id for c in self.cases if c.domain == d)},
            'excludedGroups': self.excluded, 'onlyGroups': self.only,
        }


GROUPS_FILE = 'groups.json'


def _read_groups(root: Path) -> tuple[str, dict[str, str]]:
    """``DIR/groups.json`` (written by ``python -m training tag``): the folder's domain and each
    case's group (patient). Absent: domain 'default', every case its own group."""
    path = root / GROUPS_FILE
    if not path.is_file():
        return 'default', {}
    try:
        value = json.loads(path.read_text())
        domain = str(value['domain'])
        groups = {str(k): str(v) for k, v in (value.get('groups') or {}).items()}
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
        raise DataError(f'{path}: expected {{"domain": "...", "groups": {{"<case id>": "<patient>"}}}} ({error})') from error
    if not domain:
        raise DataError(f'{path}: domain must not be empty')
    return domain, groups


def write_groups(folder: str | Path, domain: str, groups: dict[str, str]) -> Path:
    """Tags a prepared folder with its domain and the patient of each case (see _read_groups)."""
    root = Path(folder)
    data = PreparedSet.load(root)
    unknown = sorted(set(groups) - {c.id for c in data.cases})
    if unknown:
        raise DataError(f'{root}: no case(s) {", ".join(unknown[:5])} in the manifest')
    path = root / GROUPS_FILE
    path.write_text(json.dumps({'domain': domain, 'groups': dict(sorted(groups.items()))}, indent=2) + '\n')
    return path


def tag_folder(folder: str | Path, domain: str, pairs: Sequence[str] = (), labels: Optional[str | Path] = None, key: str = 'patient',
               manifest: Optional[str | Path] = None) -> Path:
    """`python -m training tag`: groups from the real-data manifest (by SeriesInstanceUID), a
    labels.json field and/or CASE=PATIENT pairs (later ones win)."""
    groups: dict[str, str] = {}
    by_uid: dict[str, str] = {}
    if manifest is not None:
        from .manifest import patients_by_uid

        by_uid = patients_by_uid(json.loads(Path(manifest).read_text()))
        for c in PreparedSet.load(folder).cases:
            if c.series_instance_uid in by_uid:
                groups[c.id] = by_uid[c.series_instance_uid]
    if labels is not None:
        for c in json.loads(Path(labels).read_text()).get('cases') or []:
            value = c
            for part in key.split('.'):
                value = value.get(part) if isinstance(value, dict) else None
            if value is None:
                raise DataError(f'{labels}: case {c.get("id")!r} has no {key!r}')
            # A SeriesInstanceUID the manifest knows (e.g. an inserted case's background) stands for its patient.
            groups[str(c['id'])] = by_uid.get(str(value), str(value))
    for pair in pairs:
        case, sep, patient = pair.partition('=')
        if not sep or not case or not patient:
            raise DataError(f'--group {pair!r}: expected CASE=PATIENT')
        groups[case] = patient
    return write_groups(folder, domain, groups)


def same_preprocessing(a, b) -> bool:
    """Two PreparedSets or Pools prepared alike (preprocessing block and mask)."""
    return json.dumps(a.preprocessing, sort_keys=True) == json.dumps(b.preprocessing, sort_keys=True) and a.mask == b.mask


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


def mixed_order(cases: Sequence[Case], weights: dict[str, float], steps: int, rng: np.random.Generator) -> np.ndarray:
    """One epoch of ``steps`` case indices for a mix of domains (README "Real data").

    Each step draws a domain by its weight, then a class (covid or not, half each where the
    domain has both), then a patient (group) among those with cases of that class, uniformly,
    then one of that patient's cases of that class, uniformly. So a patient with many inserted
    lesions weighs no more than one with few, and every real background is seen as often with its
    lesions as without them — the model cannot tell the classes apart by the background.
    """
    domains = sorted({c.domain for c in cases})
    missing = [d for d in domains if d not in weights]
    if missing:
        raise DataError(f'no sampling weight for domain(s) {", ".join(missing)} (--domain-weight NAME=W)')
    table: dict[str, dict[float, dict[str, list[int]]]] = {}
    for i, c in enumerate(cases):
        if c.target is None:
            continue
        table.setdefault(c.domain, {}).setdefault(c.target, {}).setdefault(c.group, []).append(i)
    names = [d for d in domains if d in table and weights[d] > 0]
    if not names:
        raise DataError('no labelled case in any domain with a positive weight')
    p = np.array([weights[d] for d in names], dtype=np.float64)
    p /= p.sum()
    out = np.empty(steps, dtype=np.int64)
    for k in range(steps):
        by_class = table[names[int(rng.choice(len(names), p=p))]]
        classes = sorted(by_class)
        groups = by_class[classes[int(rng.integers(len(classes)))]]
        members = groups[sorted(groups)[int(rng.integers(len(groups)))]]
        out[k] = members[int(rng.integers(len(members)))]
    return out
