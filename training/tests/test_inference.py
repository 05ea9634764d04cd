"""Deterministic whole-volume inference (the card's sliceStrategy) and the calibration of the
verdict rules. The first cases mirror src/core/model/slice-strategy.test.ts: the two
implementations must agree."""
import math

import numpy as np
import pytest
import torch

from training.data import Case
from training.inference import (VolumePrediction, calibrate, combine_passes, covid_probability, interleaved_passes,
                                predict_volume, slice_positives)
from training.model import ResNeXtPlus, network_spec

from .test_model import perturbed


def test_plan_matches_the_typescript_engine():
    assert [p.tolist() for p in interleaved_passes(30, 50)] == [list(range(30))]
    plan = interleaved_passes(123, 50)
    assert len(plan) == 3 and plan[1][:3].tolist() == [1, 4, 7]
    assert sorted(np.concatenate(plan).tolist()) == list(range(123))
    assert all(len(p) <= 50 and np.all(np.diff(p) > 0) for p in plan)
    with pytest.raises(ValueError):
        interleaved_passes(0, 50)


def test_combination_matches_the_typescript_engine():
    plan = interleaved_passes(5, 3)  # [0,2,4], [1,3]
    probability, attention = combine_passes(5, plan, [([0, 0], [0.2, 0.3, 0.5]), ([0, math.log(3)], [0.4, 0.6])])
    assert probability == pytest.approx((0.5 + 0.75) / 2, abs=1e-12)
    assert attention.sum() == pytest.approx(1.0, abs=1e-12)
    assert attention[4] == pytest.approx(0.5 * 3 / 5) and attention[3] == pytest.approx(0.6 * 2 / 5)
    with pytest.raises(ValueError):
        combine_passes(3, [np.arange(3)], [([0, 1], [1.0, 0.0])])


def test_slice_rule_matches_the_typescript_engine():
    attention = np.array([0.05, 0.4, 0.3, 0.05, 0.2])
    assert slice_positives(attention, 0.9, 0.5, 1.2) == [False, True, True, False, False]
    assert slice_positives(attention, 0.2, 0.5, 1.2) == [False] * 5
    assert covid_probability([0, 1000]) == 1.0 and covid_probability([1000, 0]) == 0.0 and covid_probability([2, 2]) == 0.5


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    return perturbed(ResNeXtPlus(network_spec('compact')), seed=1)


@pytest.mark.parametrize('total', [1, 7, 50, 51, 123])
def test_every_slice_gets_a_weight_and_the_volume_sums_to_one(model, total):
    rng = np.random.default_rng(total)
    slices = rng.normal(size=(total, 1, 32, 32)).astype(np.float32)
    masks = (rng.random((total, 1, 32, 32)) > 0.5).astype(np.uint8)
    a = predict_volume(model, slices, masks, 50)
    b = predict_volume(model, slices, masks, 50)
    assert a.attention.shape == (total,) and np.all(a.attention > 0)
    assert a.attention.sum() == pytest.approx(1.0, abs=1e-6)
    assert len(a.pass_probabilities) == math.ceil(total / 50)
    assert a.probability == b.probability and np.array_equal(a.attention, b.attention)  # no randomness
    if total <= 50:  # one pass: exactly the network's own outputs
        with torch.no_grad():
            logits, attention = model(torch.from_numpy(slices), torch.from_numpy(masks.astype(np.float32)))
        assert a.probability == pytest.approx(float(torch.softmax(logits[0].double(), 0)[1]), abs=1e-9)
        np.testing.assert_allclose(a.attention, attention.double().numpy(), atol=1e-9)


def case(label, positive):
    return Case(id='c', series_instance_uid='', source='', label=label, slice_positive=positive, slices=len(positive or [0]),
                lung_volume_ml=None, lung_status=None, slices_file=None, masks_file=None)


def prediction(probability, attention):
    attention = np.asarray(attention, dtype=np.float64)
    return VolumePrediction(probability, attention / attention.sum(), [probability], 0.0)


def test_calibration_separates_the_volumes_then_maximises_slice_f1():
    preds = [
        (case('covid', [False, True, True, False]), prediction(0.8, [1, 3, 3, 1])),
        (case('covid', [True, False, False, False]), prediction(0.6, [4, 1, 1, 1])),
        (case('non-covid', [False] * 4), prediction(0.3, [1, 1, 5, 1])),
        (case('non-covid', [False] * 4), prediction(0.1, [1, 1, 1, 1])),
    ]
    cal = calibrate(preds)
    assert 0.3 < cal.threshold < 0.6  # every volume right
    assert cal.method['balancedAccuracy'] == 1.0 and cal.method['sliceF1'] == 1.0
    # positives have ratios 1.5, 1.5 and 16/7 ≈ 2.29; the best negative ratio in a positive volume is 0.5 or 4/7
    assert 4 / 7 < cal.factor < 1.5
    for c, p in preds:
        assert slice_positives(p.attention, p.probability, cal.threshold, cal.factor) == c.slice_positive


def test_calibration_defaults_when_the_split_cannot_decide():
    only_negative = [(case('non-covid', [False, False]), prediction(0.2, [1, 1]))]
    cal = calibrate(only_negative)
    assert cal.threshold == 0.5 and cal.factor == 1.0
    no_slice_labels = [(case('covid', None), prediction(0.9, [1, 2])), (case('non-covid', None), prediction(0.2, [1, 1]))]
    cal = calibrate(no_slice_labels)
    assert 0.2 < cal.threshold < 0.9 and cal.factor == 1.0
