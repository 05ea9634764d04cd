"""The real-scan report: every case scanned by a model that never saw its patient."""
import json

import pytest

from training.__main__ import main
from training.data import PreparedSet
from training.real import RealError, real_report, report_markdown
from training.synthetic import write_prepared


def quiet(_: str) -> None:
    pass


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp('real')
    real = write_prepared(root / 'real', [('covid', 6), ('non-covid', 6), ('covid', 5), ('non-covid', 5), ('covid', 7), ('non-covid', 7)], seed=31)
    ids = [c.id for c in PreparedSet.load(real).cases]
    main(['tag', str(real), '--domain', 'real', *sum((['--group', f'{i}={p}'] for i, p in zip(ids, 'AABBCC')), [])])
    phantom = write_prepared(root / 'phantom', [('covid', 6), ('non-covid', 6)] * 2, seed=32)
    common = ['train', '--train', str(phantom), '--train', str(real), '--val', str(phantom), '--epochs', '1', '--steps-per-epoch', '3',
              '--slices-per-step', '6', '--pretrain-steps', '0', '--bn-warmup-volumes', '2']
    assert main([*common, '--out', str(root / 'final'), '--hold-out', 'A', '--val-group', 'C']) == 0  # never saw A
    assert main([*common, '--out', str(root / 'fold-b'), '--hold-out', 'B']) == 0
    assert main([*common, '--out', str(root / 'fold-bc'), '--hold-out', 'B', '--hold-out', 'C']) == 0
    return {'root': root, 'real': real}


def test_each_patient_is_scanned_by_a_model_that_never_saw_it(runs, fake_lunglens):
    root = runs['root']
    report = real_report(root / 'final', [root / 'fold-bc'], [runs['real']], root / 'report', log=quiet)
    how = {r['patient']: r['model'] for r in report['cases']}
    assert how == {'A': 'final', 'B': 'fold-bc', 'C': 'fold-bc'}
    row = report['cases'][0]
    assert 0 <= row['probability'] <= 1 and row['oodScore'] > 0 and row['verdict'] in ('covid', 'non-covid', 'indeterminate')
    assert report['summary']['nonCovidAnalysed'] == 3 and 'all' in report['metrics']
    table = (root / 'report' / 'report.md').read_text()
    assert all(f'| {r["id"]} | {r["patient"]} |' in table for r in report['cases'])  # one row per case
    assert json.loads((root / 'report' / 'report.json').read_text())['models']['fold-bc']['heldOut'] == ['B', 'C']
    # labels.json names each case's patient, so `lunglens evaluate` counts them as clusters
    labels = {c['id']: c['patient'] for c in json.loads((root / 'report' / 'labels.json').read_text())['cases']}
    assert labels == {r['id']: r['patient'] for r in report['cases']}


def test_a_patient_the_final_model_validated_on_needs_a_fold(runs, fake_lunglens):
    root = runs['root']
    with pytest.raises(RealError, match="patient 'C'"):
        real_report(root / 'final', [root / 'fold-b'], [runs['real']], root / 'report2', log=quiet)


def test_cases_of_two_folders_with_the_same_ids_are_named_by_their_folder(runs, fake_lunglens):
    root = runs['root']
    other = write_prepared(root / 'real-other', [('covid', 6), ('non-covid', 6)], seed=33)  # its cases are case-0001… too
    ids = [c.id for c in PreparedSet.load(other).cases]
    main(['tag', str(other), '--domain', 'real', *sum((['--group', f'{i}=D'] for i in ids), [])])
    report = real_report(root / 'final', [root / 'fold-bc'], [runs['real'], other], root / 'report3', log=quiet)
    named = [r['id'] for r in report['cases']]
    assert len(set(named)) == len(named) == 8
    assert {n.split('/')[0] for n in named} == {'real', 'real-other'}
    labels = json.loads((root / 'report3' / 'labels.json').read_text())['cases']
    assert sorted(c['id'] for c in labels) == sorted(named)


def pooled_line(ci95: dict) -> str:
    cases = [{'id': f'real/case-{i}', 'patient': 'AB'[i % 2], 'label': ('covid', 'non-covid')[i // 2], 'model': 'final', 'probability': 0.5,
              'threshold': 0.5, 'oodScore': None, 'verdict': 'covid', 'reasons': None, 'status': 'ok'} for i in range(4)]
    volume = {'count': 4, 'acc': 0.75, 'sen': 1.0, 'spe': 0.5, 'auc': 0.75, 'ci95': {'auc': [0.4, 1.0], 'sen': [0.3, 1.0], 'spe': [0.1, 0.9], **ci95}}
    text = report_markdown({'cases': cases, 'metrics': {'all': {'volume': volume, 'slice': {}}}, 'summary': {}})
    return next(line for line in text.splitlines() if line.startswith('Pooled'))


def test_the_pooled_line_says_how_the_intervals_were_computed():
    clustered = "95 %: volumes of one patient counted as one cluster (2 patients) — AUC by Obuchowski's clustered DeLong, ..."
    line = pooled_line({'method': clustered, 'patients': 2})
    assert 'AUC 75.0 (40.0–100.0) (4 volumes of 2 patients; ' + clustered + ')' in line and 'do not hold' not in line
    independent = pooled_line({'method': '95 %: AUC by DeLong (items independent), SEN and SPE by Wilson score'})
    assert 'by DeLong (items independent), SEN and SPE by Wilson score: volumes of one patient are not independent, so these do not hold here' in independent
