"""The real-data manifest (training/real-data/manifest.json): its rules hold, and the local copies
outside the repo are exactly what it lists (SHA-256 and SeriesInstanceUID of every file)."""
from __future__ import annotations

import copy
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent.parent
VERIFY = PROJECT / 'training' / 'real-data' / 'verify.py'
MANIFEST = PROJECT / 'training' / 'real-data' / 'manifest.json'
REAL = Path(os.environ.get('LUNGLENS_REAL_DATA', '/work/data/real'))
SHARED = Path(os.environ.get('LUNGLENS_SHARED_DATA', PROJECT.parent / 'shared' / 'data'))
ABSENT = PROJECT / 'no-such-root'

spec = importlib.util.spec_from_file_location('real_data_verify', VERIFY)
verify = importlib.util.module_from_spec(spec)
spec.loader.exec_module(verify)

needs_real = pytest.mark.skipif(not REAL.is_dir(), reason=f'the real-data copies are not on this machine ({REAL} is absent; '
                                                          'they are never in git — see training/real-data/README.md)')
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f'{SHARED} is absent (../shared/data is not part of the repo)')


def run_verify(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(VERIFY), *args], capture_output=True, text=True)


def manifest() -> dict:
    return json.loads(MANIFEST.read_text())


def test_the_manifest_keeps_its_rules():
    """Roles, labels and uses are from the known sets, patients do not straddle training and held-out
    roles, and nothing comes from a source reserved for the independent validation."""
    assert verify.check_rules(manifest()) == []


def test_a_patient_in_both_training_and_test_is_caught():
    m = manifest()
    background = next(s for s in m['series'] if s['role'] == 'train+lopo')
    leaked = copy.deepcopy(background)
    leaked['id'] += '-copy'
    leaked['role'] = 'test'
    m['series'].append(leaked)
    problems = verify.check_rules(m)
    assert any(background['patient_group'] in p and 'spans roles' in p for p in problems)


def test_a_reserved_source_is_caught():
    m = manifest()
    m['sources'].append({'repository': 'plotly/dash-vtk'})
    assert any('reserved' in p for p in verify.check_rules(m))


def test_every_real_non_covid_chest_of_shared_data_is_evaluated_leave_one_patient_out():
    lopo = {s['id'] for s in manifest()['series'] if s['role'] == 'train+lopo' and 'lopo-eval' in s['uses']}
    for sid in ('shared-acrin-flt-breast-013-axial', 'shared-lung-fused-lungfcp-01-0001', 'shared-popi-4dct-phase00',
                'shared-tcga-thca-de-a4ma', 'shared-lungdx-a0002-b40f'):
        assert sid in lopo


@needs_real
def test_the_copies_under_the_real_data_root_match_the_manifest():
    done = run_verify('--real', str(REAL), '--shared', str(ABSENT))
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'series ok' in done.stdout and 'with problems' not in done.stdout


@needs_shared
def test_the_shared_series_and_slices_match_the_manifest():
    done = run_verify('--real', str(ABSENT), '--shared', str(SHARED))
    assert done.returncode == 0, done.stdout + done.stderr
    assert '2-D images checked' in done.stdout


@needs_real
def test_a_changed_byte_in_a_copy_fails_the_check(tmp_path):
    m = manifest()
    series = min((s for s in m['series'] if s['root'] == 'real' and s['format'] == 'dicom'), key=lambda s: len(s['files']))
    shutil.copytree(REAL / series['local_dir'], tmp_path / series['local_dir'])
    victim = tmp_path / series['local_dir'] / series['files'][0]['name']
    data = bytearray(victim.read_bytes())
    data[-1] ^= 0xFF  # last byte: pixel data, so the header still parses
    victim.write_bytes(bytes(data))
    one = {**m, 'series': [series], 'images_2d': []}
    (tmp_path / 'manifest.json').write_text(json.dumps(one))
    done = run_verify('--manifest', str(tmp_path / 'manifest.json'), '--real', str(tmp_path), '--shared', str(ABSENT))
    assert done.returncode == 1
    assert 'SHA-256 differs' in done.stdout
