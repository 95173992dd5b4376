"""Multi-armed bandits over base strategies (adaptive): UCB1 and Beta–Bernoulli Thompson sampling.

Each round the bandit picks one arm (a base strategy) and that arm chooses the whole batch.

Reward — *surprise*: the share of the new batch that the model of the round, fitted before these
labels arrived, predicted wrongly. It needs no test labels: the oracle's answers are a held-out
check of the old model on exactly the rows the arm chose. A batch the model already predicts
correctly teaches it little; one it gets wrong moves the decision boundary. Limits: it favours
arms that seek hard rows, so it cannot tell a useful hard row from label noise or an outlier, and
it shrinks for every arm as the model improves (each arm is compared on the rounds it played).
For a reward tied to accuracy itself, use `albl` (importance-weighted accuracy).

Learned state (ending in ``_``) is created by the first `update`; `select` only reads it, so a
fresh bandit plays its arms in the order given.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._errors import InvalidInputError
from ._arms import (
    learned_state,
    arm_generators,
    arm_select,
    check_feedback_info,
    predicted_labels,
    resolve_arms,
)
from ._base import Feedback, Selection, Strategy
from ._context import PoolContext
from ._registry import register


def ucb1_index(
    reward_sums: np.ndarray, counts: np.ndarray, exploration: float = 1.0,
) -> np.ndarray:
    """UCB1 index mean_a + c · sqrt(2 ln t / n_a), t = Σ n_a; +inf for arms never played."""
    counts = np.asarray(counts, dtype=np.float64)
    t = counts.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.asarray(reward_sums, dtype=np.float64) / counts
        bonus = exploration * np.sqrt(2.0 * np.log(max(t, 1.0)) / counts)
    return np.where(counts > 0, mean + bonus, np.inf)


class _ArmBandit(Strategy):
    """One arm per round; the surprise of its batch is the reward."""

    family = "adaptive"

    def _choose(self, names: list[str], rng: np.random.Generator) -> tuple[int, dict]:
        raise NotImplementedError

    def _learn(self, arm: int, n_wrong: int, n_right: int, n_arms: int) -> None:
        raise NotImplementedError

    def select(self, ctx: PoolContext, batch_size: int, rng: np.random.Generator) -> Selection:
        names, arms = resolve_arms(self.arms, self.name)
        self._check_params()
        ctx.require_model(self.name)  # the reward compares its predictions with the labels
        m, extra = self._choose(names, rng)
        (gen,) = arm_generators(rng, 1)
        sel = arm_select(arms[m], names[m], ctx, batch_size, gen, self.name)
        idx = np.asarray(sel.idx, dtype=np.intp)
        info = {
            "arm": names[m],
            "arms": [names[m]] * idx.shape[0],
            "arm_names": names,
            "predicted": predicted_labels(ctx, idx, self.name).tolist(),
            **extra,
        }
        return Selection(idx=idx, scores=sel.scores, candidate_idx=sel.candidate_idx, info=info)

    def update(self, feedback: Feedback) -> None:
        """Credit the arm played last round with the surprise of its batch."""
        names, _ = resolve_arms(self.arms, self.name)
        self._check_params()
        info = feedback.selection.info
        check_feedback_info(info, ("arm", "arm_names", "predicted"), names, self.name)
        predicted = np.asarray(info["predicted"], dtype=np.asarray(feedback.labels).dtype)
        n_wrong = int((predicted != np.asarray(feedback.labels)).sum())
        self._learn(names.index(info["arm"]), n_wrong, predicted.shape[0] - n_wrong, len(names))

    def _check_params(self) -> None:
        pass


@register
class UCBBandit(_ArmBandit):
    """UCB1 over base strategies, rewarded by how much of each batch the old model got wrong.

    Parameters
    ----------
    arms : sequence of str or Strategy
        Registered strategy names or Strategy objects (not adaptive ones).
    exploration : float >= 0
        c in mean + c · sqrt(2 ln t / n_a); 1 is UCB1, 0 is greedy after one play of each arm.

    Attributes
    ----------
    counts_ : ndarray of shape (n_arms,)
        Rounds each arm was played.
    reward_sums_ : ndarray of shape (n_arms,)
        Sum of each arm's rewards (share of its batch mispredicted, in [0, 1]).
    """

    name = "ucb"
    reference = "Auer, Cesa-Bianchi & Fischer 2002, Finite-time Analysis of the Multiarmed Bandit Problem (Machine Learning)"

    def __init__(
        self, arms: Sequence = ("random", "margin", "coreset"), exploration: float = 1.0,
    ) -> None:
        self.arms = arms
        self.exploration = exploration

    def _check_params(self) -> None:
        if not (isinstance(self.exploration, (int, float)) and self.exploration >= 0):
            raise InvalidInputError(
                f"{self.name}: exploration must be a number >= 0; got {self.exploration!r}."
            )

    def _choose(self, names, rng):
        counts = learned_state(self, "counts_", len(names))
        sums = learned_state(self, "reward_sums_", len(names))
        index = ucb1_index(sums, counts, float(self.exploration))
        unplayed = np.flatnonzero(counts == 0)
        if unplayed.size:  # play every arm once, in the order given
            m = int(unplayed[0])
        else:
            best = np.flatnonzero(index == index.max())
            m = int(rng.choice(best)) if best.size > 1 else int(best[0])
        with np.errstate(divide="ignore", invalid="ignore"):
            means = np.where(counts > 0, sums / counts, np.nan)
        return m, {
            "probabilities": {n: float(k == m) for k, n in enumerate(names)},
            "weights": {n: (None if np.isinf(v) else float(v)) for n, v in zip(names, index)},
            "means": {n: (None if np.isnan(v) else float(v)) for n, v in zip(names, means)},
            "counts": {n: int(c) for n, c in zip(names, counts)},
        }

    def _learn(self, arm, n_wrong, n_right, n_arms):
        counts = learned_state(self, "counts_", n_arms).copy()
        sums = learned_state(self, "reward_sums_", n_arms).copy()
        counts[arm] += 1
        sums[arm] += n_wrong / max(n_wrong + n_right, 1)
        self.counts_, self.reward_sums_ = counts, sums


@register
class ThompsonBandit(_ArmBandit):
    """Thompson sampling over base strategies with a Beta posterior on each arm's surprise rate.

    Every label is a Bernoulli trial — success when the old model mispredicted it — so arm a's
    posterior is Beta(α₀ + wrong_a, β₀ + right_a); each round one draw per arm picks the arm.

    Parameters
    ----------
    arms : sequence of str or Strategy
        Registered strategy names or Strategy objects (not adaptive ones).
    prior : (float, float)
        (α₀, β₀) of the Beta prior, both > 0; (1, 1) is uniform.
    discount : float in (0, 1]
        Factor applied to past counts at each update, so the posterior follows a reward that
        drifts as the model improves; 1 keeps every observation.

    Attributes
    ----------
    alpha_, beta_ : ndarray of shape (n_arms,)
        Posterior parameters, prior included.
    """

    name = "thompson"
    reference = "Thompson 1933 (Biometrika); Chapelle & Li 2011, An Empirical Evaluation of Thompson Sampling (NeurIPS)"

    def __init__(
        self, arms: Sequence = ("random", "margin", "coreset"), prior: tuple = (1.0, 1.0),
        discount: float = 1.0,
    ) -> None:
        self.arms = arms
        self.prior = prior
        self.discount = discount

    def _check_params(self) -> None:
        prior = np.asarray(self.prior, dtype=np.float64) if _is_pair(self.prior) else None
        if prior is None or not (np.isfinite(prior).all() and (prior > 0).all()):
            raise InvalidInputError(
                f"{self.name}: prior must be a pair (alpha, beta) of positive numbers; "
                f"got {self.prior!r}."
            )
        if not (isinstance(self.discount, (int, float)) and 0 < self.discount <= 1):
            raise InvalidInputError(
                f"{self.name}: discount must be in (0, 1]; got {self.discount!r}."
            )

    def _posterior(self, n_arms: int) -> tuple[np.ndarray, np.ndarray]:
        a0, b0 = (float(v) for v in self.prior)
        alpha = getattr(self, "alpha_", None)
        if alpha is None:
            return np.full(n_arms, a0), np.full(n_arms, b0)
        return learned_state(self, "alpha_", n_arms), learned_state(self, "beta_", n_arms)

    def _choose(self, names, rng):
        alpha, beta = self._posterior(len(names))
        draws = rng.beta(alpha, beta)
        m = int(np.argmax(draws))
        return m, {
            "weights": {n: float(v) for n, v in zip(names, alpha / (alpha + beta))},
            "samples": {n: float(v) for n, v in zip(names, draws)},
        }

    def _learn(self, arm, n_wrong, n_right, n_arms):
        a0, b0 = (float(v) for v in self.prior)
        alpha, beta = self._posterior(n_arms)
        # discount the evidence, not the prior
        alpha = a0 + self.discount * (alpha - a0)
        beta = b0 + self.discount * (beta - b0)
        alpha[arm] += n_wrong
        beta[arm] += n_right
        self.alpha_, self.beta_ = alpha, beta


def _is_pair(value) -> bool:
    try:
        return len(value) == 2 and all(isinstance(v, (int, float, np.number)) for v in value)
    except TypeError:
        return False
