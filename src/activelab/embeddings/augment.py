"""SimCLR's two random views of a batch of images, in plain torch (no torchvision): random
resized crop, horizontal flip and a small translation in one affine resampling, then contrast /
brightness jitter and Gaussian noise. Every draw comes from the `torch.Generator` passed in."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Augment:
    """How far a view may stray from its image.

    Parameters
    ----------
    crop_scale : (float, float), default (0.5, 1.0)
        Range of the crop's area as a fraction of the image (then resized back to full size).
    flip : bool, default True
        Mirror half the views left-right (turn off for images whose side matters, e.g. digits).
    max_shift : float, default 0.1
        Largest translation, as a fraction of the side (uncovered pixels become 0).
    jitter : float, default 0.3
        Contrast factor drawn from [1 - jitter, 1 + jitter], brightness offset from
        [-jitter/2, jitter/2] (on images scaled to [0, 1]).
    noise : float, default 0.05
        Standard deviation of the added Gaussian noise.
    """

    crop_scale: tuple[float, float] = (0.5, 1.0)
    flip: bool = True
    max_shift: float = 0.1
    jitter: float = 0.3
    noise: float = 0.05

    def __call__(self, x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        """One random view of each image of `x` (b, C, S, S) in [0, 1]."""
        b = x.shape[0]

        def uniform(lo: float, hi: float) -> torch.Tensor:
            return lo + (hi - lo) * torch.rand(b, generator=g)

        area = uniform(*self.crop_scale)
        ratio = torch.exp(uniform(math.log(3 / 4), math.log(4 / 3)))
        sx = torch.sqrt(area * ratio).clamp(max=1.0)
        sy = torch.sqrt(area / ratio).clamp(max=1.0)
        # crop centre inside the image, plus a small translation (the side spans 2 in grid units)
        cx = uniform(-1, 1) * (1 - sx) + uniform(-2 * self.max_shift, 2 * self.max_shift)
        cy = uniform(-1, 1) * (1 - sy) + uniform(-2 * self.max_shift, 2 * self.max_shift)
        mirror = torch.where(torch.rand(b, generator=g) < 0.5, -1.0, 1.0) if self.flip \
            else torch.ones(b)
        theta = torch.zeros(b, 2, 3)
        theta[:, 0, 0] = sx * mirror
        theta[:, 0, 2] = cx
        theta[:, 1, 1] = sy
        theta[:, 1, 2] = cy
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        v = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        contrast = uniform(1 - self.jitter, 1 + self.jitter).view(b, 1, 1, 1)
        brightness = uniform(-self.jitter / 2, self.jitter / 2).view(b, 1, 1, 1)
        v = v * contrast + brightness
        if self.noise > 0:
            v = v + self.noise * torch.randn(v.shape, generator=g)
        return v


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """SimCLR's normalized-temperature cross-entropy: each view must pick its partner among the
    other 2b - 1 views of the batch by cosine similarity / temperature."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = z1.shape[0]
    sim = (z @ z.T) / temperature
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, targets)
