"""`python -m training <command>`: train, calibrate, evaluate, export, bench (see training/README.md)."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def _threads() -> None:
    import torch

    torch.set_num_threads(int(os.environ.get('LUNGLENS_TORCH_THREADS', '2')))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m training', description='LungLens detector: train, evaluate and export (ONNX + model card).')
    sub = parser.add_subparsers(dest='command', required=True)

    t = sub.add_parser('train', help='train a model into a run folder')
    t.add_argument('--train', required=True, help='prepared training folder (lunglens prepare)')
    t.add_argument('--val', required=True, help='prepared validation folder')
    t.add_argument('--out', required=True, help='run folder (config, history, checkpoints, calibration)')
    t.add_argument('--backbone', choices=['compact', 'resnext50'], default='compact')
    t.add_argument('--ablation', choices=['none', 'n-sca', 'n-sla', 'n-msca'], default='none')
    t.add_argument('--epochs', type=int, default=40)
    t.add_argument('--seed', type=int, default=0)
    t.add_argument('--resume', action='store_true', help='continue the run in --out from its last checkpoint')
    t.add_argument('--device', choices=['auto', 'cpu', 'cuda'], default='auto')
    t.add_argument('--time-budget-min', type=float, default=None, help='stop (cleanly, checkpointed) when this many minutes are used')
    t.add_argument('--augment', choices=['all', 'positive', 'none'], default='all', help='which training volumes are augmented')
    t.add_argument('--slices-per-step', type=int, default=50)
    t.add_argument('--lr-min', type=float, default=1e-5)
    t.add_argument('--lr-max', type=float, default=1e-4)
    t.add_argument('--lr-half-cycle-epochs', type=float, default=1.0)
    t.add_argument('--bn-warmup-volumes', type=int, default=32)
    t.add_argument('--batchnorm', choices=['frozen', 'refresh', 'live'], default='frozen', help='BatchNorm running statistics in stage 2 (README)')
    t.add_argument('--pretrain-steps', type=int, default=4000, help='stage 1: slice-encoder pretraining steps (0: none)')
    t.add_argument('--pretrain-volumes', type=int, default=8, help='volumes per pretraining step')
    t.add_argument('--pretrain-slices', type=int, default=4, help='slices drawn from each of them')
    t.add_argument('--pretrain-lr', type=float, default=1e-3)

    c = sub.add_parser('calibrate', help='re-run the threshold / slice-factor calibration of a run on a validation folder')
    c.add_argument('--run', required=True)
    c.add_argument('--val', required=True)
    c.add_argument('--device', choices=['auto', 'cpu', 'cuda'], default='auto')

    e = sub.add_parser('evaluate', help='test-split metrics (through `lunglens evaluate`) and the ablation report')
    e.add_argument('--run', required=True, action='append', help='run folder; repeat for an ablation table')
    e.add_argument('--test', required=True, help='prepared test folder')
    e.add_argument('--out', default=None, help='report folder (default RUN/evaluation)')
    e.add_argument('--device', choices=['auto', 'cpu', 'cuda'], default='auto')

    x = sub.add_parser('export', help='ONNX model + model card')
    x.add_argument('--run', required=True)
    x.add_argument('--out', required=True, help='models/<name>.onnx (the card is written beside it)')
    x.add_argument('--name', default=None)
    x.add_argument('--no-check', action='store_true', help='skip the onnxruntime-node parity check')

    b = sub.add_parser('bench', help='seconds per training step and per inference pass')
    b.add_argument('--backbone', choices=['compact', 'resnext50'], action='append')
    b.add_argument('--size', type=int, action='append')
    b.add_argument('--slices', type=int, default=50)
    b.add_argument('--steps', type=int, default=3)
    b.add_argument('--volume-slices', type=int, default=None, help='time whole-volume inference (interleaved passes) of this many slices instead')
    b.add_argument('--device', choices=['auto', 'cpu', 'cuda'], default='auto')

    args = parser.parse_args(argv)
    _threads()
    from .data import TrainingError

    try:
        if args.command == 'train':
            from .train import TrainConfig, train

            config = TrainConfig(train=args.train, val=args.val, out=args.out, backbone=args.backbone, ablation=args.ablation,
                                 epochs=args.epochs, seed=args.seed, slices_per_step=args.slices_per_step, lr_min=args.lr_min,
                                 lr_max=args.lr_max, lr_half_cycle_epochs=args.lr_half_cycle_epochs, augment=args.augment,
                                 bn_warmup_volumes=args.bn_warmup_volumes, batchnorm=args.batchnorm, device=args.device, time_budget_min=args.time_budget_min,
                                 pretrain_steps=args.pretrain_steps, pretrain_volumes=args.pretrain_volumes, pretrain_slices=args.pretrain_slices,
                                 pretrain_lr=args.pretrain_lr)
            train(config, resume=args.resume, log=lambda s: print(s, flush=True))
        elif args.command == 'calibrate':
            from .data import PreparedSet
            from .train import finish, resolve_device

            finish(Path(args.run), PreparedSet.load(args.val), resolve_device(args.device), log=lambda s: print(s, flush=True))
        elif args.command == 'evaluate':
            from .evaluate import evaluate_runs

            evaluate_runs(args.run, args.test, args.out, args.device, log=lambda s: print(s, flush=True))
        elif args.command == 'export':
            from .export import export_run

            export_run(args.run, args.out, args.name, check=not args.no_check, log=lambda s: print(s, flush=True))
        elif args.command == 'bench':
            from .bench import bench
            from .train import resolve_device

            device = str(resolve_device(args.device))
            for backbone in args.backbone or ['compact']:
                for size in args.size or [128]:
                    if args.volume_slices:
                        from .bench import bench_volume

                        print(json.dumps(bench_volume(backbone, size, args.volume_slices, args.slices, args.steps, device)), flush=True)
                    else:
                        print(json.dumps(bench(backbone, size, args.slices, args.steps, device)), flush=True)
    except (TrainingError, FileNotFoundError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
