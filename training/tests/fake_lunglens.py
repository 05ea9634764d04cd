"""A stand-in for `lunglens evaluate --results R --labels L` (the TypeScript command is the real
implementation of the metrics). It prints the same JSON shape with confusion counts computed
naively and AUC left null, so the Python side's plumbing can be tested on its own."""
import json
import sys


def counts(pairs):
    tp = sum(p and t for p, t in pairs)
    fp = sum(p and not t for p, t in pairs)
    tn = sum((not p) and (not t) for p, t in pairs)
    fn = sum((not p) and t for p, t in pairs)
    n = len(pairs)
    div = lambda a, b: None if b == 0 else a / b  # noqa: E731
    return {'count': n, 'tp': tp, 'fp': fp, 'tn': tn, 'fn': fn, 'acc': div(tp + tn, n), 'pre': div(tp, tp + fp),
            'f1': div(2 * tp, 2 * tp + fp + fn), 'sen': div(tp, tp + fn), 'spe': div(tn, tn + fp), 'auc': None}


def main(argv):
    assert argv[0] == 'evaluate', argv
    results = json.load(open(argv[argv.index('--results') + 1]))
    labels = {c['id']: c for c in json.load(open(argv[argv.index('--labels') + 1]))['cases']}
    volume, slices = [], []
    for item in results['items']:
        truth = labels.get(item['id'])
        if truth is None:
            continue
        volume.append((item['verdict'] == 'covid', truth['label'] == 'covid'))
        if truth['slicePositive'] is not None:
            slices += list(zip(item['slicePositive'], truth['slicePositive']))
    print(json.dumps({'volume': counts(volume), 'slice': counts(slices), 'fake': True}))


main(sys.argv[1:])
