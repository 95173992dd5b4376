"""Uncertainty sampling (exploitation): score candidates by how unsure the model is.

Score functions are pure functions of a probability table `proba (n, n_classes)` and return
`scores (n,)`, higher = more uncertain. Reference: Settles 2009, "Active Learning Literature
Survey", §3.1; Lewis & Gale 1994 (least confidence); Scheffer et al. 2001 (margin);
Shannon entropy as in Settles & Craven 2008.
"""

from __future__ import annotations

import numpy as np
from scipy.special import entr

from ._base import ScoreStrategy
from ._context import PoolContext
from ._registry import register


def least_confidence_scores(proba: np.ndarray) -> np.ndarray:
    """1 − max_k p_k: how far the most likely class is from certainty."""
    return 1.0 - proba.max(axis=1)


def margin_scores(proba: np.ndarray) -> np.ndarray:
    """1 − (p_(1) − p_(2)): a small gap between the two most likely classes scores high."""
    if proba.shape[1] < 2:
        return np.zeros(proba.shape[0])
    top2 = np.partition(proba, proba.shape[1] - 2, axis=1)[:, -2:]
    return 1.0 - (top2[:, 1] - top2[:, 0])


def entropy_scores(proba: np.ndarray) -> np.ndarray:
    """Shannon entropy −Σ_k p_k log p_k (natural log; 0 log 0 = 0).

    One (n, n_classes) temporary, filled in place by scipy's `entr`.
    """
    t = np.clip(proba, 0.0, 1.0)
    entr(t, out=t)
    return t.sum(axis=1)


@register
class LeastConfidence(ScoreStrategy):
    """Least-confidence sampling: query where the top class probability is lowest."""

    name = "least_confidence"
    family = "exploitation"
    reference = "Lewis & Gale 1994, A Sequential Algorithm for Training Text Classifiers (SIGIR)"

    def scores(self, ctx: PoolContext) -> np.ndarray:
        return least_confidence_scores(ctx.proba(self.name))


@register
class MarginSampling(ScoreStrategy):
    """Margin sampling: query where the two most likely classes are closest."""

    name = "margin"
    family = "exploitation"
    reference = "Scheffer, Decomain & Wrobel 2001, Active Hidden Markov Models for Information Extraction (IDA)"

    def scores(self, ctx: PoolContext) -> np.ndarray:
        return margin_scores(ctx.proba(self.name))


@register
class EntropySampling(ScoreStrategy):
    """Entropy sampling: query where the predictive distribution has the highest entropy."""

    name = "entropy"
    family = "exploitation"
    reference = "Settles & Craven 2008, An Analysis of Active Learning Strategies for Sequence Labeling Tasks (EMNLP)"

    def scores(self, ctx: PoolContext) -> np.ndarray:
        return entropy_scores(ctx.proba(self.name))
