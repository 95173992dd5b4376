"""Bayesian disagreement (hybrid): BALD and variation ratios over a committee of models.

`committee (n_members, n, n_classes)` holds each member's probabilities for the candidates; the
members stand in for samples from the posterior over models (a bootstrap committee of the user's
estimator by default, or an explicit ensemble, as in Gal et al. 2017's deep ensembles / MC
samples).
"""

from __future__ import annotations

import numpy as np

from ._committee import CommitteeStrategy
from ._context import PoolContext
from ._registry import register
from .uncertainty import entropy_scores


def bald_scores(committee: np.ndarray) -> np.ndarray:
    """Mutual information between the label and the model: ``H(mean_m p_m) − mean_m H(p_m)``.

    Natural log; clipped at 0 (it is ≥ 0 by Jensen's inequality, rounding aside).
    """
    committee = np.asarray(committee, dtype=np.float64)
    n_members, n, n_classes = committee.shape
    total = entropy_scores(committee.mean(axis=0))
    expected = entropy_scores(committee.reshape(n_members * n, n_classes)).reshape(n_members, n)
    return np.maximum(total - expected.mean(axis=0), 0.0)


def variation_ratio_scores(committee: np.ndarray) -> np.ndarray:
    """``1 − f_mode / n_members``, with f_mode the number of members voting for the modal class
    (each member votes its argmax)."""
    committee = np.asarray(committee)
    n_members, n, n_classes = committee.shape
    votes = committee.argmax(axis=2)  # (M, n)
    counts = np.zeros((n, n_classes), dtype=np.intp)
    rows = np.arange(n)
    for m in range(n_members):
        counts[rows, votes[m]] += 1
    return 1.0 - counts.max(axis=1) / n_members


@register
class BALD(CommitteeStrategy):
    """BALD: query where the committee's members disagree most in what they are sure of.

    Houlsby, Huszár, Ghahramani & Lengyel 2011, "Bayesian Active Learning for Classification and
    Preference Learning" (arXiv:1112.5745); Gal, Islam & Ghahramani 2017, "Deep Bayesian Active
    Learning with Image Data" (ICML). Score: mutual information ``H[E_m p_m] − E_m H[p_m]``.

    Parameters: see `CommitteeStrategy` (``n_members``, or an explicit ``estimators`` list).
    """

    name = "bald"
    family = "hybrid"
    reference = (
        "Houlsby et al. 2011, Bayesian Active Learning for Classification and Preference "
        "Learning; Gal et al. 2017, Deep Bayesian Active Learning with Image Data (ICML)"
    )

    def scores(self, ctx: PoolContext) -> np.ndarray:
        return bald_scores(self._committee(ctx))


@register
class VariationRatios(CommitteeStrategy):
    """Variation ratios: query where the fewest committee members agree with the modal vote.

    Freeman 1965, "Elementary Applied Statistics"; Gal, Islam & Ghahramani 2017, "Deep Bayesian
    Active Learning with Image Data" (ICML). Score: ``1 − f_mode / n_members``.

    Parameters: see `CommitteeStrategy` (``n_members``, or an explicit ``estimators`` list).
    """

    name = "variation_ratios"
    family = "hybrid"
    reference = (
        "Freeman 1965, Elementary Applied Statistics; Gal et al. 2017, Deep Bayesian Active "
        "Learning with Image Data (ICML)"
    )

    def scores(self, ctx: PoolContext) -> np.ndarray:
        return variation_ratio_scores(self._committee(ctx))
