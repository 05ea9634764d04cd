"""The input checks' facts for the cases of a prepared folder (README "Abstention"):
`python -m training facts DIR` writes ``DIR/facts.json``.

Spacing, orientation and units come from `lunglens inspect --json` of each case's source (the
TypeScript reader: Python reads no DICOM); the lung volume from the manifest; the body fraction
from the prepared tensors (inference.body_fraction_outside_lung). `evaluate` applies the checks
with them, and `export` derives the card's limits from the training folders' facts.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from .data import DataError, Pool, PreparedSet
from .inference import InputFacts, body_fraction_outside_lung, lung_width_fraction, slice_normal_angle_deg

FACTS_FILE = 'facts.json'


def inspect_sources(paths: list[str], command: list[str], cwd: Path) -> dict[str, dict]:
    """`lunglens inspect PATHS --json` → series by path."""
    done = subprocess.run([*command, 'inspect', *paths, '--json'], capture_output=True, text=True, cwd=cwd)
    if done.returncode not in (0, 2):
        raise DataError(f'lunglens inspect failed (exit {done.returncode}): {done.stderr.strip()[-1000:]}')
    series = json.loads(done.stdout).get('series') or []
    return {str(Path(s['path']).resolve()): s for s in series}


def write_facts(folder: str | Path, log: Callable[[str], None] = print, batch: int = 40) -> Path:
    from .evaluate import PROJECT_ROOT, lunglens_command

    data = PreparedSet.load(folder)
    sources = sorted({str(Path(c.source).resolve()) for c in data.cases})
    found: dict[str, dict] = {}
    for i in range(0, len(sources), batch):
        found.update(inspect_sources(sources[i:i + batch], lunglens_command(), PROJECT_ROOT))
    by_uid = {s.get('seriesInstanceUid'): s for s in found.values() if s.get('seriesInstanceUid')}
    out, missing = {}, []
    for case in data.cases:
        s = found.get(str(Path(case.source).resolve())) or by_uid.get(case.series_instance_uid)
        if s is None:
            missing.append(case.id)
            continue
        slices, masks = data.arrays(case)
        facts = InputFacts(calibrated=s.get('units') == 'HU' and s.get('calibrated', True) is not False,
                           slice_spacing_mm=float(s['spacingMm'][2]), lung_volume_ml=float(case.lung_volume_ml or 0.0),
                           normal_angle_deg=slice_normal_angle_deg(s['direction']),
                           body_fraction=body_fraction_outside_lung(slices, masks, data.preprocessing), lung_width=lung_width_fraction(masks))
        out[case.id] = {**facts.to_json(), 'seriesInstanceUid': case.series_instance_uid, 'source': case.source}
    path = data.root / FACTS_FILE
    path.write_text(json.dumps({'cases': out, 'notInspected': missing}, indent=1) + '\n')
    log(f'wrote {path}: {len(out)} cases' + (f', {len(missing)} not found by lunglens inspect' if missing else ''))
    return path


def load_facts(data) -> dict[str, InputFacts]:
    """Facts by case id for a PreparedSet or a Pool (cases of folders without facts.json are absent)."""
    sets = getattr(data, 'sets', [data])
    out: dict[str, InputFacts] = {}
    for s in sets:
        path = s.root / FACTS_FILE
        if path.is_file():
            for case_id, v in json.loads(path.read_text())['cases'].items():
                out[f'{s.root}::{case_id}'] = InputFacts.from_json(v)
    return out


def facts_of(facts: dict[str, InputFacts], data, case) -> Optional[InputFacts]:
    owner = data.owner(case) if isinstance(data, Pool) else data
    return facts.get(f'{owner.root}::{case.id}')


def analysable_facts(pool: Pool) -> list[InputFacts]:
    """The facts of the pool's labelled cases that the app would analyse: a volume without a lung
    mask is skipped at inference (no-lung-found), so its facts (no lung, no width) set no limit."""
    facts = load_facts(pool)
    return [f for c in pool.labelled() if c.lung_status in (None, 'ok') and (f := facts_of(facts, pool, c)) is not None]


def training_limits(values: list[InputFacts]) -> dict:
    """The card's input-check limits from the training volumes' facts (README "Abstention"):
    slice spacing up to the 98th percentile of training (rounded up to 0.5 mm), lung volume down
    to the 2nd percentile (rounded down to 50 mL), body fraction down to half the training minimum
    or 5 %, whichever is lower; slice normals within 30° of the body axis; lung width down to the
    2nd percentile (rounded down to 0.01), where every training volume's facts have it."""
    if not values:
        raise DataError('no facts.json in the training folders: run `python -m training facts DIR` for each')
    spacing = np.array([v.slice_spacing_mm for v in values])
    volume = np.array([v.lung_volume_ml for v in values])
    body = np.array([v.body_fraction for v in values])
    widths = [v.lung_width for v in values]
    width = np.array(widths, dtype=float) if all(w is not None for w in widths) else None
    return {
        'maxSliceSpacingMm': float(np.ceil(np.quantile(spacing, 0.98) * 2) / 2),
        'minLungVolumeMl': float(np.floor(np.quantile(volume, 0.02) / 50) * 50),
        'maxNormalAngleDeg': 30.0,
        'minBodyFractionOutsideLung': float(min(0.05, 0.5 * body.min())),
        'minLungWidthFraction': None if width is None else float(np.floor(np.quantile(width, 0.02) * 100) / 100),
        'basis': {'trainingVolumes': len(values), 'sliceSpacingMm': {'max': float(spacing.max()), 'p98': float(np.quantile(spacing, 0.98))},
                  'lungVolumeMl': {'min': float(volume.min()), 'p2': float(np.quantile(volume, 0.02))},
                  'bodyFractionOutsideLung': {'min': float(body.min()), 'median': float(np.median(body))},
                  'normalAngleDeg': {'max': float(max(v.normal_angle_deg for v in values))},
                  **({} if width is None else {'lungWidthFraction': {'min': float(width.min()), 'p2': float(np.quantile(width, 0.02))}})},
    }
