"""The real-data manifest (`training/real-data/manifest.json`) as the training package uses it:
which series to prepare for a use, their labels.json for `lunglens prepare`, and the patient of
every prepared case (`python -m training tag --manifest`).

    python -m training manifest --manifest M --use lopo-eval --labels-out L.json --paths-out P.txt
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

from .data import DataError

EXCLUDED_ROLES = ('excluded',)


def roots(manifest: dict) -> dict[str, Path]:
    """Where each root of the manifest lives here (the manifest's README: LUNGLENS_REAL_DATA,
    LUNGLENS_SHARED_DATA)."""
    project = Path(__file__).resolve().parent.parent
    return {'real': Path(os.environ.get('LUNGLENS_REAL_DATA', '/work/data/real')),
            'shared': Path(os.environ.get('LUNGLENS_SHARED_DATA', str(project.parent / 'shared' / 'data')))}


def series_for(manifest: dict, use: str, ids: Optional[list[str]] = None) -> list[dict]:
    """The manifest's 3-D series with ``use`` among their uses (never an excluded one)."""
    out = []
    for s in manifest.get('series') or []:
        if s.get('role') in EXCLUDED_ROLES or use not in (s.get('uses') or []):
            continue
        if ids and s['id'] not in ids:
            continue
        out.append(s)
    return out


def local_path(manifest: dict, entry: dict) -> Path:
    where = roots(manifest)
    root = where.get(entry.get('root', 'real'))
    if root is None:
        raise DataError(f'{entry["id"]}: unknown root {entry.get("root")!r}')
    rel = entry.get('local_dir') or entry.get('path')
    if rel is None:
        raise DataError(f'{entry["id"]}: no local_dir or path')
    return root / rel


def labels_for(manifest: dict, series: list[dict]) -> dict:
    """labels.json for `lunglens prepare` (DESIGN.md §3): id, SeriesInstanceUID, label (null when
    unknown), slicePositive all false for non-COVID series (no slice can show COVID-19)."""
    cases = []
    for s in series:
        label = s.get('label') if s.get('label') in ('covid', 'non-covid') else None
        cases.append({'id': s['id'], 'seriesInstanceUid': s['series_instance_uid'], 'label': label,
                      'slicePositive': None, 'path': str(local_path(manifest, s)), 'patient': s['patient_group']})
    return {'cases': cases}


def patients_by_uid(manifest: dict) -> dict[str, str]:
    out = {}
    for s in manifest.get('series') or []:
        out[s['series_instance_uid']] = s['patient_group']
    for s in manifest.get('images_2d') or []:
        if s.get('series_instance_uid') and s.get('patient_group'):
            out[s['series_instance_uid']] = s['patient_group']
    return out


def write_selection(manifest_path: str | Path, use: str, labels_out: str | Path, paths_out: str | Path, ids: Optional[list[str]] = None) -> int:
    manifest = json.loads(Path(manifest_path).read_text())
    series = series_for(manifest, use, ids)
    if not series:
        raise DataError(f'{manifest_path}: no series with use {use!r}')
    missing = [s['id'] for s in series if not local_path(manifest, s).exists()]
    if missing:
        raise DataError(f'not on this machine: {", ".join(missing)} (see /work/data/real/STATUS.md)')
    Path(labels_out).write_text(json.dumps(labels_for(manifest, series), indent=1) + '\n')
    Path(paths_out).write_text('\n'.join(str(local_path(manifest, s)) for s in series) + '\n')
    return len(series)
