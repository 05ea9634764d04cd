"""Training: a tiny run learns its data, a seed reproduces a run, --resume continues it exactly,
and the run folder holds what the card needs."""
import json

import torch

from training.__main__ import main
from training.train import CHECKPOINT_BEST, CHECKPOINT_LAST, TrainConfig, train


def quiet(_: str) -> None:
    pass


def config(sets, out, **kw) -> TrainConfig:
    # Stage 2 alone from random weights (pretraining has its own test): fast and exact.
    base = dict(train=str(sets['train']), val=str(sets['train']), out=str(out), epochs=2, seed=5, slices_per_step=8, pretrain_steps=0,
                batchnorm='refresh')
    base.update(kw)
    return TrainConfig(**base)


def weights(run) -> dict:
    return torch.load(run / CHECKPOINT_LAST)['model']


def test_tiny_run_overfits(tiny_sets, tmp_path):
    """Four volumes at S = 32, no augmentation: the training loss falls to near zero."""
    summary = train(config(tiny_sets, tmp_path / 'run', epochs=20, lr_min=1e-4, lr_max=1e-3, augment='none', slices_per_step=50, seed=0), log=quiet)
    history = json.loads((tmp_path / 'run' / 'history.json').read_text())
    assert history[0]['trainLoss'] > 0.5
    assert history[-1]['trainLoss'] < 0.02 and history[-1]['valLoss'] < 0.02 and history[-1]['valAccuracy'] == 1.0
    assert summary['best']['epoch'] == history[-1]['epoch'] or summary['best']['valLoss'] < 0.02


def test_a_seed_reproduces_a_run(tiny_sets, tmp_path):
    a = train(config(tiny_sets, tmp_path / 'a'), log=quiet)
    b = train(config(tiny_sets, tmp_path / 'b'), log=quiet)
    wa, wb = weights(tmp_path / 'a'), weights(tmp_path / 'b')
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    ha = json.loads((tmp_path / 'a' / 'history.json').read_text())
    hb = json.loads((tmp_path / 'b' / 'history.json').read_text())
    assert [h['trainLoss'] for h in ha] == [h['trainLoss'] for h in hb]
    assert a['calibration'] == b['calibration']
    c = train(config(tiny_sets, tmp_path / 'c', seed=6, epochs=1), log=quiet)
    assert not torch.equal(weights(tmp_path / 'c')['lstm.weight_ih_l0'], wa['lstm.weight_ih_l0'])


def test_resume_continues_exactly(tiny_sets, tmp_path):
    train(config(tiny_sets, tmp_path / 'straight', epochs=2), log=quiet)
    train(config(tiny_sets, tmp_path / 'split', epochs=1), log=quiet)
    lines = []
    train(config(tiny_sets, tmp_path / 'split', epochs=2), resume=True, log=lines.append)
    assert lines[0].startswith('resuming')
    ws, wr = weights(tmp_path / 'straight'), weights(tmp_path / 'split')
    assert all(torch.equal(ws[k], wr[k]) for k in ws)
    assert len(json.loads((tmp_path / 'split' / 'history.json').read_text())) == 2


def test_run_folder_and_progress_lines(tiny_sets, tmp_path, capsys):
    out = tmp_path / 'cli'
    code = main(['train', '--train', str(tiny_sets['train']), '--val', str(tiny_sets['val']), '--out', str(out), '--epochs', '2',
                 '--slices-per-step', '8', '--seed', '1', '--pretrain-steps', '6', '--pretrain-volumes', '4', '--pretrain-slices', '3'])
    assert code == 0
    printed = capsys.readouterr().out.splitlines()
    pretraining = [line for line in printed if line.startswith('pretrain step ')]
    assert pretraining and pretraining[-1].startswith('pretrain step 6/6') and 'slice loss' in pretraining[-1] and 'val acc' in pretraining[-1]
    epochs = [line for line in printed if line.startswith('epoch ')]
    assert len(epochs) == 2 and 'train loss' in epochs[0] and 'val loss' in epochs[0] and 'val acc' in epochs[0]
    for name in ('config.json', 'history.json', 'calibration.json', 'summary.json', 'val-predictions.json', CHECKPOINT_BEST, CHECKPOINT_LAST):
        assert (out / name).is_file(), name
    cfg = json.loads((out / 'config.json').read_text())
    assert cfg['pretraining']['steps'] == 6 and cfg['pretraining']['history'][-1]['step'] == 6
    assert cfg['batchNorm']['mode'] == 'frozen' and cfg['batchNorm']['warmupVolumes'] == 4  # the recipe's defaults
    assert cfg['preprocessing']['size'] == 32 and cfg['data']['train']['cases'] == 4 and cfg['network']['backbone'] == 'compact'
    calibration = json.loads((out / 'calibration.json').read_text())
    assert 0 <= calibration['threshold'] <= 1 and calibration['factor'] > 0 and calibration['sliceCount'] == 8


def test_cli_reports_bad_input(tmp_path, capsys):
    assert main(['train', '--train', str(tmp_path), '--val', str(tmp_path), '--out', str(tmp_path / 'r')]) == 1
    assert 'no manifest.json' in capsys.readouterr().err


def test_time_budget_stops_cleanly(tiny_sets, tmp_path):
    summary = train(config(tiny_sets, tmp_path / 'budget', epochs=5, time_budget_min=1e-6), log=quiet)
    history = json.loads((tmp_path / 'budget' / 'history.json').read_text())
    assert len(history) == 1 and history[0]['partial'] and history[0]['steps'] == 1
    assert summary['epochsRun'] == 1 and 'time budget' in summary['stopped']
    assert (tmp_path / 'budget' / 'calibration.json').is_file()  # still a usable run


def running_stats(run, which=CHECKPOINT_LAST) -> torch.Tensor:
    return torch.load(run / which)['model']['stem.bn.running_mean']


def test_batchnorm_modes(tiny_sets, tmp_path):
    """frozen: the warm-up estimate never changes; refresh: re-estimated before each epoch from
    the current weights; live: updated by every step."""
    stats = {}
    for mode in ('frozen', 'refresh', 'live'):
        runs = []
        for epochs in (1, 2):
            out = tmp_path / f'{mode}{epochs}'
            train(config(tiny_sets, out, epochs=epochs, batchnorm=mode), log=quiet)
            runs.append(running_stats(out))
        stats[mode] = runs
        assert json.loads((tmp_path / f'{mode}1' / 'config.json').read_text())['batchNorm']['mode'] == mode
    assert torch.equal(stats['frozen'][0], stats['frozen'][1])
    assert not torch.equal(stats['refresh'][0], stats['refresh'][1])
    assert torch.equal(stats['refresh'][0], stats['frozen'][0])  # same seed, same warm-up, no step touches them
    assert not torch.equal(stats['live'][0], stats['live'][1])
