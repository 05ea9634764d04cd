"""Calibration and abstention (README "Abstention"): the temperature, the reliability diagram,
the OOD score, the input checks and the verdict rule — what the model card's `abstention.golden`
cases hand to the TypeScript side."""
import json
import math

import numpy as np
import pytest

from training.calibration import fit_ood, fit_temperature, ood_threshold, reliability
from training.data import Pool
from training.export import REASON_TEXT, abstention_golden
from training.facts import analysable_facts, training_limits
from training.inference import (InputChecks, InputFacts, OodModel, body_fraction_outside_lung, calibrated_probability, covid_probability,
                                decide, indeterminate_reasons, lung_width_fraction, slice_normal_angle_deg)
from training.synthetic import write_prepared


def test_temperature_scales_each_pass_then_averages():
    passes = [[0.0, 2.0], [1.0, 0.0]]
    assert calibrated_probability(passes, 1.0) == pytest.approx((covid_probability([0, 2]) + covid_probability([1, 0])) / 2)
    assert calibrated_probability(passes, 2.0) == pytest.approx((1 / (1 + math.exp(-1.0)) + 1 / (1 + math.exp(0.5))) / 2)
    with pytest.raises(ValueError):
        calibrated_probability(passes, 0.0)


def test_an_overconfident_model_gets_a_temperature_above_one():
    rng = np.random.default_rng(0)
    targets = (rng.random(400) < 0.5).astype(float)
    # logits 4× too large for a model that is right 80 % of the time
    z = np.where(rng.random(400) < 0.8, 1.0, -1.0) * np.where(targets == 1, 1, -1) * 1.386 * 4
    fit = fit_temperature([[[0.0, v]] for v in z], list(targets))
    assert 3.0 < fit['temperature'] < 5.0 and fit['nllAfter'] < fit['nllBefore']
    assert fit_temperature([[[0.0, 1.0]]], [1.0])['temperature'] == 1.0  # one class: left alone


def test_reliability_bins_and_expected_calibration_error():
    r = reliability([0.05, 0.15, 0.95, 1.0, 0.95], [0, 1, 1, 1, 0], bins=10)
    assert [b['count'] for b in r['bins']] == [1, 1, 0, 0, 0, 0, 0, 0, 0, 3]
    last = r['bins'][-1]
    assert last['meanProbability'] == pytest.approx((0.95 + 1.0 + 0.95) / 3) and last['fractionCovid'] == pytest.approx(2 / 3)
    expected = (1 * 0.05 + 1 * 0.85 + 3 * abs(2 / 3 - 2.9 / 3)) / 5
    assert r['ece'] == pytest.approx(expected)


def test_ood_score_is_the_mahalanobis_distance_to_the_nearest_class():
    rng = np.random.default_rng(1)
    cov = np.array([[4.0, 1.0, 0.0], [1.0, 2.0, 0.3], [0.0, 0.3, 0.5]])
    a = rng.multivariate_normal([0, 0, 0], cov, 4000)
    b = rng.multivariate_normal([5, 0, 0], cov, 4000)
    model = fit_ood(list(a) + list(b), ['x'] * 4000 + ['y'] * 4000, variance=0.999, max_components=2)
    assert model.components.shape == (2, 3)
    # With k = D − 1 the PPCA is the full covariance: the score is the plain Mahalanobis distance.
    precision = np.linalg.inv(cov)
    f = np.array([1.0, 2.0, -1.0])
    exact = min(math.sqrt((f - m) @ precision @ (f - m)) for m in (np.zeros(3), np.array([5.0, 0, 0])))
    assert model.score(f) == pytest.approx(exact, rel=0.03)
    assert model.score([5.0, 0.0, 0.0]) < 0.1 and model.score([2.5, 0.0, 6.0]) > 8  # 6 along the narrowest axis (σ ≈ 0.7)
    again = OodModel.from_json(model.to_json())
    assert again.score(f) == pytest.approx(model.score(f), abs=1e-12)
    chosen = ood_threshold([1.0, 2.0, 3.0, 4.0, 100.0], quantile=0.5, margin=1.1)
    assert chosen['threshold'] == pytest.approx(3.3) and chosen['validationMax'] == 100.0


def test_body_fraction_counts_tissue_outside_the_lung_mask():
    pre = {'size': 4, 'huWindow': {'lowHu': -1350, 'highHu': 150}, 'normalization': {'mean': 0.5, 'std': 0.5}}
    hu_to_x = lambda hu: ((hu + 1350) / 1500 - 0.5) / 0.5  # noqa: E731
    slices = np.full((1, 1, 4, 4), hu_to_x(-1000), dtype=np.float32)
    masks = np.zeros((1, 1, 4, 4), dtype=np.uint8)
    masks[0, 0, :2] = 1  # 8 pixels of lung, 8 outside
    slices[0, 0, 2, :3] = hu_to_x(40)  # 3 of the 8 outside are tissue
    slices[0, 0, 0, 0] = hu_to_x(40)  # tissue inside the lung mask does not count
    assert body_fraction_outside_lung(slices, masks, pre) == pytest.approx(3 / 8)
    slices[0, 0, 3, 0] = hu_to_x(-500)  # exactly the floor counts as tissue
    assert body_fraction_outside_lung(slices, masks, pre) == pytest.approx(4 / 8)
    assert body_fraction_outside_lung(slices, np.ones_like(masks), pre) == 0.0


def test_slice_normal_angle():
    assert slice_normal_angle_deg([1, 0, 0, 0, 1, 0, 0, 0, 1]) == 0.0
    assert slice_normal_angle_deg([1, 0, 0, 0, 0, -1, 0, 1, 0]) == pytest.approx(90.0)  # coronal
    assert slice_normal_angle_deg([1, 0, 0, 0, 1, 0, 0, 0, -1]) == 0.0  # a normal pointing down is still axial


CHECKS = InputChecks(max_slice_spacing_mm=5.0, min_lung_volume_ml=750.0, max_normal_angle_deg=30.0, min_body_fraction=0.05, min_lung_width=0.45)
GOOD = InputFacts(calibrated=True, slice_spacing_mm=2.5, lung_volume_ml=3500.0, normal_angle_deg=0.0, body_fraction=0.3, lung_width=0.7)


@pytest.mark.parametrize('facts, score, codes', [
    (GOOD, 1.0, []),
    (InputFacts(True, 5.0, 750.0, 30.0, 0.05, 0.45), 4.0, []),  # every limit exactly met passes
    (InputFacts(True, 2.5, 3500.0, 0.0, 0.3, 0.41), 1.0, ['wide-field-of-view']),  # a PET/CT field of view
    (InputFacts(True, 2.5, 3500.0, 0.0, 0.3, None), 1.0, []),  # facts from before the lungs' width was measured
    (InputFacts(False, 2.5, 3500.0, 0.0, 0.3), 1.0, ['uncalibrated-input']),
    (InputFacts(True, 2.5, 3500.0, 90.0, 0.3), 1.0, ['not-axial']),
    (InputFacts(True, 8.0, 3500.0, 0.0, 0.3), 1.0, ['thick-slices']),
    (InputFacts(True, 2.5, 500.0, 0.0, 0.3), 1.0, ['partial-coverage']),
    (InputFacts(True, 2.5, 3500.0, 0.0, 0.01), 1.0, ['pre-masked']),
    (GOOD, 4.01, ['out-of-distribution']),
    (GOOD, math.nan, ['out-of-distribution']),
    (InputFacts(False, 8.0, 500.0, 0.0, 0.3), 9.0, ['uncalibrated-input', 'thick-slices', 'partial-coverage', 'out-of-distribution']),
])
def test_reasons_to_abstain(facts, score, codes):
    reasons = indeterminate_reasons(facts, score, CHECKS, 4.0, 0.9, 0.5)
    assert [c for c, _ in reasons] == codes
    assert decide(0.9, 0.5, reasons) == ('indeterminate' if codes else 'covid')
    assert decide(0.1, 0.5, reasons) == ('indeterminate' if codes else 'non-covid')


def test_uncalibrated_input_can_be_made_a_warning_only():
    warn = InputChecks(5.0, 750.0, uncalibrated='warn')
    assert indeterminate_reasons(InputFacts(False, 2.5, 3500.0, 0.0, 0.3), 1.0, warn, 4.0, 0.9, 0.5) == []


@pytest.mark.parametrize('probability, threshold, equivocal', [
    (0.3, 0.2, True),  # covid by the threshold, less likely than not
    (0.2, 0.2, True),
    (0.5, 0.2, False),
    (0.19, 0.2, False),
    (0.6, 0.7, True),  # more likely than not, under the threshold
    (0.4, 0.7, False),
])
def test_threshold_and_even_odds_must_agree(probability, threshold, equivocal):
    reasons = indeterminate_reasons(GOOD, 1.0, CHECKS, 4.0, probability, threshold)
    assert [c for c, _ in reasons] == (['equivocal'] if equivocal else [])
    assert (decide(probability, threshold, reasons) == 'indeterminate') == equivocal
    # without even odds (an older card) the threshold alone decides
    assert indeterminate_reasons(GOOD, 1.0, CHECKS, 4.0, probability, threshold, even_odds=None) == []


def test_the_equivocal_sentence_names_probability_threshold_and_odds():
    (code, message), = indeterminate_reasons(GOOD, 1.0, CHECKS, 4.0, 0.314, 0.194)
    assert code == 'equivocal'
    assert message.startswith('The calibrated probability 0.31 is on one side of the decision threshold 0.19 and on the other side of even '
                              'odds (0.50)')


def test_messages_say_the_measured_value_and_the_limit():
    reasons = dict(indeterminate_reasons(InputFacts(True, 8.0, 412.4, 0.0, 0.012), 7.5, CHECKS, 4.0, 0.9, 0.5))
    assert reasons['thick-slices'] == 'The slices are 8.0 mm apart, more than the 5.0 mm the model was trained on.'
    assert '412 mL, less than 750 mL' in reasons['partial-coverage']
    assert 'Only 1.2 % of the image' in reasons['pre-masked'] and 'distance 7.50' in reasons['out-of-distribution']
    # the card's message templates are these sentences
    values = {'sliceSpacingMm': 8.0, 'maxSliceSpacingMm': 5.0}
    assert REASON_TEXT['thick-slices'].format(**values) == reasons['thick-slices']


def test_golden_cases_cover_every_reason_and_both_verdicts():
    golden = abstention_golden(CHECKS, 4.0, 0.42)
    codes = {r['code'] for g in golden for r in g['reasons']}
    assert codes == set(REASON_TEXT)
    assert {g['verdict'] for g in golden} == {'covid', 'non-covid', 'indeterminate'}
    exact = next(g for g in golden if g['what'].startswith('every limit'))
    assert exact['reasons'] == [] and exact['oodScore'] == 4.0
    at_threshold = next(g for g in golden if 'exactly at the threshold' in g['what'])
    assert at_threshold['verdict'] == 'covid' and at_threshold['probability'] == 0.5
    between = next(g for g in golden if 'equivocal' in g['what'])
    assert between['verdict'] == 'indeterminate' and [r['code'] for r in between['reasons']] == ['equivocal']
    for g in golden:  # each case is what the rule gives for its inputs
        score = math.nan if g['oodScore'] is None else g['oodScore']
        reasons = indeterminate_reasons(InputFacts.from_json(g['facts']), score, CHECKS, 4.0, g['probability'], 0.42)
        assert [{'code': c, 'message': m} for c, m in reasons] == g['reasons']
        assert decide(g['probability'], 0.42, reasons) == g['verdict']


def test_the_lungs_width_is_measured_on_the_input_mask_and_checked_only_where_the_card_has_a_limit():
    masks = np.zeros((3, 1, 100, 100), dtype=np.uint8)
    masks[0, 0, 40:60, 30:50] = 1
    masks[2, 0, 40:60, 55:71] = 1  # the other lung, on another slice: the union spans columns 30..70
    assert lung_width_fraction(masks) == 0.41
    assert lung_width_fraction(np.zeros((2, 1, 8, 8))) == 0.0
    narrow = InputFacts(True, 2.5, 3500.0, 0.0, 0.3, 0.41)
    (code, message), = indeterminate_reasons(narrow, 1.0, CHECKS, 4.0, 0.9, 0.5)
    assert code == 'wide-field-of-view' and message.startswith('The lungs span 41.0 % of the image width, less than the 45.0 %')
    no_limit = InputChecks(5.0, 750.0)
    assert indeterminate_reasons(narrow, 1.0, no_limit, 4.0, 0.9, 0.5) == []


def test_the_input_limits_come_from_training_volumes_the_app_would_analyse(tmp_path):
    """A training volume without a lung mask is never analysed (no-lung-found): its facts (no lung,
    no width) must not drag the lung-volume and lung-width limits down to nothing."""
    folder = write_prepared(tmp_path / 'train', [('covid', 6)] * 30 + [('non-covid', 6)] * 30, seed=4)
    manifest = json.loads((folder / 'manifest.json').read_text())
    facts = json.loads((folder / 'facts.json').read_text())
    for entry in manifest['cases'][:5]:  # five volumes where the lungs were not found
        entry['lungStatus'], entry['lungVolumeMl'] = 'no-lung-found', 0.0
        facts['cases'][entry['id']].update(lungVolumeMl=0.0, lungWidthFraction=0.0)
    (folder / 'manifest.json').write_text(json.dumps(manifest))
    (folder / 'facts.json').write_text(json.dumps(facts))
    pool = Pool.load([str(folder)])
    values = analysable_facts(pool)
    assert len(values) == 55
    limits = training_limits(values)
    assert limits['minLungVolumeMl'] == 3000.0 and limits['minLungWidthFraction'] > 0.3
