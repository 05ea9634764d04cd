"""The training mix (README "Real data"): folders tagged with a domain and patients, folds that
hold a patient out of training and validation, and sampling that weighs patients, not cases."""
import json
from collections import Counter

import numpy as np
import pytest

from training.__main__ import main
from training.data import DataError, Pool, PreparedSet, mixed_order
from training.synthetic import write_prepared
from training.train import TrainConfig, load_pools


@pytest.fixture(scope='module')
def real_like(tmp_path_factory):
    """A 'real' folder: patient A with 4 inserted covid cases and its untouched scan, patient B
    with 1 inserted case and its scan, patient C with its scan only; and a 'phantom' folder."""
    root = tmp_path_factory.mktemp('mix')
    real = write_prepared(root / 'real', [('covid', 6)] * 4 + [('non-covid', 6), ('covid', 5), ('non-covid', 5), ('non-covid', 7)], seed=11)
    ids = [c.id for c in PreparedSet.load(real).cases]
    patients = ['A'] * 5 + ['B'] * 2 + ['C']
    assert main(['tag', str(real), '--domain', 'real', *sum((['--group', f'{i}={p}'] for i, p in zip(ids, patients)), [])]) == 0
    phantom = write_prepared(root / 'phantom', [('covid', 6), ('non-covid', 6)] * 3, seed=12)
    assert main(['tag', str(phantom), '--domain', 'phantom']) == 0
    return {'real': real, 'phantom': phantom, 'ids': ids}


def test_tags_give_every_case_its_domain_and_patient(real_like):
    data = PreparedSet.load(real_like['real'])
    assert [c.group for c in data.cases] == ['A'] * 5 + ['B'] * 2 + ['C'] and {c.domain for c in data.cases} == {'real'}
    phantom = PreparedSet.load(real_like['phantom'])
    assert all(c.group == c.id and c.domain == 'phantom' for c in phantom.cases)  # no groups: each case its own patient
    assert main(['tag', str(real_like['real']), '--domain', 'real', '--group', 'nope=A']) == 1  # a case the manifest does not have
    assert [c.group for c in PreparedSet.load(real_like['real']).cases] == ['A'] * 5 + ['B'] * 2 + ['C']  # left as it was


def test_tag_reads_patients_from_labels_json(real_like, tmp_path):
    labels = tmp_path / 'labels.json'
    labels.write_text(json.dumps({'cases': [{'id': i, 'background': {'patientKey': f'k{n % 2}'}} for n, i in enumerate(real_like['ids'])]}))
    folder = write_prepared(tmp_path / 'copy', [('covid', 6)] * 4 + [('non-covid', 6), ('covid', 5), ('non-covid', 5), ('non-covid', 7)], seed=11)
    assert main(['tag', str(folder), '--domain', 'real', '--labels', str(labels), '--key', 'background.patientKey']) == 0
    assert [c.group for c in PreparedSet.load(folder).cases] == ['k0', 'k1'] * 4


def test_a_fold_holds_its_patient_out_of_training_and_validation(real_like):
    config = TrainConfig(train=[str(real_like['phantom']), str(real_like['real'])], val=[str(real_like['phantom'])], out='unused',
                         hold_out=['A'], val_groups=['C'])
    train, val = load_pools(config)
    assert {c.group for c in train.cases if c.domain == 'real'} == {'B'}
    assert 'A' not in {c.group for c in val.cases} and {c.group for c in val.cases if c.domain == 'real'} == {'C'}
    identity = train.identity()
    assert identity['excludedGroups'] == ['A', 'C'] and identity['groups'] == {'real': ['B']}
    with pytest.raises(DataError, match='both held out'):
        load_pools(TrainConfig(train=[str(real_like['real'])], val=[str(real_like['phantom'])], out='x', hold_out=['A'], val_groups=['A']))
    with pytest.raises(DataError, match='appear in no training folder'):
        load_pools(TrainConfig(train=[str(real_like['real'])], val=[str(real_like['phantom'])], out='x', hold_out=['Z']))


def test_mixed_sampling_weighs_domains_classes_and_patients(real_like):
    pool = Pool.load([real_like['phantom'], real_like['real']])
    order = mixed_order(pool.cases, {'phantom': 1.0, 'real': 3.0}, 8000, np.random.default_rng(0))
    picked = [pool.cases[i] for i in order]
    domains = Counter(c.domain for c in picked)
    assert domains['real'] / len(picked) == pytest.approx(0.75, abs=0.02)
    real = [c for c in picked if c.domain == 'real']
    classes = Counter(c.label for c in real)
    assert classes['covid'] / len(real) == pytest.approx(0.5, abs=0.02)
    # Among the covid draws, patients A (4 inserted cases) and B (1) come up equally often.
    covid_patients = Counter(c.group for c in real if c.label == 'covid')
    assert covid_patients['A'] / covid_patients['B'] == pytest.approx(1.0, abs=0.1)
    # Among the negatives, A, B and C (one untouched scan each) equally often too.
    negatives = Counter(c.group for c in real if c.label == 'non-covid')
    assert max(negatives.values()) / min(negatives.values()) < 1.15
    again = mixed_order(pool.cases, {'phantom': 1.0, 'real': 3.0}, 8000, np.random.default_rng(0))
    assert np.array_equal(order, again)
    with pytest.raises(DataError, match='no sampling weight'):
        mixed_order(pool.cases, {'phantom': 1.0}, 10, np.random.default_rng(0))


def test_a_mixed_fold_trains_and_records_the_mix(real_like, tmp_path):
    out = tmp_path / 'fold'
    code = main(['train', '--train', str(real_like['phantom']), '--train', str(real_like['real']), '--val', str(real_like['phantom']),
                 '--out', str(out), '--hold-out', 'A', '--val-group', 'C', '--domain-weight', 'real=2', '--steps-per-epoch', '5',
                 '--epochs', '1', '--slices-per-step', '6', '--pretrain-steps', '0', '--bn-warmup-volumes', '4'])
    assert code == 0
    config = json.loads((out / 'config.json').read_text())
    assert config['mix'] == {**config['mix'], 'domainWeights': {'phantom': 1.0, 'real': 2.0}, 'holdOut': ['A'], 'validationGroups': ['C']}
    assert config['data']['train']['groups'] == {'real': ['B']} and config['stepsPerEpoch'] == 5
    history = json.loads((out / 'history.json').read_text())
    assert history[0]['steps'] == 5
    calibration = json.loads((out / 'calibration.json').read_text())
    assert {s['group'] for s in calibration['validationScores'] if s['domain'] == 'real'} == {'C'}
    ood = json.loads((out / 'ood.json').read_text())
    assert set(ood['classMeans']) == {'phantom/covid', 'phantom/non-covid', 'real/covid', 'real/non-covid'}
