"""Committees and ensembles, trained through the model seam (any `ModelFactory`).

A committee is several fitted models whose disagreement measures uncertainty (QBC, BALD): either
one factory fitted on stratified bootstrap resamples of the labeled rows, or several factories
fitted on all of them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .protocol import FittedModel, ModelFactory


def stratified_bootstrap(y_lab: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap positions that keep every labeled class (resampled within each class)."""
    parts = []
    for c in np.unique(y_lab):
        members = np.flatnonzero(y_lab == c)
        parts.append(rng.choice(members, size=members.shape[0], replace=True))
    return np.concatenate(parts)


def bootstrap_committee(
    factory: ModelFactory, X, y: np.ndarray, labeled_idx: np.ndarray, classes: np.ndarray,
    n_members: int, random_state: int | None,
) -> list[FittedModel]:
    """`n_members` models of one factory, each fitted on a stratified bootstrap of the labeled
    rows (so each has seen every labeled class) with its own seed drawn from `random_state`."""
    rng = np.random.default_rng(random_state)
    y_lab = np.asarray(y)[labeled_idx]
    members = []
    for _ in range(n_members):
        boot = labeled_idx[stratified_bootstrap(y_lab, rng)]
        members.append(factory.fit(X, y, boot, classes, random_state=int(rng.integers(2**31 - 1))))
    return members


def ensemble(
    factories: Sequence[ModelFactory], X, y: np.ndarray, labeled_idx: np.ndarray,
    classes: np.ndarray, random_state: int | None,
) -> list[FittedModel]:
    """Each factory fitted on all labeled rows; member m gets a seed derived from `random_state`
    and m, so a round is reproducible while members stay distinct."""
    seeds = np.random.default_rng(random_state).integers(2**31 - 1, size=len(factories))
    return [f.fit(X, y, labeled_idx, classes, random_state=int(s)) for f, s in zip(factories, seeds)]
