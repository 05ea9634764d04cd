"""Shared fixtures: small synthetic prepared folders (the `lunglens prepare` format) and a fake
`lunglens evaluate` for the tests that must not depend on the TypeScript build."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from training.synthetic import write_prepared

torch.set_num_threads(2)

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent.parent


@pytest.fixture(scope='session')
def tiny_sets(tmp_path_factory) -> dict[str, Path]:
    """train (4 volumes), val (4, slice labels) and test (4) folders at S = 32."""
    root = tmp_path_factory.mktemp('prepared')
    return {
        'train': write_prepared(root / 'train', [('covid', 10), ('non-covid', 12), ('covid', 8), ('non-covid', 9)], seed=1),
        'val': write_prepared(root / 'val', [('covid', 12), ('non-covid', 7), ('covid', 60), ('non-covid', 55)], seed=2),
        'test': write_prepared(root / 'test', [('covid', 11), ('non-covid', 13), ('covid', 70), (None, 6)], seed=3),
    }


@pytest.fixture()
def fake_lunglens(monkeypatch) -> Path:
    """Points LUNGLENS_CLI at tests/fake_lunglens.py (a stand-in for `lunglens evaluate`)."""
    script = HERE / 'fake_lunglens.py'
    monkeypatch.setenv('LUNGLENS_CLI', f'{sys.executable} {script}')
    return script


def node_with_onnxruntime() -> str | None:
    """Why the ONNX parity tests cannot run here, or None when they can."""
    if shutil.which('node') is None:
        return 'node is not on PATH'
    done = subprocess.run(['node', '-e', "require('onnxruntime-node')"], cwd=PROJECT, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [''])[-1]
        return f'onnxruntime-node does not load (run `npm ci` in the project): {last}'
    return None
