"""Augmentation moves slices and masks together and stays in the input's value range."""
import numpy as np
import pytest
import torch

from training.augment import AugmentSpec, augment_volume

MEAN, STD = 0.5, 0.25
ALWAYS = AugmentSpec(probability=1.0)


def stack(n=4, size=32):
    y, x = np.mgrid[0:size, 0:size]
    mask = np.zeros((n, 1, size, size), dtype=np.float32)
    for k in range(n):
        mask[k, 0] = ((x - 10 - k) ** 2 + (y - 14) ** 2 < 36) | ((x > 20) & (x < 27) & (y > 5) & (y < 25))
    window = 0.2 + 0.6 * mask  # slice intensity carries the mask's shape
    return torch.from_numpy((window - MEAN) / STD), torch.from_numpy(mask)


def test_geometry_is_shared_by_slices_and_masks():
    slices, masks = stack()
    geometric_only = AugmentSpec(probability=1.0, stretch_low=0.0, stretch_high=0.0, noise_std=0.0, blur_sigma=(1e-3, 1e-3))
    for seed in range(5):
        out_s, out_m = augment_volume(slices, masks, MEAN, STD, np.random.default_rng(seed), geometric_only)
        assert set(torch.unique(out_m).tolist()) <= {0.0, 1.0}
        assert not torch.equal(out_m, masks)
        inside = (out_s * STD + MEAN) > 0.5  # the bright region of the warped slice
        agreement = (inside == out_m.bool()).float().mean()
        assert agreement > 0.97  # bilinear vs nearest differ only along edges


def test_every_slice_of_a_volume_gets_the_same_transform():
    slices, masks = stack()
    same = torch.cat([slices[:1]] * 4)
    same_m = torch.cat([masks[:1]] * 4)
    spec = AugmentSpec(probability=1.0, noise_std=0.0)
    out_s, out_m = augment_volume(same, same_m, MEAN, STD, np.random.default_rng(3), spec)
    for k in range(1, 4):
        assert torch.equal(out_m[k], out_m[0])
        torch.testing.assert_close(out_s[k], out_s[0])


def test_seeded_and_in_range():
    slices, masks = stack()
    a = augment_volume(slices, masks, MEAN, STD, np.random.default_rng(7), ALWAYS)
    b = augment_volume(slices, masks, MEAN, STD, np.random.default_rng(7), ALWAYS)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    window = a[0] * STD + MEAN
    assert window.min() >= -1e-6 and window.max() <= 1 + 1e-6
    # padding brought in by zoom/rotation is air (window 0), never the normalized 0
    assert torch.isclose(window.min(), torch.tensor(0.0), atol=1e-6)


def test_probability_zero_is_the_identity():
    slices, masks = stack()
    out_s, out_m = augment_volume(slices, masks, MEAN, STD, np.random.default_rng(0), AugmentSpec(probability=0.0))
    torch.testing.assert_close(out_s, slices)
    assert torch.equal(out_m, masks)


def test_lung_density_moves_parenchyma_inside_the_lungs_only():
    """A healthy lung scanned in expiration or at low dose is denser: the transform shifts the
    parenchyma inside the mask, leaves vessels, soft tissue and everything outside the lungs alone."""
    low, high, size = -1350.0, 150.0, 32
    hu = np.full((2, 1, size, size), -1000.0, dtype=np.float32)  # air outside the body
    mask = np.zeros_like(hu)
    mask[:, :, 4:28, 4:28] = 1
    hu[:, :, 4:28, 4:28] = -860.0  # parenchyma
    hu[:, :, 14:18, 14:18] = 40.0  # a vessel
    slices = torch.from_numpy(((hu - low) / (high - low) - MEAN) / STD)
    density_only = AugmentSpec(probability=1.0, scale=(1.0, 1.0), rotation_deg=0.0, elastic_px=0.0, stretch_low=0.0, stretch_high=0.0,
                               noise_std=0.0, blur_sigma=(1e-3, 1e-3), lung_density_hu=200.0)
    shifts = []
    for seed in range(8):
        out, out_m = augment_volume(slices, torch.from_numpy(mask), MEAN, STD, np.random.default_rng(seed), density_only, (low, high))
        out_hu = low + (out.numpy() * STD + MEAN) * (high - low)
        assert np.allclose(out_hu[:, :, 15, 15], 40.0, atol=0.5)  # the vessel keeps its value
        assert np.allclose(out_hu[:, :, 0, :], -1000.0, atol=0.5)  # outside the mask: untouched
        shift = out_hu[:, :, 8, 8] - (-860.0)
        assert np.all(shift >= -100.5) and np.all(shift <= 200.5)  # δ ∈ [−δ/4, δ], and the anterior half loses up to δ/4 of gradient
        assert np.allclose(out_hu[0], out_hu[1])  # one transform for every slice of the volume
        posterior_minus_anterior = out_hu[0, 0, 26, 8] - out_hu[0, 0, 5, 8]
        assert posterior_minus_anterior >= -0.5  # gravity: the dependent lung is the denser
        shifts.append(float(shift[0, 0]))
    assert max(shifts) - min(shifts) > 50  # it varies from volume to volume


def test_lung_density_is_off_unless_asked_for_and_needs_the_window():
    slices, masks = stack()
    plain = augment_volume(slices, masks, MEAN, STD, np.random.default_rng(1), ALWAYS)[0]
    again = augment_volume(slices, masks, MEAN, STD, np.random.default_rng(1), AugmentSpec(probability=1.0, lung_density_hu=0.0))[0]
    assert torch.equal(plain, again)
    with pytest.raises(ValueError, match='HU window'):
        augment_volume(slices, masks, MEAN, STD, np.random.default_rng(1), AugmentSpec(lung_density_hu=100.0))
