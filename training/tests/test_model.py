"""The network's structure: output shapes for both backbones and every ablation, what each
ablation removes, frozen BatchNorm, LSTM initialisation."""
import pytest
import torch

from training.model import ABLATIONS, CBAM, ResNeXtPlus, covid_logit, freeze_batchnorm, network_spec, parameter_count


def inputs(n: int, size: int = 32, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, size, size, generator=g), (torch.rand(n, 1, size, size, generator=g) > 0.5).float()


def perturbed(model: ResNeXtPlus, seed: int = 0) -> ResNeXtPlus:
    """Moves every parameter off its initial value so that no branch is silently zero."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.05)
    return model.eval()


@pytest.mark.parametrize('backbone', ['compact', 'resnext50'])
@pytest.mark.parametrize('ablation', ABLATIONS)
def test_shapes(backbone, ablation):
    model = ResNeXtPlus(network_spec(backbone, ablation)).eval()
    for n in (1, 5):
        with torch.no_grad():
            logits, attention = model(*inputs(n))
        assert logits.shape == (1, 2)
        assert attention.shape == (n,)
        assert torch.isclose(attention.sum(), torch.tensor(1.0))
    assert model.stem.mask_conv is None if ablation == 'n-msca' else model.stem.mask_conv is not None
    assert isinstance(model.stem.cbam, CBAM) == (ablation in ('none', 'n-sla'))
    assert (model.attention is None) == (ablation == 'n-sla')


def test_sizes():
    compact = ResNeXtPlus(network_spec('compact'))
    assert 0.65e6 < parameter_count(compact) < 0.8e6  # DESIGN.md §5: ≈0.6 M; 0.73 M with the avg+max pooled feature into the LSTM
    big = ResNeXtPlus(network_spec('resnext50'))
    assert big.feature_size == 2 * 2048 and big.lstm.hidden_size == 512  # avg + max of 2,048 channels; the paper's 512 per direction
    assert 22e6 < parameter_count(big.stages) + parameter_count(big.stem) < 24e6  # torchvision's ResNeXt-50 body
    assert big.head[0].out_features == 1024


def test_lstm_weights_start_small():
    model = ResNeXtPlus(network_spec('resnext50'))
    w = model.lstm.weight_ih_l0
    assert abs(float(w.std()) - 0.01) < 0.001 and abs(float(w.mean())) < 0.001
    assert float(model.lstm.bias_ih_l0.abs().max()) == 0.0


def test_cbam_matches_its_definition():
    cbam = CBAM(8, 2, 9)
    with torch.no_grad():
        for p in cbam.parameters():
            p.normal_(0, 0.3)
    x = torch.randn(3, 8, 10, 10)
    ca, sa = cbam[0], cbam[1]
    mlp = ca.mlp
    mc = torch.sigmoid(mlp(x.mean((2, 3), keepdim=True)) + mlp(x.amax((2, 3), keepdim=True)))
    f1 = x * mc
    ms = torch.sigmoid(sa.conv(torch.cat([f1.mean(1, keepdim=True), f1.amax(1, keepdim=True)], 1)))
    assert sa.conv.kernel_size == (9, 9)
    torch.testing.assert_close(cbam(x), f1 * ms)


def test_fused_stem_is_the_sum_of_two_convolutions():
    model = perturbed(ResNeXtPlus(network_spec('compact')))
    x, m = inputs(3)
    stem = model.stem
    expected = stem.pool(stem.cbam(stem.relu(stem.bn(stem.slice_conv(x) + stem.mask_conv(m)))))
    torch.testing.assert_close(stem(x, m), expected, rtol=1e-5, atol=1e-5)


def test_mask_matters_except_in_n_msca():
    x, m = inputs(4)
    for ablation, matters in (('none', True), ('n-sca', True), ('n-msca', False)):
        model = perturbed(ResNeXtPlus(network_spec('compact', ablation)))
        with torch.no_grad():
            a, _ = model(x, m)
            b, _ = model(x, 1.0 - m)
        assert (not torch.allclose(a, b)) == matters, ablation


def test_n_sla_attention_is_uniform_and_pools_the_mean():
    model = perturbed(ResNeXtPlus(network_spec('compact', 'n-sla')))
    x, m = inputs(6)
    with torch.no_grad():
        logits, attention = model(x, m)
        seq, _ = model.lstm(model.slice_features(x, m).unsqueeze(1))
        expected = model.head(seq[:, 0].mean(0, keepdim=True))
    torch.testing.assert_close(attention, torch.full((6,), 1 / 6))
    torch.testing.assert_close(logits, expected)


def test_slice_order_matters_through_the_lstm():
    model = perturbed(ResNeXtPlus(network_spec('compact')))
    x, m = inputs(5)
    with torch.no_grad():
        a, att = model(x, m)
        b, att_rev = model(x.flip(0), m.flip(0))
    assert not torch.allclose(a, b)


def test_frozen_batchnorm_keeps_running_statistics():
    model = ResNeXtPlus(network_spec('compact')).train()
    freeze_batchnorm(model)
    before = {k: v.clone() for k, v in model.state_dict().items() if 'running' in k}
    logits, _ = model(*inputs(4))
    torch.nn.functional.binary_cross_entropy_with_logits(covid_logit(logits)[0], torch.tensor(1.0)).backward()
    after = model.state_dict()
    assert all(torch.equal(v, after[k]) for k, v in before.items())
    assert model.stem.bn.weight.grad is not None  # γ/β still learn
