"""Built-in networks: a multilayer perceptron for tables and embeddings, and a small CNN for
1- or 3-channel images up to 64×64. Both end in one `nn.Linear` output layer, whose input is the
model's embedding (what `TorchClassifier.embed` and `last_layer_input` return)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn


class MLP(nn.Module):
    """Linear → ReLU → Dropout blocks, then a linear output layer.

    Parameters
    ----------
    n_inputs : int
    n_classes : int
    hidden : sequence of int, default (128,)
    dropout : float, default 0.2
        Dropout after every hidden layer (what MC dropout samples).
    """

    def __init__(self, n_inputs: int, n_classes: int, hidden: Sequence[int] = (128,),
                 dropout: float = 0.2) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = int(n_inputs)
        for h in hidden:
            layers += [nn.Linear(width, int(h)), nn.ReLU(), nn.Dropout(dropout)]
            width = int(h)
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, int(n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


class ConvEncoder(nn.Module):
    """Three conv blocks (conv 3×3 → batch norm → ReLU → 2×2 max-pool) and a linear projection
    to `embed_dim`: the image backbone of `SmallCNN` and of the self-supervised encoder.

    Parameters
    ----------
    in_channels : int
        1 (grayscale) or 3 (RGB).
    image_size : int
        Height = width, at most 64 (smaller images are fine; 8×8 works).
    embed_dim : int, default 128
    width : int, default 32
        Channels of the first block (doubled in each next block).
    """

    def __init__(self, in_channels: int, image_size: int, embed_dim: int = 128,
                 width: int = 32) -> None:
        super().__init__()
        blocks: list[nn.Module] = []
        channels, size = int(in_channels), int(image_size)
        for i in range(3):
            out = width * 2**i
            blocks += [nn.Conv2d(channels, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU()]
            if size >= 4:
                blocks.append(nn.MaxPool2d(2))
                size //= 2
            channels = out
        self.conv = nn.Sequential(*blocks)
        self.pool_size = min(size, 4)
        self.pool = nn.AdaptiveAvgPool2d(self.pool_size)
        self.project = nn.Sequential(
            nn.Flatten(), nn.Linear(channels * self.pool_size**2, int(embed_dim)), nn.ReLU(),
        )
        self.embed_dim = int(embed_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.project(self.pool(self.conv(x)))


class SmallCNN(nn.Module):
    """`ConvEncoder` → dropout → linear output layer: a small image classifier.

    Parameters
    ----------
    in_channels, image_size : see `ConvEncoder`
    n_classes : int
    embed_dim : int, default 128
    dropout : float, default 0.3
    width : int, default 16
        Channels of the first conv block (16 keeps a 28×28 forward pass cheap on a CPU).
    """

    def __init__(self, in_channels: int, image_size: int, n_classes: int,
                 embed_dim: int = 128, dropout: float = 0.3, width: int = 16) -> None:
        super().__init__()
        self.encoder = ConvEncoder(in_channels, image_size, embed_dim, width)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(int(embed_dim), int(n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.encoder(x)))


def image_shape(n_features: int) -> tuple[int, int, int] | None:
    """The (C, H, W) of a flattened square image of `n_features` values: s² → (1, s, s)
    (grayscale), 3·s² → (3, s, s) (RGB, flattened channels last as PIL and NumPy images are);
    None otherwise."""
    n = int(n_features)
    for channels in (1, 3):
        if n % channels == 0:
            s = math.isqrt(n // channels)
            if s * s * channels == n and s >= 2:
                return (channels, s, s)
    return None
