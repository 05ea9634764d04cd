"""Evaluation writes results.json (DESIGN.md §3) and labels.json, takes its metrics from
`lunglens evaluate` (a stand-in here: tests/fake_lunglens.py) and builds the ablation report."""
import json
import shutil

import pytest

from training.evaluate import EvaluateError, evaluate_runs, lunglens_command, report_markdown
from training.export import sha256_file
from training.train import TrainConfig, train


@pytest.fixture(scope='module')
def runs(tiny_sets, tmp_path_factory):
    root = tmp_path_factory.mktemp('runs')
    out = {}
    for ablation in ('n-sla', 'none'):
        out[ablation] = root / ablation
        train(TrainConfig(train=str(tiny_sets['train']), val=str(tiny_sets['val']), out=str(out[ablation]), ablation=ablation, epochs=1, pretrain_steps=2, pretrain_volumes=2, pretrain_slices=2,
                          slices_per_step=8), log=lambda _: None)
    return out


def test_results_labels_and_report(runs, tiny_sets, tmp_path, fake_lunglens):
    report = evaluate_runs([runs['n-sla'], runs['none']], tiny_sets['test'], tmp_path / 'report', device='cpu', log=lambda _: None)
    assert [r['configuration'] for r in report['rows']] == ['proposed', 'N-SLA']  # paper's row order
    labels = json.loads((tmp_path / 'report' / 'labels.json').read_text())
    assert [c['label'] for c in labels['cases']] == ['covid', 'non-covid', 'covid']  # the unlabelled case is left out
    results = json.loads((tmp_path / 'report' / 'none' / 'results.json').read_text())
    assert set(results['model']) >= {'name', 'version', 'sha256', 'executionProvider'}
    items = results['items']
    assert [i['id'] for i in items] == [c['id'] for c in json.loads((tiny_sets['test'] / 'manifest.json').read_text())['cases']]
    for item, n in zip(items, (11, 13, 70, 6)):
        assert item['status'] == 'ok' and item['verdict'] in ('covid', 'non-covid')
        assert item['verdict'] == ('covid' if item['probability'] >= item['threshold'] else 'non-covid')
        assert len(item['sliceAttention']) == n and len(item['slicePositive']) == n
        assert abs(sum(item['sliceAttention']) - 1) < 1e-6
        assert item['verdict'] == 'covid' or not any(item['slicePositive'])
    metrics = report['rows'][0]['metrics']
    assert metrics['fake'] and metrics['volume']['count'] == 3 and metrics['slice']['count'] == 11 + 13 + 70
    md = (tmp_path / 'report' / 'report.md').read_text()
    assert '| proposed |' in md and '| N-SLA |' in md and 'vol ACC' in md and 'slice F1' in md
    [recorded] = json.loads((runs['none'] / 'evaluation.json').read_text())['evaluations']
    assert recorded['data']['cases'] == 4 and recorded['metrics'] == metrics
    # A second test split adds its own record (the card lists both); the same split again replaces its record.
    evaluate_runs([runs['none']], tiny_sets['val'], tmp_path / 'second', device='cpu', log=lambda _: None)
    evaluate_runs([runs['none']], tiny_sets['test'], tmp_path / 'again', device='cpu', log=lambda _: None)
    records = json.loads((runs['none'] / 'evaluation.json').read_text())['evaluations']
    assert [r['data']['manifestSha256'] for r in records] == [sha256_file(tiny_sets[s] / 'manifest.json') for s in ('val', 'test')]


def test_failing_cli_is_reported(runs, tiny_sets, tmp_path, monkeypatch):
    monkeypatch.setenv('LUNGLENS_CLI', 'false')
    assert lunglens_command() == ['false']
    with pytest.raises(EvaluateError, match='failed'):
        evaluate_runs([runs['none']], tiny_sets['test'], tmp_path / 'r', device='cpu', log=lambda _: None)


def test_a_volume_without_lung_mask_is_skipped_like_the_scan(runs, tiny_sets, tmp_path, fake_lunglens):
    """`lunglens scan` gives no verdict for a volume where no lung was found; the evaluation does the
    same (a `skipped` item with the reason), and the every-slice baseline is reported beside it."""
    test = tmp_path / 'test'
    shutil.copytree(tiny_sets['test'], test)
    manifest = json.loads((test / 'manifest.json').read_text())
    manifest['cases'][0]['lungStatus'] = 'no-lung-found'
    (test / 'manifest.json').write_text(json.dumps(manifest))
    report = evaluate_runs([runs['none']], test, tmp_path / 'r', device='cpu', log=lambda _: None)
    items = json.loads((tmp_path / 'r' / 'results.json').read_text())['items']
    assert items[0]['status'] == 'skipped' and items[0]['probability'] is None and items[0]['error']['code'] == 'no-lung-found'
    assert all(i['status'] == 'ok' for i in items[1:])
    assert report['rows'][0]['sliceBaseline'] is not None
    assert 'not analysed' in (tmp_path / 'r' / 'report.md').read_text()


def test_report_gives_the_volume_intervals():
    """A reader sees how far a figure on 100 volumes can be trusted: the 95 % intervals beside it."""
    metrics = {'volume': {'auc': 0.969, 'sen': 0.878, 'spe': 0.96, 'ci95': {'auc': [0.9401, 0.9979], 'sen': [0.76, 0.94], 'spe': None}}, 'slice': {}}
    row = {'configuration': 'proposed', 'run': 'final5', 'metrics': metrics, 'backbone': 'compact', 'bestEpoch': 2, 'threshold': 0.15,
           'factor': 0.05, 'sliceBaseline': None}
    test = {'path': '/data/v1-test', 'cases': 100, 'covid': 49, 'nonCovid': 51, 'withSliceLabels': 100, 'manifestSha256': '0' * 64}
    md = report_markdown([row], test)
    assert '| final5 | 94.0–99.8 | 76.0–94.0 | — |' in md
    assert '100 volumes (AUC by DeLong' in md
