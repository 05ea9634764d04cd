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
    t.add_argument('--train', required=True, action='append', help='prepared training folder (lunglens prepare); repeat to mix folders')
    t.add_argument('--val', required=True, action='append', help='prepared validation folder; repeatable')
    t.add_argument('--hold-out', action='append', default=[], metavar='PATIENT', help='leave this patient (group) out of training and validation: the fold\'s test patient')
    t.add_argument('--val-group', action='append', default=[], metavar='PATIENT', help='move this patient\'s cases from the training folders to validation')
    t.add_argument('--domain-weight', action='append', default=[], metavar='DOMAIN=W', help='sampling weight of a domain (groups.json); default 1 each')
    t.add_argument('--steps-per-epoch', type=int, default=None, help='steps per epoch (default: the class-balanced count of the training cases)')
    t.add_argument('--init', default=None, help='start from this run\'s best.pt (or a .pt file); skips stage 1 unless --pretrain-steps is given')
    t.add_argument('--out', required=True, help='run folder (config, history, checkpoints, calibration)')
    t.add_argument('--backbone', choices=['compact', 'resnext50'], default='compact')
    t.add_argument('--ablation', choices=['none', 'n-sca', 'n-sla', 'n-msca'], default='none')
    t.add_argument('--epochs', type=int, default=40)
    t.add_argument('--seed', type=int, default=0)
    t.add_argument('--resume', action='store_true', help='continue the run in --out from its last checkpoint')
    t.add_argument('--device', choices=['auto', 'cpu', 'cuda'], default='auto')
    t.add_argument('--time-budget-min', type=float, default=None, help='stop (cleanly, checkpointed) when this many minutes are used')
    t.add_argument('--augment', choices=['all', 'positive', 'none'], default='all', help='which training volumes are augmented')
    t.add_argument('--augment-lung-density', type=float, default=0.0, metavar='HU',
                   help='stage 2/3: shift the parenchyma of every augmented volume by up to this many HU (default 0: off)')
    t.add_argument('--slices-per-step', type=int, default=50)
    t.add_argument('--lr-min', type=float, default=1e-5)
    t.add_argument('--lr-max', type=float, default=1e-4)
    t.add_argument('--lr-half-cycle-epochs', type=float, default=1.0)
    t.add_argument('--bn-warmup-volumes', type=int, default=32)
    t.add_argument('--batchnorm', choices=['frozen', 'refresh', 'live'], default='frozen', help='BatchNorm running statistics in stage 2 (README)')
    t.add_argument('--pretrain-steps', type=int, default=None, help='stage 1: slice-encoder pretraining steps (default 4000, 0 with --init; 0: none)')
    t.add_argument('--pretrain-slices-2d', action='append', default=[], metavar='DIR', help='stage 1: prepared labelled real 2-D slices (one slice per case)')
    t.add_argument('--pretrain-slices-2d-val', action='append', default=[], metavar='DIR', help='stage 1: held-out labelled 2-D slices (reported, never trained on)')
    t.add_argument('--pretrain-slices-2d-count', type=int, default=8, help='labelled 2-D slices per stage-1 step')
    t.add_argument('--pretrain-slices-2d-weight', type=float, default=1.0)
    t.add_argument('--pretrain-ssl', action='append', default=[], metavar='DIR', help='stage 1: prepared real CT for the contrastive loss (labels unused)')
    t.add_argument('--pretrain-ssl-pairs', type=int, default=8, help='contrastive pairs per stage-1 step')
    t.add_argument('--pretrain-ssl-weight', type=float, default=1.0)
    t.add_argument('--pretrain-ssl-temperature', type=float, default=0.2)
    t.add_argument('--pretrain-volumes', type=int, default=8, help='volumes per pretraining step')
    t.add_argument('--pretrain-slices', type=int, default=4, help='slices drawn from each of them')
    t.add_argument('--pretrain-lr', type=float, default=1e-3)

    g = sub.add_parser('tag', help='record a prepared folder\'s domain and the patient (group) of each case: DIR/groups.json')
    g.add_argument('folder')
    g.add_argument('--domain', required=True, help='e.g. phantom, real, slices-2d')
    g.add_argument('--group', action='append', default=[], metavar='CASE=PATIENT', help='the patient of one case')
    g.add_argument('--labels', default=None, help='labels.json whose cases carry the patient under --key')
    g.add_argument('--key', default='patient', help='dotted path of the patient in each labels.json case (default: patient)')
    g.add_argument('--manifest', default=None, help='the real-data manifest: each case\'s patient_group by its SeriesInstanceUID')

    mf = sub.add_parser('manifest', help='labels.json and the paths of the real-data manifest\'s series with one use, for lunglens prepare')
    mf.add_argument('--manifest', required=True)
    mf.add_argument('--use', required=True, help='lesion-background, lopo-eval, ssl, …')
    mf.add_argument('--id', action='append', default=None, help='only these series ids')
    mf.add_argument('--labels-out', required=True)
    mf.add_argument('--paths-out', required=True)

    f = sub.add_parser('facts', help='the input checks\' facts of every case (lunglens inspect + the tensors): DIR/facts.json')
    f.add_argument('folder', nargs='+')

    c = sub.add_parser('calibrate', help='re-run the threshold / slice-factor calibration of a run on a validation folder')
    c.add_argument('--run', required=True)
    c.add_argument('--val', action='append', default=None, help='validation folder(s); default: the run\'s own validation split')
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
    x.add_argument('--uncalibrated', choices=['indeterminate', 'warn'], default='indeterminate',
                   help='what uncalibrated grey levels (8-bit stacks) do to the verdict (the card\'s inputChecks.uncalibrated)')
    x.add_argument('--real', default=None, help='the real-data evaluation (`python -m training real`) to put in the card')

    r = sub.add_parser('real', help='every real case scanned by a model that never saw its patient (leave-one-patient-out)')
    r.add_argument('--final', required=True, help='the shipped run')
    r.add_argument('--fold', action='append', default=[], help='a fold run (holds one or more patients out); repeat')
    r.add_argument('--data', action='append', required=True, help='prepared folder(s) of real cases (with groups.json and facts.json)')
    r.add_argument('--out', required=True)
    r.add_argument('--uncalibrated', choices=['indeterminate', 'warn'], default='indeterminate')
    r.add_argument('--manifest', default=None, help='the real-data manifest, recorded in the report (path, sha256, the entries used)')
    r.add_argument('--device', choices=['auto', 'cpu', 'cuda'], default='auto')

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

            weights = {}
            for item in args.domain_weight:
                name, _, value = item.partition('=')
                try:
                    weights[name] = float(value)
                except ValueError:
                    raise TrainingError(f'--domain-weight {item!r}: expected DOMAIN=WEIGHT') from None
            config = TrainConfig(train=args.train, val=args.val, out=args.out, hold_out=args.hold_out, val_groups=args.val_group,
                                 domain_weights=weights, steps_per_epoch=args.steps_per_epoch, init=args.init,
                                 pretrain_slice_sets=args.pretrain_slices_2d, pretrain_slice_val=args.pretrain_slices_2d_val,
                                 pretrain_slice_count=args.pretrain_slices_2d_count, pretrain_slice_weight=args.pretrain_slices_2d_weight,
                                 pretrain_ssl_sets=args.pretrain_ssl, pretrain_ssl_pairs=args.pretrain_ssl_pairs,
                                 pretrain_ssl_weight=args.pretrain_ssl_weight, pretrain_ssl_temperature=args.pretrain_ssl_temperature, backbone=args.backbone, ablation=args.ablation,
                                 epochs=args.epochs, seed=args.seed, slices_per_step=args.slices_per_step, lr_min=args.lr_min,
                                 lr_max=args.lr_max, lr_half_cycle_epochs=args.lr_half_cycle_epochs, augment=args.augment,
                                 bn_warmup_volumes=args.bn_warmup_volumes, batchnorm=args.batchnorm, device=args.device, time_budget_min=args.time_budget_min,
                                 pretrain_steps=args.pretrain_steps, pretrain_volumes=args.pretrain_volumes, pretrain_slices=args.pretrain_slices,
                                 pretrain_lr=args.pretrain_lr, lung_density_hu=args.augment_lung_density)
            train(config, resume=args.resume, log=lambda s: print(s, flush=True))
        elif args.command == 'tag':
            from .data import tag_folder

            path = tag_folder(args.folder, args.domain, args.group, args.labels, args.key, args.manifest)
            print(f'wrote {path}')
        elif args.command == 'manifest':
            from .manifest import write_selection

            n = write_selection(args.manifest, args.use, args.labels_out, args.paths_out, args.id)
            print(f'{n} series → {args.labels_out}, {args.paths_out}')
        elif args.command == 'facts':
            from .facts import write_facts

            for folder in args.folder:
                write_facts(folder, log=lambda s: print(s, flush=True))
        elif args.command == 'calibrate':
            from .data import Pool
            from .train import TrainConfig, finish, load_pools, load_run_model, resolve_device

            _, checkpoint = load_run_model(args.run)
            val = Pool.load(args.val) if args.val else load_pools(TrainConfig(**checkpoint['config']))[1]
            finish(Path(args.run), val, resolve_device(args.device), log=lambda s: print(s, flush=True))
        elif args.command == 'evaluate':
            from .evaluate import evaluate_runs

            evaluate_runs(args.run, args.test, args.out, args.device, log=lambda s: print(s, flush=True))
        elif args.command == 'export':
            from .export import export_run

            export_run(args.run, args.out, args.name, check=not args.no_check, log=lambda s: print(s, flush=True),
                       uncalibrated=args.uncalibrated, real=args.real)
        elif args.command == 'real':
            from .real import real_report

            real_report(args.final, args.fold, args.data, args.out, args.device, args.uncalibrated, log=lambda s: print(s, flush=True),
                        manifest=args.manifest)
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
