"""A self-supervised image encoder trained on the unlabeled pool itself (SimCLR, Chen et al.
2020, "A Simple Framework for Contrastive Learning of Visual Representations").

Two augmented views per image (`augment.Augment`), a `ConvEncoder` backbone and a two-layer
projection head trained with the NT-Xent loss; the embeddings are the backbone's output (the
representation before the head, as in the paper). Departures from the paper, for a CPU and a
pool of 10³–10⁵ small images: Adam with a cosine schedule instead of LARS, batches of 256
instead of 4096, a three-block CNN instead of a ResNet-50, and no colour distortion beyond
contrast/brightness jitter (the images may be grayscale).

Cost, measured: with the defaults (width 16, 10 epochs), 10⁴ Fashion-MNIST images of 28×28 take
115 s (135 s of CPU) with torch's 2 threads on 2 CPU cores shared with other jobs (load ≈ 2.5);
the time grows with ``epochs × n × side²`` and about linearly with ``width``. What it buys there:
a logistic-regression probe on 100 / 1000 labels reaches 0.66 / 0.78 accuracy (raw pixels: 0.71
/ 0.79) — a pool-specific representation for the geometry strategies, not a pretrained one.

Imports torch; `activelab.embeddings.embed(method="ssl")` imports this module only when called.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._errors import InvalidInputError
from ..torch.networks import ConvEncoder
from .augment import Augment, nt_xent
from .images import MAX_SIZE, as_images, check_image_size
from .progress import progress_bar

DEFAULT_IMAGES_SEEN = 100_000


@dataclass(frozen=True)
class SSLConfig:
    """Training settings of the self-supervised encoder (all keyword options of
    ``embed(..., method="ssl")``).

    Parameters
    ----------
    epochs : int, optional
        Passes over the pool. Default: about 100 000 images' worth of training,
        ``clip(round(100_000 / n), 1, 100)`` — 10 epochs on 10⁴ images, 100 on 10³ or fewer —
        so the time grows little with the pool until it passes 10⁵ images.
    batch_size : int, default 256
        Images per step (each gives two views; NT-Xent contrasts 2·batch_size - 1 others).
    lr : float, default 1e-3
        Adam's learning rate, annealed to 0 on a cosine over the run.
    temperature : float, default 0.5
        NT-Xent temperature.
    embed_dim : int, default 128
        Dimension of the returned embedding (the backbone's output).
    width : int, default 16
        Channels of the backbone's first conv block (doubled in each next one).
    proj_dim : int, default 64
        Output of the projection head (used only in training).
    image_size : int, optional
        Side the images are resized to (8–64). Default: their own side, or 64 when larger.
    augment : Augment
        View settings; also settable one by one: crop_scale, flip, max_shift, jitter, noise.
    """

    epochs: int | None = None
    batch_size: int = 256
    lr: float = 1e-3
    temperature: float = 0.5
    embed_dim: int = 128
    width: int = 16
    proj_dim: int = 64
    image_size: int | None = None
    augment: Augment = field(default_factory=Augment)

    @classmethod
    def from_options(cls, options: dict) -> SSLConfig:
        """Build from ``embed``'s keyword options (augmentation keys go to `Augment`)."""
        own = {f.name for f in fields(cls)} - {"augment"}
        aug_keys = {f.name for f in fields(Augment)}
        unknown = sorted(set(options) - own - aug_keys)
        if unknown:
            raise InvalidInputError(
                f"unknown option(s) for method='ssl': {', '.join(unknown)}; known: "
                f"{', '.join(sorted(own | aug_keys))}."
            )
        aug = Augment(**{k: v for k, v in options.items() if k in aug_keys})
        config = cls(**{k: v for k, v in options.items() if k in own}, augment=aug)
        config.check()
        return config

    def check(self) -> None:
        def positive_int(name, minimum=1):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
                raise InvalidInputError(f"{name} must be an integer >= {minimum}; got {v!r}.")

        if self.epochs is not None:
            positive_int("epochs")
        for name in ("embed_dim", "width", "proj_dim"):
            positive_int(name)
        positive_int("batch_size", 2)
        for name in ("lr", "temperature"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not (math.isfinite(v) and v > 0):
                raise InvalidInputError(f"{name} must be a positive number; got {v!r}.")
        if self.image_size is not None:
            check_image_size(self.image_size)
        a = self.augment
        lo_hi = tuple(a.crop_scale) if isinstance(a.crop_scale, (tuple, list)) else ()
        if len(lo_hi) != 2 or not 0 < lo_hi[0] <= lo_hi[1] <= 1:
            raise InvalidInputError(f"crop_scale must be (low, high) with 0 < low <= high <= 1; got {a.crop_scale!r}.")
        for name, hi in (("max_shift", 0.5), ("jitter", 1.0), ("noise", 1.0)):
            v = getattr(a, name)
            if not isinstance(v, (int, float)) or not 0 <= v <= hi:
                raise InvalidInputError(f"{name} must be a number in [0, {hi}]; got {v!r}.")


class SimCLR(nn.Module):
    """Backbone (`ConvEncoder`) + projection head (Linear → ReLU → Linear), with the pool's
    per-channel mean and std (inputs are images in [0, 1]; both methods standardize them)."""

    def __init__(self, in_channels: int, image_size: int, config: SSLConfig) -> None:
        super().__init__()
        self.backbone = ConvEncoder(in_channels, image_size, config.embed_dim, config.width)
        self.head = nn.Sequential(nn.Linear(config.embed_dim, config.embed_dim), nn.ReLU(),
                                  nn.Linear(config.embed_dim, config.proj_dim))
        self.register_buffer("mean", torch.zeros(1, in_channels, 1, 1))
        self.register_buffer("std", torch.ones(1, in_channels, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Projection of images in [0, 1] (what NT-Xent compares)."""
        return self.head(self.backbone((x - self.mean) / self.std))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Backbone representation of images in [0, 1] (what `ssl_embeddings` returns)."""
        return self.backbone((x - self.mean) / self.std)


def ssl_embeddings(images, config: SSLConfig | None = None, *, seed: int = 0,
                   progress: bool = False, inference_batch_size: int = 1024) -> np.ndarray:
    """Train a SimCLR encoder on `images` and return their embeddings, float32 (n, embed_dim),
    rows in input order. Deterministic for a given `seed` (and thread count); the global torch
    RNG is left as it was."""
    config = config or SSLConfig()
    X = _prepared(as_images(images), config.image_size)
    model, _ = train(X, config, seed=seed, progress=progress)
    return encode(model, X, batch_size=inference_batch_size)


def train(X: torch.Tensor, config: SSLConfig, *, seed: int = 0,
          progress: bool = False) -> tuple[SimCLR, list[float]]:
    """Train on prepared images `X` (n, C, S, S) in [0, 1]; returns the model (in eval mode)
    and the mean loss of each epoch."""
    n, c, s, _ = X.shape
    with torch.random.fork_rng(devices=[]):  # parameter init draws from the global generator
        torch.default_generator.manual_seed(seed)
        model = SimCLR(c, s, config)
    model = model.to(memory_format=torch.channels_last)  # oneDNN convolutions: ~1.5-2x faster on CPU
    model.mean.copy_(X.mean(dim=(0, 2, 3), keepdim=True))
    model.std.copy_(X.std(dim=(0, 2, 3), keepdim=True).clamp(min=1e-3))
    g = torch.Generator().manual_seed(seed)
    epochs = config.epochs or default_epochs(n)
    batch = min(config.batch_size, n)
    steps_per_epoch = max(1, n // batch)  # drop the ragged last batch: NT-Xent wants full ones
    total = steps_per_epoch * epochs
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: 0.5 * (1 + math.cos(math.pi * min(step, total) / total)))
    losses: list[float] = []
    model.train()
    with progress_bar(total, progress, "self-supervised training") as advance:
        for _ in range(epochs):
            order = torch.randperm(n, generator=g)
            running = 0.0
            for step in range(steps_per_epoch):
                x = X[order[step * batch:(step + 1) * batch]]
                v1, v2 = (config.augment(x, g).contiguous(memory_format=torch.channels_last)
                          for _ in range(2))
                loss = nt_xent(model(v1), model(v2), config.temperature)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                running += loss.item()
                advance(1)
            losses.append(running / steps_per_epoch)
            if not math.isfinite(losses[-1]):
                raise InvalidInputError("self-supervised training diverged (non-finite loss); "
                                        "lower lr or check the images.")
    model.eval()
    return model, losses


def default_epochs(n_images: int) -> int:
    """About 100 000 images' worth of training, between 1 and 100 epochs."""
    return int(np.clip(round(DEFAULT_IMAGES_SEEN / max(n_images, 1)), 1, 100))


@torch.inference_mode()
def encode(model: SimCLR, X: torch.Tensor, batch_size: int = 1024) -> np.ndarray:
    """The backbone's embeddings of prepared images, batch by batch, in eval mode."""
    model.eval()
    out = [model.embed(X[i:i + batch_size].contiguous(memory_format=torch.channels_last))
           for i in range(0, X.shape[0], batch_size)]
    return torch.cat(out).numpy().astype(np.float32, copy=False)


def _prepared(images: np.ndarray, image_size: int | None) -> torch.Tensor:
    """(n, C, S, S) float32 in [0, 1] as a tensor, resized (bilinear, antialiased) to
    `image_size` (default: S, or 64 when larger)."""
    X = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    size = image_size or min(X.shape[-1], MAX_SIZE)
    if size != X.shape[-1]:
        X = torch.cat([F.interpolate(X[i:i + 1024], size=(size, size), mode="bilinear",
                                     antialias=True, align_corners=False)
                       for i in range(0, X.shape[0], 1024)])
    return X.contiguous()
