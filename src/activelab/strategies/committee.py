"""Query by committee (exploitation): disagreement among models trained on bootstrap resamples.

`committee (n_members, n, n_classes)` holds each member's probabilities for the candidates.
References: Seung, Opper & Sompolinsky 1992 (QBC); Dagan & Engelson 1995 (vote entropy);
McCallum & Nigam 1998 (KL divergence to the mean); Abe & Mamitsuka 1998 (bagging committees).
"""

from __future__ import annotations

import numpy as np

from ._committee import CommitteeStrategy
from ._context import PoolContext
from ._registry import register


def vote_entropy_scores(committee: np.ndarray) -> np.ndarray:
    """Entropy of the members' hard votes: −Σ_k (V_k/C) log(V_k/C)."""
    n_members, n, n_classes = committee.shape
    votes = committee.argmax(axis=2)  # (C, n)
    counts = np.zeros((n, n_classes))
    for m in range(n_members):
        counts[np.arange(n), votes[m]] += 1.0
    frac = counts / n_members
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(frac > 0, frac * np.log(frac), 0.0)
    return -terms.sum(axis=1)


def kl_to_consensus_scores(committee: np.ndarray) -> np.ndarray:
    """Mean over members of KL(P_member ‖ P_consensus), with P_consensus the members' mean."""
    consensus = committee.mean(axis=0)  # (n, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(committee > 0, committee / consensus[None], 1.0)
        terms = np.where(committee > 0, committee * np.log(ratio), 0.0)
    return terms.sum(axis=2).mean(axis=0)


@register
class VoteEntropyQBC(CommitteeStrategy):
    """Query by committee with vote entropy over a bootstrap committee of the user's model.

    Parameters: see `CommitteeStrategy` (``n_members``, or an explicit ``estimators`` list).
    """

    name = "qbc_vote"
    family = "exploitation"
    reference = "Dagan & Engelson 1995, Committee-Based Sampling for Training Probabilistic Classifiers (ICML)"

    def scores(self, ctx: PoolContext) -> np.ndarray:
        return vote_entropy_scores(self._committee(ctx))


@register
class KLConsensusQBC(CommitteeStrategy):
    """Query by committee with mean KL divergence of each member to the consensus.

    Parameters: see `CommitteeStrategy` (``n_members``, or an explicit ``estimators`` list).
    """

    name = "qbc_kl"
    family = "exploitation"
    reference = "McCallum & Nigam 1998, Employing EM and Pool-Based Active Learning for Text Classification (ICML)"

    def scores(self, ctx: PoolContext) -> np.ndarray:
        return kl_to_consensus_scores(self._committee(ctx))
