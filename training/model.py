"""ResNeXt+ with mask fusion, CBAM, a bidirectional LSTM and slice attention (DESIGN.md §5).

One volume (or one pass over some of its slices) goes through the network at a time:

    slices [N,1,S,S], masks [N,1,S,S]
      → FusionStem: conv7×7/2(slice) + conv7×7/2(mask) → BN → ReLU → CBAM → max-pool
      → ResNeXt stages → global average and max pool, concatenated → LayerNorm → one feature per slice [N, 2F]
      → bidirectional LSTM over the N slices (in order) → [N, 2H]
      → slice attention: w·tanh(W f + b) → softmax over N → α [N];  Σ α_n f_n  → [2H]
      → FC(2H → 1024) → ReLU → FC(1024 → 2)              → logits [1, 2] (non-covid, covid)

Ablations (paper §V): ``n-sca`` drops CBAM; ``n-sla`` replaces slice attention by the mean of the
LSTM features (its attention output is uniform, 1/N); ``n-msca`` drops the mask branch and CBAM
(the ``masks`` input stays in the signature, and in the ONNX graph, but is not used).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional, Sequence

import torch
from torch import Tensor, nn
from torch.nn import functional as F

ABLATIONS = ('none', 'n-sca', 'n-sla', 'n-msca')
BACKBONES = ('compact', 'resnext50')


@dataclass(frozen=True)
class NetworkSpec:
    """Everything needed to rebuild the network (stored in checkpoints and the model card)."""

    backbone: str = 'compact'
    ablation: str = 'none'
    stem_channels: int = 32
    cbam_reduction: int = 8
    spatial_kernel: int = 9
    lstm_hidden: int = 64  # per direction
    attention_hidden: int = 64
    head_hidden: int = 1024
    lstm_init_std: float = 0.01

    def __post_init__(self) -> None:
        if self.backbone not in BACKBONES:
            raise ValueError(f'backbone must be one of {BACKBONES}, got {self.backbone!r}')
        if self.ablation not in ABLATIONS:
            raise ValueError(f'ablation must be one of {ABLATIONS}, got {self.ablation!r}')

    @property
    def uses_mask(self) -> bool:
        return self.ablation != 'n-msca'

    @property
    def uses_cbam(self) -> bool:
        return self.ablation not in ('n-sca', 'n-msca')

    @property
    def uses_slice_attention(self) -> bool:
        return self.ablation != 'n-sla'

    def to_json(self) -> dict:
        return asdict(self)


def network_spec(backbone: str = 'compact', ablation: str = 'none') -> NetworkSpec:
    """The two shipped configurations: the paper's sizes for ResNeXt-50, scaled down for compact."""
    if backbone == 'resnext50':
        return NetworkSpec(backbone, ablation, stem_channels=64, cbam_reduction=16, lstm_hidden=512, attention_hidden=128)
    return NetworkSpec(backbone, ablation)


# ----------------------------------------------------------------------------------------------
# Blocks


class ChannelAttention(nn.Module):
    """CBAM channel attention: avg- and max-pooled descriptors through one shared MLP, sigmoid."""

    def __init__(self, channels: int, reduction: int) -> None:
        super().__init__()
        hidden = max(1, channels // reduction)
        self.mlp = nn.Sequential(nn.Conv2d(channels, hidden, 1), nn.ReLU(inplace=True), nn.Conv2d(hidden, channels, 1))

    def forward(self, x: Tensor) -> Tensor:
        avg = x.mean(dim=(2, 3), keepdim=True)
        peak = x.amax(dim=(2, 3), keepdim=True)
        return x * torch.sigmoid(self.mlp(avg) + self.mlp(peak))


class SpatialAttention(nn.Module):
    """CBAM spatial attention: channel-mean and channel-max maps concatenated, k×k conv, sigmoid."""

    def __init__(self, kernel: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 1, kernel, padding=kernel // 2)

    def forward(self, x: Tensor) -> Tensor:
        maps = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return x * torch.sigmoid(self.conv(maps))


class CBAM(nn.Sequential):
    def __init__(self, channels: int, reduction: int, spatial_kernel: int) -> None:
        super().__init__(ChannelAttention(channels, reduction), SpatialAttention(spatial_kernel))


class FusionStem(nn.Module):
    """Two 7×7 stride-2 convolutions (slice; lung mask) summed, BN + ReLU, CBAM, 3×3/2 max-pool."""

    def __init__(self, channels: int, use_mask: bool, cbam: Optional[CBAM]) -> None:
        super().__init__()
        self.slice_conv = nn.Conv2d(1, channels, 7, stride=2, padding=3, bias=False)
        self.mask_conv = nn.Conv2d(1, channels, 7, stride=2, padding=3, bias=False) if use_mask else None
        self.bn = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.cbam = cbam if cbam is not None else nn.Identity()
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)

    def forward(self, slices: Tensor, masks: Tensor) -> Tensor:
        if self.mask_conv is None:
            # N-MSCA ignores the mask; `masks · 0` keeps it an input of the ONNX graph (the exporter
            # drops unused inputs, and the model contract has both).
            x = self.slice_conv(slices + masks * 0.0)
        else:
            # conv(slice) + conv(mask) computed as one convolution over the two stacked inputs
            # (identical sum, one pass over the 112² maps instead of two plus an addition).
            weight = torch.cat([self.slice_conv.weight, self.mask_conv.weight], dim=1)
            x = F.conv2d(torch.cat([slices, masks], dim=1), weight, stride=2, padding=3)
        return self.pool(self.cbam(self.relu(self.bn(x))))


class Bottleneck(nn.Module):
    """ResNeXt block: 1×1 → grouped 3×3 (stride) → 1×1, plus the (projected) identity."""

    def __init__(self, in_channels: int, width: int, out_channels: int, stride: int, groups: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample: Optional[nn.Module] = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels))

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return self.relu(y + identity)


@dataclass(frozen=True)
class StageSpec:
    out_channels: int
    blocks: int
    stride: int


@dataclass(frozen=True)
class CompactSpec:
    stages: Sequence[StageSpec] = field(default_factory=lambda: (
        StageSpec(64, 1, 1), StageSpec(128, 1, 2), StageSpec(192, 2, 2), StageSpec(256, 1, 2)))
    group_width: int = 16  # channels per group of the grouped 3×3 (cardinality = width / group_width)
    width_ratio: float = 0.5  # bottleneck width / output channels


def _compact_stages(in_channels: int, spec: CompactSpec = CompactSpec()) -> tuple[nn.Sequential, int]:
    layers: list[nn.Module] = []
    channels = in_channels
    for stage in spec.stages:
        width = max(spec.group_width, round(stage.out_channels * spec.width_ratio / spec.group_width) * spec.group_width)
        for b in range(stage.blocks):
            layers.append(Bottleneck(channels, width, stage.out_channels, stage.stride if b == 0 else 1, width // spec.group_width))
            channels = stage.out_channels
    return nn.Sequential(*layers), channels


def _resnext50_stages() -> tuple[nn.Sequential, int]:
    """torchvision's resnext50_32x4d layer1…layer4 (random init: no pretrained weights offline)."""
    from torchvision.models import resnext50_32x4d

    net = resnext50_32x4d(weights=None, zero_init_residual=True)
    return nn.Sequential(net.layer1, net.layer2, net.layer3, net.layer4), 2048


# ----------------------------------------------------------------------------------------------
# The network


class ResNeXtPlus(nn.Module):
    """The whole detector. ``forward(slices, masks) -> (logits [1, 2], attention [N])``."""

    def __init__(self, spec: NetworkSpec) -> None:
        super().__init__()
        self.spec = spec
        cbam = CBAM(spec.stem_channels, spec.cbam_reduction, spec.spatial_kernel) if spec.uses_cbam else None
        self.stem = FusionStem(spec.stem_channels, spec.uses_mask, cbam)
        if spec.backbone == 'resnext50':
            self.stages, features = _resnext50_stages()
        else:
            self.stages, features = _compact_stages(spec.stem_channels)
        # Average- and max-pooled maps side by side (see slice_features), so 2 × the stage's channels.
        self.feature_size = 2 * features
        # Per-slice LayerNorm of the pooled feature (not in the paper; see slice_features).
        self.feature_norm = nn.LayerNorm(self.feature_size)
        self.lstm = nn.LSTM(self.feature_size, spec.lstm_hidden, bidirectional=True)
        sequence = 2 * spec.lstm_hidden
        self.attention = nn.Sequential(nn.Linear(sequence, spec.attention_hidden), nn.Tanh(), nn.Linear(spec.attention_hidden, 1)) if spec.uses_slice_attention else None
        self.head = nn.Sequential(nn.Linear(sequence, spec.head_hidden), nn.ReLU(inplace=True), nn.Linear(spec.head_hidden, 2))
        self._init_weights()

    def _init_weights(self) -> None:
        for name, m in self.named_modules():
            if name.startswith('stages') and self.spec.backbone == 'resnext50':
                continue  # torchvision initialised these (Kaiming, zero-init residual BN)
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, Bottleneck):
                nn.init.zeros_(m.bn3.weight)  # each residual branch starts as zero: the block is the identity
        for name, p in self.lstm.named_parameters():
            if name.startswith('weight'):
                nn.init.normal_(p, 0.0, self.spec.lstm_init_std)
            else:
                nn.init.zeros_(p)

    def slice_features(self, slices: Tensor, masks: Tensor) -> Tensor:
        """[N,1,S,S] ×2 → [N, 2F]: the per-slice spatial features, layer-normalised.

        Pooling: the global average of the last stage's maps (the paper's ResNeXt) next to their
        global maximum. An early COVID-19 focus covers a few output cells of a slice; averaged
        over the whole map it is diluted ~50-fold, while the maximum keeps it (the same reason CBAM
        pools both ways). Measured on phantoms, average pooling alone did not learn to separate
        volumes with a few small ground-glass foci in the CPU budget.

        The paper's backbone kept the frozen BatchNorm statistics of ImageNet pretraining, which
        hold its features at a known scale. Trained from scratch with frozen BatchNorm, the pooled
        features drift (measured on phantoms: mean 0.5 → 4.2, max 41 within ~700 steps), every LSTM
        gate saturates (output-gate pre-activation ≈ −10) and the output stops depending on the
        input. A LayerNorm per slice — no batch statistics, the same at training and inference —
        keeps the LSTM's input at unit scale.
        """
        x = self.stages(self.stem(slices, masks))
        return self.feature_norm(torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=1))

    def forward(self, slices: Tensor, masks: Tensor) -> tuple[Tensor, Tensor]:
        logits, attention, _ = self.infer(slices, masks)
        return logits, attention

    def infer(self, slices: Tensor, masks: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(logits [1, 2], attention [N], features [1, 2H + 2F]). ``features`` is what the
        out-of-distribution score measures (inference.py): the attention-weighted LSTM output
        the head classifies, next to the mean of the pass's slice features (what the slices look
        like, before any decision)."""
        features = self.slice_features(slices, masks)
        sequence, _ = self.lstm(features.unsqueeze(1))  # [N, 1, 2H]: the N slices are the time axis
        sequence = sequence[:, 0, :]
        if self.attention is not None:
            scores = self.attention(sequence)[:, 0]
        else:
            scores = sequence[:, 0] * 0.0  # uniform weights that follow the dynamic N (ONNX-safe)
        attention = torch.softmax(scores, dim=0)
        pooled = (attention.unsqueeze(1) * sequence).sum(dim=0, keepdim=True)
        return self.head(pooled), attention, torch.cat([pooled, features.mean(dim=0, keepdim=True)], dim=1)

    @property
    def ood_feature_size(self) -> int:
        return 2 * self.spec.lstm_hidden + self.feature_size


def build_network(spec: NetworkSpec) -> ResNeXtPlus:
    return ResNeXtPlus(spec)


def resnext_compact(ablation: str = 'none') -> ResNeXtPlus:
    return ResNeXtPlus(network_spec('compact', ablation))


def resnext50_plus(ablation: str = 'none') -> ResNeXtPlus:
    return ResNeXtPlus(network_spec('resnext50', ablation))


def covid_logit(logits: Tensor) -> Tensor:
    """logit of softmax(logits)[covid] = l_covid − l_noncovid (BCE on it equals BCE on the probability)."""
    return logits[..., 1] - logits[..., 0]


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def freeze_batchnorm(model: nn.Module) -> None:
    """Puts every BatchNorm in eval mode: running estimates are used and never updated."""
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()
