"""Step-time benchmark: seconds per training step (one volume of ``slices`` slices: forward,
backward, Adam) and per inference pass, on random inputs, for a backbone at an input size."""
from __future__ import annotations

import statistics
import time

import torch
from torch.nn import functional as F

from .inference import interleaved_passes
from .model import ResNeXtPlus, covid_logit, freeze_batchnorm, network_spec, parameter_count


def bench(backbone: str, size: int, slices: int = 50, steps: int = 3, device: str = 'cpu', ablation: str = 'none') -> dict:
    torch.manual_seed(0)
    model = ResNeXtPlus(network_spec(backbone, ablation)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-5)
    x = torch.randn(slices, 1, size, size, device=device)
    m = (torch.rand(slices, 1, size, size, device=device) > 0.5).float()
    target = torch.tensor(1.0, device=device)

    def sync() -> None:
        if torch.device(device).type == 'cuda':
            torch.cuda.synchronize()

    model.train()
    freeze_batchnorm(model)
    times = []
    for i in range(steps + 1):  # the first step warms up allocators and kernels
        sync()
        start = time.perf_counter()
        logits, _ = model(x, m)
        loss = F.binary_cross_entropy_with_logits(covid_logit(logits)[0], target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        sync()
        if i:
            times.append(time.perf_counter() - start)
    model.eval()
    inference = []
    with torch.no_grad():
        for i in range(steps + 1):
            sync()
            start = time.perf_counter()
            model(x, m)
            sync()
            if i:
                inference.append(time.perf_counter() - start)
    return {'backbone': backbone, 'ablation': ablation, 'size': size, 'slices': slices, 'parameters': parameter_count(model),
            'device': str(device), 'threads': torch.get_num_threads(), 'trainStepS': statistics.median(times), 'trainStepMinS': min(times),
            'inferenceS': statistics.median(inference)}


def bench_volume(backbone: str, size: int, total: int, slice_count: int = 50, steps: int = 3, device: str = 'cpu', ablation: str = 'none') -> dict:
    """Whole-volume inference as the app runs it (interleaved passes of ``slice_count``), the
    PyTorch peer of ``npm run bench:scan``'s onnxruntime figure: same network, same input shape."""
    torch.manual_seed(0)
    model = ResNeXtPlus(network_spec(backbone, ablation)).to(device).eval()
    x = torch.randn(total, 1, size, size, device=device)
    m = (torch.rand(total, 1, size, size, device=device) > 0.5).float()
    plan = [torch.from_numpy(p) for p in interleaved_passes(total, slice_count)]
    times = []
    with torch.no_grad():
        for i in range(steps + 1):  # the first run warms up
            start = time.perf_counter()
            for idx in plan:
                model(x[idx], m[idx])
            if torch.device(device).type == 'cuda':
                torch.cuda.synchronize()
            if i:
                times.append(time.perf_counter() - start)
    return {'backbone': backbone, 'ablation': ablation, 'size': size, 'slices': total, 'passes': len(plan), 'device': str(device),
            'threads': torch.get_num_threads(), 'volumeInferenceS': statistics.median(times), 'volumeInferenceMinS': min(times)}
