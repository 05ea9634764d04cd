"""Augmentation moves slices and masks together and stays in the input's value range."""
import numpy as np
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
