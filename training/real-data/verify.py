#!/usr/bin/python3
"""Checks the real-data manifest against the local copies, and the manifest against its own rules.

    /usr/bin/python3 training/real-data/verify.py [--manifest PATH] [--real DIR] [--shared DIR] [--json]

For every series and 2-D image it recomputes the SHA-256 of each file and, for DICOM, reads the
SeriesInstanceUID of each file; both must equal the manifest. A root that is absent (no
/work/data/real, no ../shared/data) is reported as skipped, not as a failure: the data never goes
into git, so a checkout without it is normal. The rules (roles, patient grouping, reserved sources)
are checked always, since they need only the manifest.

Exit status: 0 when every present file matches and the rules hold, 1 otherwise.
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent.parent
DEFAULT_MANIFEST = HERE / 'manifest.json'
DEFAULT_REAL = Path(os.environ.get('LUNGLENS_REAL_DATA', '/work/data/real'))
DEFAULT_SHARED = Path(os.environ.get('LUNGLENS_SHARED_DATA', PROJECT.parent / 'shared' / 'data'))

ROLES = {'train', 'train+lopo', 'validation', 'test', 'excluded'}
LABELS = {'covid', 'non-covid', 'unknown'}
USES = {'lesion-background', 'lopo-eval', 'ssl', 'slice-pretrain-labelled', 'real-covid-test'}
# Sources kept for the independent validation: nothing from them may appear among the sources.
RESERVED_REPOS = {
    'aryamanwastaken/covid_chestct_image_analysis', 'haydengunraj/covidnet-ct', 'sy575/covid19-ct',
    'saltyjoke/image-registration', 'kitware/vtk-js', 'plotly/dash-vtk', 'stepha-mar/10', 'stepha-mar/colon',
}
RESERVED_PATIENTS = ('419639-001012', '419639-000082')


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def series_uid(path: Path) -> str | None:
    import pydicom  # imported here so the rule checks run without pydicom
    ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
    uid = ds.get('SeriesInstanceUID')
    return str(uid) if uid else None


def check_rules(manifest: dict) -> list[str]:
    """The manifest's own invariants; each broken one is a sentence."""
    problems: list[str] = []
    entries = manifest['series'] + manifest['images_2d']
    ids = collections.Counter(e['id'] for e in entries)
    problems += [f'id {i!r} appears {n} times' for i, n in ids.items() if n > 1]
    for e in entries:
        if e['role'] not in ROLES:
            problems.append(f"{e['id']}: unknown role {e['role']!r}")
        if e['label'] not in LABELS:
            problems.append(f"{e['id']}: unknown label {e['label']!r}")
        if not set(e.get('uses', [])) <= USES:
            problems.append(f"{e['id']}: unknown uses {sorted(set(e['uses']) - USES)}")
        if not e.get('label_basis'):
            problems.append(f"{e['id']}: no label basis")
        if e['label'] == 'unknown' and set(e.get('uses', [])) - {'ssl'}:
            problems.append(f"{e['id']}: label unknown but used beyond self-supervision")
        if e['role'] == 'excluded' and e.get('uses'):
            problems.append(f"{e['id']}: excluded, yet listed for {sorted(e['uses'])}")
        if 'lesion-background' in e.get('uses', []) and e['label'] != 'non-covid':
            problems.append(f"{e['id']}: a lesion background must be non-COVID")
        text = json.dumps(e).lower()
        src = e['source'].split(':', 1)[-1].lower()
        if src in RESERVED_REPOS:
            problems.append(f"{e['id']}: comes from the reserved source {e['source']}")
        for p in RESERVED_PATIENTS:
            if p in text:
                problems.append(f"{e['id']}: mentions the reserved RICORD patient {p}")
    for s in manifest['sources']:
        if s['repository'].lower() in RESERVED_REPOS:
            problems.append(f"source {s['repository']} is reserved for the independent validation")
    # patients never straddle held-out roles: a patient group is in test only, or in validation only,
    # or in training (train / train+lopo) only
    side = {'train': 'train', 'train+lopo': 'train', 'validation': 'validation', 'test': 'test'}
    groups: dict[str, set[str]] = collections.defaultdict(set)
    for e in entries:
        if e.get('patient_group'):
            groups[e['patient_group']].add(side.get(e['role'], e['role']))
    problems += [f'patient group {g!r} spans roles {sorted(r)}' for g, r in groups.items() if len(r) > 1]
    return problems


def check_files(manifest: dict, real: Path, shared: Path) -> tuple[dict, list[str]]:
    """Recomputes SHA-256 (and DICOM SeriesInstanceUIDs) of the local copies."""
    roots = {'real': real, 'shared': shared}
    present = {k: v.is_dir() for k, v in roots.items()}
    counts = collections.Counter()
    problems: list[str] = []
    for s in manifest['series']:
        root = roots[s['root']]
        if not present[s['root']]:
            counts[f"skipped ({s['root']} root absent)"] += 1
            continue
        want_uid = s.get('series_instance_uid')
        bad = 0
        for f in s['files']:
            p = root / s['local_dir'] / f['name']
            if not p.is_file():
                problems.append(f"{s['id']}: missing {p}")
                bad += 1
                continue
            if sha256(p) != f['sha256']:
                problems.append(f"{s['id']}: SHA-256 differs for {p}")
                bad += 1
            if s['format'] == 'dicom' and want_uid:
                got = series_uid(p)
                if got != want_uid:
                    problems.append(f"{s['id']}: {p.name} has SeriesInstanceUID {got}, manifest says {want_uid}")
                    bad += 1
        counts['series ok' if bad == 0 else 'series with problems'] += 1
        counts['files checked'] += len(s['files'])
    for im in manifest['images_2d']:
        root = roots[im['root']]
        if not present[im['root']]:
            counts[f"skipped ({im['root']} root absent)"] += 1
            continue
        p = root / im['path']
        counts['2-D images checked'] += 1
        if not p.is_file():
            problems.append(f"{im['id']}: missing {p}")
        elif sha256(p) != im['sha256']:
            problems.append(f"{im['id']}: SHA-256 differs for {p}")
        elif im['format'] == 'dicom-slice' and series_uid(p) != im['series_instance_uid']:
            problems.append(f"{im['id']}: SeriesInstanceUID differs for {p}")
    return {'roots': {k: str(v) + ('' if present[k] else ' (absent)') for k, v in roots.items()}, **counts}, problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--manifest', type=Path, default=DEFAULT_MANIFEST)
    ap.add_argument('--real', type=Path, default=DEFAULT_REAL, help='root of the copies outside the repo')
    ap.add_argument('--shared', type=Path, default=DEFAULT_SHARED, help='../shared/data')
    ap.add_argument('--json', action='store_true', help='print the result as JSON')
    args = ap.parse_args(argv)
    manifest = json.loads(args.manifest.read_text())
    rules = check_rules(manifest)
    summary, files = check_files(manifest, args.real, args.shared)
    result = {'summary': summary, 'rule_problems': rules, 'file_problems': files}
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for k, v in summary.items():
            print(f'{k}: {v}')
        for p in rules:
            print(f'RULE: {p}')
        for p in files[:50]:
            print(f'FILE: {p}')
        if len(files) > 50:
            print(f'... and {len(files) - 50} more file problems')
        print('OK' if not rules and not files else f'FAILED: {len(rules)} rule and {len(files)} file problems')
    return 0 if not rules and not files else 1


if __name__ == '__main__':
    sys.exit(main())
