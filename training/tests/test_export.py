"""ONNX export: checker-clean, dynamic N, and the same numbers in onnxruntime-node (the app's
runtime) as in PyTorch at N = 1, 7, 50, 123 — LSTM and softmax over a dynamic N included."""
import json

import onnx
import pytest
import torch

from training.export import OPSET, PARITY_SLICE_COUNTS, check_parity, export_onnx, export_run, sha256_file
from training.model import ABLATIONS, ResNeXtPlus, network_spec
from training.train import TrainConfig, train

from .conftest import node_with_onnxruntime
from .test_model import perturbed

missing = node_with_onnxruntime()
needs_node = pytest.mark.skipif(missing is not None, reason=f'ONNX parity runs in onnxruntime-node: {missing}')


def test_graph_contract(tmp_path):
    path = tmp_path / 'm.onnx'
    export_onnx(perturbed(ResNeXtPlus(network_spec('compact'))), 32, path)
    graph = onnx.load(str(path))
    assert graph.opset_import[0].version == OPSET >= 17
    dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]  # noqa: E731
    assert {i.name: dims(i) for i in graph.graph.input} == {'slices': ['N', 1, 32, 32], 'masks': ['N', 1, 32, 32]}
    # logits and attention (DESIGN.md §4) plus the OOD score's features: 2H = 128 LSTM + 2F = 512 slice features
    assert {o.name: dims(o) for o in graph.graph.output} == {'logits': [1, 2], 'attention': ['N'], 'features': [1, 640]}
    assert any(n.op_type == 'LSTM' for n in graph.graph.node)


@needs_node
@pytest.mark.parametrize('ablation', ABLATIONS)
def test_onnxruntime_node_matches_pytorch(tmp_path, ablation):
    model = perturbed(ResNeXtPlus(network_spec('compact', ablation)), seed=2)
    path = tmp_path / f'{ablation}.onnx'
    export_onnx(model, 32, path)
    counts = PARITY_SLICE_COUNTS if ablation == 'none' else (1, 50)
    report = check_parity(model, path, 32, counts)
    assert [c['slices'] for c in report['cases']] == list(counts)
    assert report['passed'] and report['maxAbs'] <= 1e-4, report
    for c in report['cases']:
        assert abs(c['attentionSum'] - 1.0) < 1e-5
    # the perturbed network is not trivially constant: attention varies across slices
    with torch.no_grad():
        _, attention = model(torch.randn(7, 1, 32, 32), torch.ones(7, 1, 32, 32))
    assert ablation == 'n-sla' or float(attention.std()) > 1e-4


@needs_node
def test_export_run_writes_a_complete_card(tiny_sets, tmp_path):
    run = tmp_path / 'run'
    train(TrainConfig(train=str(tiny_sets['train']), val=str(tiny_sets['val']), out=str(run), epochs=1, slices_per_step=8, pretrain_steps=2, pretrain_volumes=2, pretrain_slices=2), log=lambda _: None)
    # Two test splits measured on the best checkpoint, and one record left from an older checkpoint.
    record = lambda path, checkpoint: {'data': {'path': path}, 'metrics': {'volume': {'auc': 0.9}, 'slice': {'f1': 0.8}, 'errors': 0}, 'checkpointSha256': checkpoint}
    best = sha256_file(run / 'best.pt')
    (run / 'evaluation.json').write_text(json.dumps({'evaluations': [record('/t1', best), record('/old', 'f' * 64), record('/t2', best)]}))
    out = tmp_path / 'models' / 'tiny.onnx'
    card = export_run(run, out, log=lambda _: None)
    assert [(m['split'], m['data'].get('path')) for m in card['metrics'][:-1]] == [('test', '/t1'), ('test', '/t2')]
    on_disk = json.loads((tmp_path / 'models' / 'tiny.card.json').read_text())
    assert on_disk == json.loads(json.dumps(card))
    assert card['sha256'] == sha256_file(out) and card['opset'] == OPSET
    assert card['preprocessing'] == json.loads((tiny_sets['train'] / 'manifest.json').read_text())['preprocessing']
    assert card['sliceStrategy'] == {**card['sliceStrategy'], 'kind': 'interleaved', 'sliceCount': 8}
    assert card['slicePositiveRule']['kind'] == 'attention-over-uniform' and card['slicePositiveRule']['factor'] > 0
    assert 0 <= card['threshold'] <= 1 and card['labels'] == ['non-covid', 'covid']
    assert card['verification']['passed'] and [c['slices'] for c in card['verification']['cases']] == list(PARITY_SLICE_COUNTS)
    assert card['training']['data']['train']['cases'] == 4 and card['training']['recipe']['optimizer'] == 'Adam'
    assert card['training']['recipe']['pretraining']['steps'] == 2  # stage 1 is part of the recipe
    assert 'not a clinical device' in card['intendedUse'].lower()
    assert card['metrics'][-1]['split'] == 'validation'
    # abstention: the temperature, the OOD model over the `features` output, the input checks, golden verdicts
    assert card['outputs']['features']['shape'] == [1, 640] and card['ood']['dimension'] == 640
    assert card['probabilityCalibration']['kind'] == 'temperature' and card['probabilityCalibration']['temperature'] > 0
    assert card['ood']['threshold'] > 0 and len(card['ood']['eigenvalues']) == len(card['ood']['eigenvectors'])
    assert card['inputChecks']['maxSliceSpacingMm'] == 2.5 and card['inputChecks']['uncalibrated'] == 'indeterminate'
    assert {r['code'] for g in card['abstention']['golden'] for r in g['reasons']} >= {'thick-slices', 'out-of-distribution', 'pre-masked'}
    assert all(len(c['features']) == 640 and c['oodScore'] > 0 and 0 <= c['bodyFractionOutsideLung'] <= 1 for c in card['golden']['cases'])
    assert all(c['maxAbsFeatures'] <= 1e-4 for c in card['verification']['cases'])
    svg = tmp_path / 'models' / 'tiny.reliability.svg'  # the reliability diagram beside the card
    assert card['probabilityCalibration']['diagram'] == svg.name and 'validation (T fitted here): ECE' in svg.read_text()
