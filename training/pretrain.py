"""Stage 1: the slice encoder, before the paper's recipe (README "Stage 1").

The paper started from an ImageNet-pretrained ResNeXt with frozen BatchNorm. No pretrained weights
exist offline, and trained from random weights with one volume per step the network did not learn
here (README "Measured"). This stage gives the encoder (fusion stem, CBAM, ResNeXt stages) its
start. Each step is one mixed batch, with ordinary BatchNorm over all of it, and up to three
losses on the pooled slice feature:

* **volume-label probe** (always): ``volumes`` training volumes (half covid, half not),
  ``slices`` random lung-bearing slices from each; every slice inherits its volume's label — a
  covid volume's slices without lesions are "positive" here too, the multiple-instance noise that
  stage 2 resolves — and a linear probe is trained with BCE;
* **labelled real slices** (``slice_sets``: 2-D slices prepared by ``lunglens prepare``, one
  slice per case): BCE of the same probe on each slice's own label, so the direction the probe
  calls covid is shaped by real images as well as by phantoms;
* **self-supervision on real CT** (``ssl_sets``: any prepared real volumes, labels unused): a
  contrastive loss (NT-Xent, SimCLR) between two views of one place in a scan — a slice and
  itself or its neighbour, one of them optionally averaged with its neighbours (a thicker
  slice), each independently zoomed, rotated, blurred (a smoother kernel), stretched and given
  noise (a lower dose). Negatives are the other views of the batch plus a queue of recent ones.
  The encoder learns what real lungs look like, and to see past the differences between scanners.

The probe and the projection head are thrown away afterwards. Slice labels of CT volumes are never
used.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .augment import AugmentSpec, augment_volume
from .data import Case, Pool
from .model import ResNeXtPlus

# Stronger than stage 2's augmentation: the two views must differ the way two scanners do.
SSL_AUGMENT = AugmentSpec(probability=0.8, stretch_low=0.1, stretch_high=0.1, noise_std=0.06, blur_sigma=(0.4, 1.5),
                          scale=(0.85, 1.15), rotation_deg=15.0)


def lung_slices(masks: np.ndarray) -> np.ndarray:
    """Indices of the slices whose mask holds lung (all of them when none does)."""
    has = np.flatnonzero(masks.reshape(masks.shape[0], -1).max(axis=1) > 0)
    return has if has.size else np.arange(masks.shape[0])


def _tensor(array: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.array(array, dtype=np.float32)).to(device)  # a copy: memory-mapped arrays are read-only


def pretrain_batch(data, cases: list[Case], volumes: int, slices: int, rng: np.random.Generator,
                   mean: float, std: float, augment: str, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The volume-label batch: (slices [V·K,1,S,S], masks, targets [V·K]), classes balanced per batch."""
    by_class = {t: [i for i, c in enumerate(cases) if c.target == t] for t in (0.0, 1.0)}
    picked = []
    for k in range(volumes):
        pool = by_class[float(k % 2)] or by_class[float(1 - k % 2)]
        picked.append(cases[pool[int(rng.integers(len(pool)))]])
    xs, ms, ys = [], [], []
    for case in picked:
        s, m = data.arrays(case)
        candidates = lung_slices(np.asarray(m))
        idx = np.sort(rng.choice(candidates, size=min(slices, candidates.size), replace=False))
        x, mk = _tensor(s[idx], device), _tensor(m[idx], device)
        if augment == 'all' or (augment == 'positive' and case.target == 1.0):
            x, mk = augment_volume(x, mk, mean, std, rng)
        xs.append(x)
        ms.append(mk)
        ys += [case.target] * len(idx)
    return torch.cat(xs), torch.cat(ms), torch.tensor(ys, device=device)


def slice_label(case: Case) -> Optional[float]:
    """A 2-D slice's own label: its slicePositive entry when given, else its case label."""
    if case.slice_positive is not None and len(case.slice_positive) == 1:
        return float(case.slice_positive[0])
    return case.target


def slice_batch(data: Pool, count: int, rng: np.random.Generator, mean: float, std: float,
                device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``count`` labelled real slices, each augmented on its own: a domain (e.g. JPEG screenshots,
    PNG crops) uniformly, then the class (alternating), then a slice of it — so neither the format
    nor the mix of formats can stand for the label."""
    table: dict[str, dict[float, list[Case]]] = {}
    for c in data.cases:
        y = slice_label(c)
        if y is not None and c.lung_status in (None, 'ok'):
            table.setdefault(c.domain, {}).setdefault(y, []).append(c)
    domains = sorted(table)
    xs, ms, ys = [], [], []
    for k in range(count):
        by_class = table[domains[int(rng.integers(len(domains)))]]
        pool = by_class.get(float(k % 2)) or by_class[float(1 - k % 2)]
        case = pool[int(rng.integers(len(pool)))]
        s, m = data.arrays(case)
        j = int(rng.choice(lung_slices(np.asarray(m))))
        x, mk = augment_volume(_tensor(s[j:j + 1], device), _tensor(m[j:j + 1], device), mean, std, rng)
        xs.append(x)
        ms.append(mk)
        ys.append(slice_label(case))
    return torch.cat(xs), torch.cat(ms), torch.tensor(ys, device=device, dtype=torch.float32)


def ssl_view(slices: np.ndarray, masks: np.ndarray, k: int, rng: np.random.Generator, thick: bool) -> tuple[np.ndarray, np.ndarray]:
    """Slice ``k`` ([1,1,S,S] each), or with ``thick`` the mean of k−1…k+1 (in window units the
    mean of the normalized values is the same mean): a slab three slices thick."""
    n = slices.shape[0]
    if not thick or n < 3:
        return np.asarray(slices[k:k + 1], dtype=np.float32), np.asarray(masks[k:k + 1], dtype=np.float32)
    lo, hi = max(0, k - 1), min(n, k + 2)
    w = rng.dirichlet(np.ones(hi - lo))  # a random slab profile: partial volume is rarely even
    x = np.tensordot(w, np.asarray(slices[lo:hi], dtype=np.float32), axes=1)[None].astype(np.float32)
    return x, np.asarray(masks[k:k + 1], dtype=np.float32)


def ssl_batch(data: Pool, pairs: int, rng: np.random.Generator, mean: float, std: float,
              device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """``pairs`` positive pairs from real CT: (slices [2P,1,S,S], masks) with view A of pair i at
    row i and view B at row P + i. A domain is drawn uniformly (the LOPO patients' series; the
    rest), then a patient, then a series, then a lung slice."""
    by_domain: dict[str, dict[str, list[Case]]] = {}
    for c in data.cases:
        if c.lung_status in (None, 'ok'):  # a series without a lung mask (a coronal reformat, an abdomen) has no lung slice to pick
            by_domain.setdefault(c.domain, {}).setdefault(c.group, []).append(c)
    domains = sorted(by_domain)
    a, b = [], []
    for _ in range(pairs):
        groups = by_domain[domains[int(rng.integers(len(domains)))]]
        names = sorted(groups)
        members = groups[names[int(rng.integers(len(names)))]]
        case = members[int(rng.integers(len(members)))]
        s, m = data.arrays(case)
        candidates = lung_slices(np.asarray(m))
        k = int(rng.choice(candidates))
        neighbour = int(np.clip(k + rng.integers(-1, 2), 0, s.shape[0] - 1))
        thick = rng.random() < 0.5
        views = [ssl_view(s, m, k, rng, thick and rng.random() < 0.5), ssl_view(s, m, neighbour, rng, thick)]
        out = []
        for x, mk in views:
            out.append(augment_volume(_tensor(x, device), _tensor(mk, device), mean, std, rng, SSL_AUGMENT))
        a.append(out[0])
        b.append(out[1])
    xs = torch.cat([v[0] for v in a] + [v[0] for v in b])
    ms = torch.cat([v[1] for v in a] + [v[1] for v in b])
    return xs, ms


def nt_xent(z: torch.Tensor, queue: Optional[torch.Tensor], temperature: float) -> torch.Tensor:
    """SimCLR's loss for 2P L2-normalised projections (pairs i and P + i), with extra negatives
    from ``queue`` [Q, D] (detached projections of earlier steps)."""
    n = z.shape[0]
    p = n // 2
    sim = z @ z.t() / temperature
    sim = sim.masked_fill(torch.eye(n, dtype=torch.bool, device=z.device), float('-inf'))
    if queue is not None and queue.shape[0]:
        sim = torch.cat([sim, z @ queue.t() / temperature], dim=1)
    target = torch.cat([torch.arange(p, n), torch.arange(0, p)]).to(z.device)
    return F.cross_entropy(sim, target)


@dataclass
class PretrainSources:
    """What stage 1 learns from: volumes with volume labels (phantoms), and optionally labelled
    real 2-D slices and unlabelled real CT volumes."""
    volumes: Pool
    val: Pool
    slices: Optional[Pool] = None
    slices_val: Optional[Pool] = None
    ssl: Optional[Pool] = None


@torch.no_grad()
def probe_validation(model: ResNeXtPlus, probe: nn.Linear, data, slices: int, device: torch.device) -> dict:
    """Per validation volume the mean slice probability of the probe: BCE and accuracy at 0.5."""
    model.eval()
    losses, correct, n = [], 0, 0
    for case in data.labelled():
        s, m = data.arrays(case)
        idx = lung_slices(np.asarray(m))
        idx = idx[np.unique(np.linspace(0, idx.size - 1, min(idx.size, slices)).round().astype(np.int64))]
        p = float(torch.sigmoid(probe(model.slice_features(_tensor(s[idx], device), _tensor(m[idx], device)))[:, 0]).mean())
        q = min(max(p, 1e-7), 1 - 1e-7)
        losses.append(-(case.target * math.log(q) + (1 - case.target) * math.log(1 - q)))
        correct += int((p >= 0.5) == (case.target == 1.0))
        n += 1
    return {'loss': float(np.mean(losses)) if losses else None, 'accuracy': correct / n if n else None}


@torch.no_grad()
def slice_validation(model: ResNeXtPlus, probe: nn.Linear, data: Pool, device: torch.device) -> dict:
    """Accuracy at 0.5 and ROC AUC of the probe on held-out labelled 2-D slices."""
    model.eval()
    scores, labels = [], []
    for case in data.cases:
        y = slice_label(case)
        if y is None:
            continue
        s, m = data.arrays(case)
        j = int(lung_slices(np.asarray(m))[0])
        scores.append(float(torch.sigmoid(probe(model.slice_features(_tensor(s[j:j + 1], device), _tensor(m[j:j + 1], device)))[0, 0])))
        labels.append(y)
    if not scores:
        return {'accuracy': None, 'auc': None, 'count': 0}
    s, y = np.asarray(scores), np.asarray(labels)
    pos, neg = s[y == 1], s[y == 0]
    auc = None if not len(pos) or not len(neg) else float(((pos[:, None] > neg[None]).sum() + 0.5 * (pos[:, None] == neg[None]).sum()) / (len(pos) * len(neg)))
    return {'accuracy': float(np.mean((s >= 0.5) == (y == 1))), 'auc': auc, 'count': len(s)}


def pretrain_encoder(model: ResNeXtPlus, sources: PretrainSources, *, steps: int, volumes: int, slices: int, lr: float, augment: str,
                     rng: np.random.Generator, device: torch.device, slice_count: int = 8, slice_weight: float = 1.0,
                     ssl_pairs: int = 8, ssl_weight: float = 1.0, ssl_temperature: float = 0.2, ssl_queue: int = 256,
                     log: Callable[[str], None] = print, report_every: int = 250) -> list[dict]:
    """Trains the encoder in place (Adam, cosine decay from ``lr`` to lr/10); returns the history."""
    cases = sources.volumes.labelled()
    norm = sources.volumes.preprocessing['normalization']
    mean, std = float(norm['mean']), float(norm['std'])
    use_slices = sources.slices is not None and slice_count > 0 and slice_weight > 0
    use_ssl = sources.ssl is not None and ssl_pairs > 0 and ssl_weight > 0
    probe = nn.Linear(model.feature_size, 1).to(device)
    projection = nn.Sequential(nn.Linear(model.feature_size, 256), nn.ReLU(inplace=True), nn.Linear(256, 64)).to(device)
    encoder = [*model.stem.parameters(), *model.stages.parameters(), *model.feature_norm.parameters()]
    optimizer = torch.optim.Adam([*encoder, *probe.parameters(), *(projection.parameters() if use_ssl else [])], lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, steps), eta_min=lr / 10)
    queue = torch.zeros(0, 64, device=device)
    history: list[dict] = []
    losses: dict[str, list[float]] = {'volume': [], 'slice': [], 'ssl': []}
    started = time.perf_counter()
    for step in range(1, steps + 1):
        model.train()  # batch statistics over the whole mixed batch
        x, m, y = pretrain_batch(sources.volumes, cases, volumes, slices, rng, mean, std, augment, device)
        parts = [(x, m)]
        if use_slices:
            xs, ms, ys = slice_batch(sources.slices, slice_count, rng, mean, std, device)
            parts.append((xs, ms))
        if use_ssl:
            xa, ma = ssl_batch(sources.ssl, ssl_pairs, rng, mean, std, device)
            parts.append((xa, ma))
        features = model.slice_features(torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts]))
        n0 = x.shape[0]
        logits = probe(features)[:, 0]
        volume_loss = F.binary_cross_entropy_with_logits(logits[:n0], y)
        loss = volume_loss
        losses['volume'].append(float(volume_loss.item()))
        at = n0
        if use_slices:
            slice_loss = F.binary_cross_entropy_with_logits(logits[at:at + len(ys)], ys)
            loss = loss + slice_weight * slice_loss
            losses['slice'].append(float(slice_loss.item()))
            at += len(ys)
        if use_ssl:
            z = F.normalize(projection(features[at:at + 2 * ssl_pairs]), dim=1)
            ssl_loss = nt_xent(z, queue, ssl_temperature)
            loss = loss + ssl_weight * ssl_loss
            losses['ssl'].append(float(ssl_loss.item()))
            queue = torch.cat([z.detach(), queue])[:ssl_queue]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        if step % report_every == 0 or step == steps:
            val = probe_validation(model, probe, sources.val, 24, device)
            recent = lambda k: float(np.mean(losses[k][-report_every:])) if losses[k] else None  # noqa: E731
            record = {'step': step, 'trainLoss': recent('volume'), 'valLoss': val['loss'], 'valAccuracy': val['accuracy'],
                      'lr': schedule.get_last_lr()[0], 'seconds': round(time.perf_counter() - started, 1)}
            if use_slices:
                record['sliceLoss'] = recent('slice')
                if sources.slices_val is not None:
                    sv = slice_validation(model, probe, sources.slices_val, device)
                    record.update({'sliceValAccuracy': sv['accuracy'], 'sliceValAuc': sv['auc']})
            if use_ssl:
                record['sslLoss'] = recent('ssl')
            history.append(record)
            fmt = lambda v, f: '—' if v is None else format(v, f)  # noqa: E731
            extra = ''
            if use_slices:
                extra += f'  2-D loss {fmt(record["sliceLoss"], ".4f")}'
                if 'sliceValAuc' in record:
                    extra += f' val acc {fmt(record["sliceValAccuracy"], ".3f")} AUC {fmt(record["sliceValAuc"], ".3f")}'
            if use_ssl:
                extra += f'  contrastive {fmt(record["sslLoss"], ".3f")}'
            log(f'pretrain step {step}/{steps}  slice loss {record["trainLoss"]:.4f}  val loss {fmt(val["loss"], ".4f")}  '
                f'val acc {fmt(val["accuracy"], ".3f")}{extra}  {record["seconds"]:.0f} s')
    return history
