"""Stage 1's extra sources (README "Stage 1"): labelled real 2-D slices and the contrastive loss
on unlabelled real CT."""
import json

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from training.__main__ import main
from training.data import Pool
from training.pretrain import nt_xent, slice_batch, slice_label, ssl_batch, ssl_view
from training.synthetic import write_prepared


def test_nt_xent_rewards_matching_pairs_and_uses_the_queue():
    torch.manual_seed(0)
    a = F.normalize(torch.randn(4, 8), dim=1)
    matched = torch.cat([a, a])  # view B of pair i equals view A
    shuffled = torch.cat([a, a[[1, 2, 3, 0]]])
    assert nt_xent(matched, None, 0.2) < nt_xent(shuffled, None, 0.2)
    queue = F.normalize(torch.randn(16, 8), dim=1)
    assert nt_xent(matched, queue, 0.2) > nt_xent(matched, None, 0.2)  # more negatives, a harder task
    near = torch.cat([a, a])
    assert float(nt_xent(near, queue[:0], 0.2)) == pytest.approx(float(nt_xent(near, None, 0.2)))


@pytest.fixture(scope='module')
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp('stage1')
    slices2d = write_prepared(root / 'slices', [('covid', 1), ('non-covid', 1)] * 4, seed=21)
    real = write_prepared(root / 'real', [(None, 9), (None, 12), ('non-covid', 7)], seed=22)
    return {'slices': slices2d, 'real': real}


def test_slice_batch_alternates_classes_and_keeps_each_slice_label(folders):
    pool = Pool.load([folders['slices']])
    assert [slice_label(c) for c in pool.cases] == [1.0, 0.0] * 4
    x, m, y = slice_batch(pool, 6, np.random.default_rng(0), 0.5, 0.25, torch.device('cpu'))
    assert x.shape == (6, 1, 32, 32) and m.shape == x.shape and y.tolist() == [0.0, 1.0] * 3


def test_ssl_views_pair_up_and_a_thick_view_is_a_slab(folders):
    pool = Pool.load([folders['real']])
    x, m = ssl_batch(pool, 5, np.random.default_rng(1), 0.5, 0.25, torch.device('cpu'))
    assert x.shape == (10, 1, 32, 32) and set(torch.unique(m).tolist()) <= {0.0, 1.0}
    s, mk = pool.arrays(pool.cases[0])
    thick, _ = ssl_view(s, mk, 4, np.random.default_rng(2), True)
    lo, hi = s[3:6, 0].min(axis=0), s[3:6, 0].max(axis=0)  # a weighted mean of slices 3, 4, 5
    assert thick.shape == (1, 1, 32, 32) and np.all(thick[0, 0] >= lo - 1e-6) and np.all(thick[0, 0] <= hi + 1e-6)
    same, _ = ssl_view(s, mk, 4, np.random.default_rng(2), False)
    assert np.array_equal(same, s[4:5])


def test_stage_one_with_every_source_reports_each_loss(tiny_sets, folders, tmp_path, capsys):
    out = tmp_path / 's1'
    code = main(['train', '--train', str(tiny_sets['train']), '--val', str(tiny_sets['val']), '--out', str(out), '--epochs', '0',
                 '--pretrain-steps', '4', '--pretrain-volumes', '2', '--pretrain-slices', '2', '--slices-per-step', '8',
                 '--pretrain-slices-2d', str(folders['slices']), '--pretrain-slices-2d-val', str(folders['slices']),
                 '--pretrain-slices-2d-count', '2', '--pretrain-ssl', str(folders['real']), '--pretrain-ssl-pairs', '3'])
    assert code == 0
    line = [x for x in capsys.readouterr().out.splitlines() if x.startswith('pretrain step 4/4')][0]
    assert '2-D loss' in line and 'contrastive' in line and 'AUC' in line
    config = json.loads((out / 'config.json').read_text())
    last = config['pretraining']['history'][-1]
    assert last['sslLoss'] > 0 and last['sliceLoss'] > 0 and last['sliceValAuc'] is not None
    assert config['pretraining']['selfSupervised']['pairsPerStep'] == 3 and config['pretraining']['slices2d']['data']['cases'] == 8
    # a stage-1-only run is a usable start for later runs: its encoder is best.pt
    assert (out / 'stage1.pt').is_file() and (out / 'best.pt').is_file()
    assert json.loads((out / 'summary.json').read_text())['stage1Only'] and not (out / 'calibration.json').exists()
    fine = tmp_path / 'fine'
    assert main(['train', '--train', str(tiny_sets['train']), '--val', str(tiny_sets['val']), '--out', str(fine), '--epochs', '1',
                 '--slices-per-step', '8', '--init', str(out)]) == 0
    started = json.loads((fine / 'config.json').read_text())
    assert started['initialisedFrom']['from'] == str(out.resolve()) and started['pretraining']['steps'] == 0


def test_labelled_slices_balance_formats_and_classes(tmp_path):
    """A format with mostly covid slices and one with mostly not: each format is drawn half the
    time and each class half the time within it, so the format says nothing about the label."""
    a = write_prepared(tmp_path / 'a', [('covid', 1)] * 5 + [('non-covid', 1)], seed=41)
    b = write_prepared(tmp_path / 'b', [('covid', 1)] + [('non-covid', 1)] * 5, seed=42)
    main(['tag', str(a), '--domain', 'jpg'])
    main(['tag', str(b), '--domain', 'png'])
    pool = Pool.load([a, b])
    owner = {id(c): c.domain for c in pool.cases}
    rng = np.random.default_rng(0)
    seen = []
    original = pool.arrays
    pool.arrays = lambda case: (seen.append((owner[id(case)], case.label)), original(case))[1]  # record every draw
    slice_batch(pool, 400, rng, 0.5, 0.25, torch.device('cpu'))
    jpg = [label for d, label in seen if d == 'jpg']
    assert len(jpg) / len(seen) == pytest.approx(0.5, abs=0.08)
    assert jpg.count('covid') / len(jpg) == pytest.approx(0.5, abs=0.08)
