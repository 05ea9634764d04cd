"""Training-time augmentation of one volume's sampled slices (paper §IV: contrast stretch, Gaussian
noise, blur, zoom/scale, rotation, elastic deformation; and, where a recipe asks for it, the lung
density of real scans that are not COVID-19: breath hold, dose and kernel move the parenchyma of a
healthy lung from about −870 to −600 HU, a shift a detector must not read as ground glass).

One transform is drawn per volume and applied to every slice of it, so the slices stay a
coherent stack; the geometric part (zoom, rotation, elastic field) moves slices and masks with
the same sampling grid (bilinear for slices, nearest for masks, which stay in {0, 1}). Intensity
changes act on the windowed value w ∈ [0, 1] (w = x·std + mean, recovered from the manifest's
normalization) and are clipped to [0, 1] like the windowing itself; padding is air (w = 0).

All randomness comes from the ``numpy.random.Generator`` passed in (a torch generator for the
noise field is seeded from it), so a run's seed reproduces every augmentation.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F


@dataclass(frozen=True)
class AugmentSpec:
    probability: float = 0.5  # each of the six transforms is applied with this probability
    stretch_low: float = 0.05  # contrast stretch: w' = (w − lo) / (hi − lo), lo ∈ ±stretch_low,
    stretch_high: float = 0.05  # hi ∈ 1 ± stretch_high
    noise_std: float = 0.03  # Gaussian noise, σ ∈ U(0, noise_std) in window units
    blur_sigma: tuple[float, float] = (0.4, 1.0)  # Gaussian blur σ in pixels
    scale: tuple[float, float] = (0.9, 1.1)  # zoom factor
    rotation_deg: float = 10.0  # rotation ∈ ±rotation_deg
    elastic_px: float = 2.0  # elastic displacement amplitude (pixels, σ of the coarse field)
    elastic_grid: int = 5  # control points per side of the coarse displacement field
    # Lung density: δ ∈ U(−δmax/4, δmax) HU plus a gravity gradient ∈ U(0, δmax/2) HU from the
    # anterior to the posterior image edge, added inside the lung mask to parenchyma (full below
    # −500 HU, fading to nothing at −300 HU, so vessels, lesions' cores and soft tissue keep their
    # values). 0: off, and no random draw is made for it (older recipes augment exactly as before).
    lung_density_hu: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)


def augment_volume(slices: Tensor, masks: Tensor, mean: float, std: float, rng: np.random.Generator, spec: AugmentSpec = AugmentSpec(),
                   hu_window: tuple[float, float] | None = None) -> tuple[Tensor, Tensor]:
    """slices float [n,1,S,S] (normalized), masks float [n,1,S,S] in {0,1} → augmented copies.
    ``hu_window`` (lowHu, highHu of the preprocessing) is needed by the lung-density transform."""
    n, _, h, w = slices.shape
    draw = lambda: rng.random() < spec.probability  # noqa: E731 — one coin per transform, always in this order
    do_scale, do_rotate, do_elastic, do_stretch, do_blur, do_noise = (draw() for _ in range(6))
    scale = rng.uniform(*spec.scale)
    angle = math.radians(rng.uniform(-spec.rotation_deg, spec.rotation_deg))
    coarse = rng.normal(0.0, spec.elastic_px, size=(1, 2, spec.elastic_grid, spec.elastic_grid))
    lo = rng.uniform(-spec.stretch_low, spec.stretch_low)
    hi = 1.0 + rng.uniform(-spec.stretch_high, spec.stretch_high)
    sigma = rng.uniform(*spec.blur_sigma)
    noise_std = rng.uniform(0.0, spec.noise_std)
    noise_seed = int(rng.integers(0, 2**62))
    density = None
    if spec.lung_density_hu > 0:
        if hu_window is None:
            raise ValueError('the lung-density augmentation needs the HU window')
        if draw():
            density = (rng.uniform(-spec.lung_density_hu / 4, spec.lung_density_hu), rng.uniform(0.0, spec.lung_density_hu / 2))

    window = slices * std + mean  # back to [0, 1]; air = 0 so zero padding is air
    if do_scale or do_rotate or do_elastic:
        grid = _sampling_grid(h, w, scale if do_scale else 1.0, angle if do_rotate else 0.0, coarse if do_elastic else None, slices.device)
        grid = grid.expand(n, h, w, 2)
        window = F.grid_sample(window, grid, mode='bilinear', padding_mode='zeros', align_corners=False)
        masks = F.grid_sample(masks, grid, mode='nearest', padding_mode='zeros', align_corners=False)
    if density is not None:
        window = _shift_lung_density(window, masks, *density, hu_window)
    if do_stretch:
        window = (window - lo) / (hi - lo)
    if do_blur:
        window = _gaussian_blur(window, sigma)
    if do_noise:
        generator = torch.Generator(device='cpu').manual_seed(noise_seed)
        window = window + (torch.randn(window.shape, generator=generator) * noise_std).to(window.device)
    window = window.clamp(0.0, 1.0)
    return (window - mean) / std, masks


def _sampling_grid(h: int, w: int, scale: float, angle: float, coarse: np.ndarray | None, device: torch.device) -> Tensor:
    """Output → input coordinates (normalized, align_corners=False): zoom by ``scale`` about the
    centre, rotate by ``angle``, then displace by a smooth field upsampled from ``coarse`` (px)."""
    c, s = math.cos(angle) / scale, math.sin(angle) / scale
    # The affine acts on pixel-isotropic coordinates; normalized x and y differ by w/h.
    theta = torch.tensor([[[c, -s * h / w, 0.0], [s * w / h, c, 0.0]]], dtype=torch.float32)
    grid = F.affine_grid(theta, [1, 1, h, w], align_corners=False).to(device)
    if coarse is not None:
        field = torch.from_numpy(coarse).float()
        field = F.interpolate(field, size=(h, w), mode='bicubic', align_corners=True)  # [1,2,h,w] in px
        field = torch.stack([field[:, 0] * 2.0 / w, field[:, 1] * 2.0 / h], dim=-1)  # px → normalized
        grid = grid + field.to(device)
    return grid


def _shift_lung_density(window: Tensor, masks: Tensor, shift_hu: float, gradient_hu: float, hu_window: tuple[float, float]) -> Tensor:
    """Adds shift + gradient·(row / (S − 1) − ½) HU to the parenchyma inside the mask (rows run
    anterior → posterior in a supine axial slice), weighted 1 below −500 HU and 0 above −300 HU."""
    low, high = hu_window
    hu = low + window * (high - low)
    weight = ((-300.0 - hu) / 200.0).clamp(0.0, 1.0) * masks
    rows = torch.linspace(-0.5, 0.5, window.shape[-2], dtype=window.dtype, device=window.device).view(1, 1, -1, 1)
    return window + weight * (shift_hu + gradient_hu * rows) / (high - low)


def _gaussian_blur(x: Tensor, sigma: float) -> Tensor:
    radius = max(1, int(math.ceil(3.0 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    x = F.pad(x, (radius, radius, radius, radius), mode='replicate')
    x = F.conv2d(x, k.view(1, 1, 1, -1))
    return F.conv2d(x, k.view(1, 1, -1, 1))
