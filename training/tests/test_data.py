"""Reading prepared folders and drawing training samples."""
import json

import numpy as np
import pytest

from training.data import DataError, PreparedSet, balanced_order, sample_slices
from training.synthetic import write_prepared


def test_reads_the_manifest_and_memory_maps_the_arrays(tiny_sets):
    data = PreparedSet.load(tiny_sets['train'])
    assert data.size == 32 and [c.label for c in data.cases] == ['covid', 'non-covid', 'covid', 'non-covid']
    slices, masks = data.arrays(data.cases[0])
    assert isinstance(slices, np.memmap) and slices.shape == (10, 1, 32, 32) and slices.dtype == np.float32
    assert masks.dtype == np.uint8 and set(np.unique(masks)) <= {0, 1}
    assert data.air_value == pytest.approx(-2.0)  # (0 − 0.5) / 0.25
    identity = data.identity()
    assert identity['cases'] == 4 and identity['covid'] == 2 and len(identity['manifestSha256']) == 64


@pytest.mark.parametrize('edit, message', [
    (lambda m: m.update(format='other'), 'format'),
    (lambda m: m.update(version=2), 'version'),
    (lambda m: m['preprocessing'].pop('huWindow'), 'preprocessing'),
    (lambda m: m['cases'][0].update(label='maybe'), 'label'),
    (lambda m: m['cases'][0].update(slicePositive=[True]), 'slicePositive'),
    (lambda m: m['cases'][0].pop('slicesFile'), 'lacks'),
])
def test_rejects_manifests_that_break_the_contract(tmp_path, edit, message):
    root = write_prepared(tmp_path / 'x', [('covid', 3)])
    manifest = json.loads((root / 'manifest.json').read_text())
    edit(manifest)
    (root / 'manifest.json').write_text(json.dumps(manifest))
    with pytest.raises(DataError, match=message):
        PreparedSet.load(root)


def test_rejects_arrays_of_the_wrong_shape(tmp_path):
    root = write_prepared(tmp_path / 'x', [('covid', 3)])
    data = PreparedSet.load(root)
    np.save(data.cases[0].masks_file, np.zeros((3, 1, 32, 32), dtype=np.float32))
    with pytest.raises(DataError, match='uint8'):
        data.arrays(data.cases[0])
    with pytest.raises(DataError, match='no manifest'):
        PreparedSet.load(tmp_path)


@pytest.mark.parametrize('total', [1, 7, 50, 51, 99, 123, 400])
def test_samples_are_ordered_and_span_the_volume(total):
    rng = np.random.default_rng(0)
    for _ in range(20):
        idx = sample_slices(total, 50, rng)
        assert len(idx) == min(total, 50)
        assert np.all(np.diff(idx) > 0) and idx[0] >= 0 and idx[-1] < total
        if total > 50:  # one per bin [⌊i·total/50⌋, ⌊(i+1)·total/50⌋)
            edges = (np.arange(51) * total) // 50
            assert np.array_equal(np.searchsorted(edges, idx, side='right') - 1, np.arange(50))


def test_samples_vary_between_steps():
    rng = np.random.default_rng(0)
    assert not np.array_equal(sample_slices(300, 50, rng), sample_slices(300, 50, rng))


def test_balanced_order_resamples_the_minority_class():
    targets = [1.0] * 3 + [0.0] * 10
    order = balanced_order(targets, np.random.default_rng(0))
    assert len(order) == 20
    picked = np.asarray(targets)[order]
    assert picked.sum() == 10
    assert sorted(order[picked == 0.0].tolist()) == list(range(3, 13))  # every negative once
    counts = np.bincount(order[picked == 1.0], minlength=3)
    assert counts.min() >= 3 and counts.max() <= 4  # positives as evenly as possible
    assert sorted(balanced_order([1.0, 1.0], np.random.default_rng(0)).tolist()) == [0, 1]
