"""Multi-armed bandits over base strategies (adaptive): UCB1 and Beta–Bernoulli Thompson sampling.

UCB1 plays one arm per round and that arm chooses the whole batch. Thompson sampling fills a
batch of b labels with b independent posterior draws, one per slot (batch Thompson sampling,
as in Kandasamy et al. 2018): a confident posterior gives every slot to one arm, an uncertain
one splits the batch, and with b = 1 it is the classic algorithm.

Reward — *surprise*: whether the model of the round, fitted before these labels arrived,
predicted a new label wrongly; each label is credited to the arm that chose it. It needs no test
labels: the oracle's answers are a held-out check of the old model on exactly the rows the arm
chose. A row the model already predicts correctly teaches it little; one it gets wrong moves the
decision boundary. Limits: it favours arms that seek hard rows, so it cannot tell a useful hard
row from label noise or an outlier, and it shrinks for every arm as the model improves (each arm
is compared on the rounds it played). For a reward tied to accuracy itself, use `albl`
(importance-weighted accuracy).

Default arms: margin (the strongest uncertainty baseline in our runs) and TypiClust (typical
points of uncovered clusters, the exploration strategy built for small budgets, where margin is
weakest); Thompson sampling adds core-set (coverage of the pool), since splitting slots costs it
little, while UCB1 must play every arm before it can exploit, so it keeps two. With surprise as
the reward, ``random`` is rarely worth an arm: its rows are the least surprising. The numbers
behind this choice are in docs/results/README.md.

Learned state (ending in ``_``) is created by the first `update`; `select` only reads it, so a
fresh bandit plays its arms in the order given (UCB) or uniformly at random (Thompson).
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
    majority_arm,
    predicted_labels,
    resolve_arms,
)
from ._base import Feedback, Selection, Strategy
from ._context import PoolContext
from .params import Interval, Predicate
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
    """Arms fill the batch's slots; each label's surprise is credited to the arm that chose it."""

    family = "adaptive"
    reports_scores = "sometimes"  # the arm's scores when one arm fills the batch

    def _slot_arms(self, names: list[str], batch_size: int,
                   rng: np.random.Generator) -> tuple[np.ndarray, dict]:
        """The arm (index into `names`) of each of the batch's `batch_size` slots, and facts
        for `Selection.info`."""
        raise NotImplementedError

    def _learn(self, wrong: np.ndarray, right: np.ndarray) -> None:
        """Fold one round's outcome into the learned state: per arm, how many of the labels it
        chose the old model got wrong / right (arms that chose nothing have 0 and 0)."""
        raise NotImplementedError

    def select(self, ctx: PoolContext, batch_size: int, rng: np.random.Generator) -> Selection:
        names, arms = resolve_arms(self.arms, self.name)
        self._validate_params()
        ctx.require_model(self.name)  # the reward compares its predictions with the labels
        slots, extra = self._slot_arms(names, batch_size, rng)
        gens = arm_generators(rng, len(arms))
        played = sorted(set(slots.tolist()))
        chosen = {m: arm_select(arms[m], names[m], ctx, batch_size, gens[m], self.name)
                  for m in played}
        idx = fill_slots(slots, {m: np.asarray(sel.idx, dtype=np.intp) for m, sel in chosen.items()})
        pick_arms = [names[m] for m in slots]
        info = {
            "arm": majority_arm(pick_arms, names),
            "arms": pick_arms,
            "arm_names": names,
            "predicted": predicted_labels(ctx, idx, self.name).tolist(),
            **extra,
        }
        if len(played) == 1:  # the batch is one arm's: keep its scores for "why chosen"
            sel = chosen[played[0]]
            return Selection(idx=idx, scores=sel.scores, candidate_idx=sel.candidate_idx, info=info)
        return Selection(idx=idx, info=info)

    def update(self, feedback: Feedback) -> None:
        """Credit each arm with the surprise of the labels it chose last round."""
        names, _ = resolve_arms(self.arms, self.name)
        self._validate_params()
        info = feedback.selection.info
        check_feedback_info(info, ("arms", "arm_names", "predicted"), names, self.name)
        labels = np.asarray(feedback.labels)
        predicted = np.asarray(info["predicted"], dtype=labels.dtype)
        if predicted.shape != labels.shape or len(info["arms"]) != labels.shape[0]:
            raise InvalidInputError(
                f"{self.name}: the feedback has {labels.shape[0]} labels for a selection of "
                f"{len(info['arms'])} rows; pass the labels of exactly the selected rows."
            )
        arm_of = np.array([names.index(a) for a in info["arms"]], dtype=np.intp)
        known = feedback.known_mask()  # picks not labeled yet teach nothing
        miss = predicted != labels
        wrong = np.bincount(arm_of[known & miss], minlength=len(names)).astype(np.float64)
        right = np.bincount(arm_of[known & ~miss], minlength=len(names)).astype(np.float64)
        self._learn(wrong, right)


def fill_slots(slots: np.ndarray, ranked: dict[int, np.ndarray]) -> np.ndarray:
    """Rows for the batch's slots: slot s takes arm slots[s]'s best row not already taken.

    Each arm ranked `len(slots)` distinct rows, and the other arms take at most
    `len(slots) − (its own slots)` of them, so every arm always has a row left.
    """
    taken: set[int] = set()
    cursor = dict.fromkeys(ranked, 0)
    out = np.empty(slots.shape[0], dtype=np.intp)
    for s, m in enumerate(slots.tolist()):
        order = ranked[m]
        while int(order[cursor[m]]) in taken:
            cursor[m] += 1
        out[s] = order[cursor[m]]
        taken.add(int(out[s]))
        cursor[m] += 1
    return out


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
        Labels each arm chose (each label is one play; a batch is that many plays with delayed
        feedback, so the confidence bonus shrinks with labels, not rounds).
    reward_sums_ : ndarray of shape (n_arms,)
        Labels each arm chose that the old model mispredicted (the reward is 0 or 1 per label).
    """

    name = "ucb"
    reference = "Auer, Cesa-Bianchi & Fischer 2002, Finite-time Analysis of the Multiarmed Bandit Problem (Machine Learning)"

    def __init__(
        self, arms: Sequence = ("margin", "typiclust"), exploration: float = 1.0,
    ) -> None:
        self.arms = arms
        self.exploration = exploration

    _parameter_constraints = {"exploration": [Interval("real", 0)]}

    def _slot_arms(self, names, batch_size, rng):
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
        return np.full(batch_size, m, dtype=np.intp), {
            "probabilities": {n: float(k == m) for k, n in enumerate(names)},
            "weights": {n: (None if np.isinf(v) else float(v)) for n, v in zip(names, index)},
            "means": {n: (None if np.isnan(v) else float(v)) for n, v in zip(names, means)},
            "counts": {n: int(c) for n, c in zip(names, counts)},
        }

    def _learn(self, wrong, right):
        """Each label is one play of the arm that chose it, rewarded 1 when it surprised."""
        n_arms = wrong.shape[0]
        self.counts_ = learned_state(self, "counts_", n_arms) + wrong + right
        self.reward_sums_ = learned_state(self, "reward_sums_", n_arms) + wrong


@register
class ThompsonBandit(_ArmBandit):
    """Thompson sampling over base strategies with a Beta posterior on each arm's surprise rate.

    Every label is a Bernoulli trial — success when the old model mispredicted it — so arm a's
    posterior is Beta(α₀ + wrong_a, β₀ + right_a). Each slot of the batch draws once from every
    arm's posterior and goes to the arm with the highest draw (batch Thompson sampling; Kandasamy
    et al. 2018, Parallelised Bayesian Optimisation via Thompson Sampling, AISTATS).

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
    reference = "Thompson 1933 (Biometrika); Chapelle & Li 2011, An Empirical Evaluation of Thompson Sampling (NeurIPS); batch: Kandasamy et al. 2018 (AISTATS)"

    def __init__(
        self, arms: Sequence = ("margin", "typiclust", "coreset"), prior: tuple = (1.0, 1.0),
        discount: float = 1.0,
    ) -> None:
        self.arms = arms
        self.prior = prior
        self.discount = discount

    _parameter_constraints = {
        "prior": [Predicate(lambda v: _is_positive_pair(v), "a pair (alpha, beta) of positive numbers")],
        "discount": [Interval("real", 0, 1, closed="right")],
    }

    def _posterior(self, n_arms: int) -> tuple[np.ndarray, np.ndarray]:
        a0, b0 = (float(v) for v in self.prior)
        alpha = getattr(self, "alpha_", None)
        if alpha is None:
            return np.full(n_arms, a0), np.full(n_arms, b0)
        return learned_state(self, "alpha_", n_arms), learned_state(self, "beta_", n_arms)

    def _slot_arms(self, names, batch_size, rng):
        alpha, beta = self._posterior(len(names))
        draws = rng.beta(alpha, beta, size=(batch_size, len(names)))
        slots = draws.argmax(axis=1).astype(np.intp)
        return slots, {
            "weights": {n: float(v) for n, v in zip(names, alpha / (alpha + beta))},
            "probabilities": {n: float(np.mean(slots == k)) for k, n in enumerate(names)},
        }

    def _learn(self, wrong, right):
        a0, b0 = (float(v) for v in self.prior)
        alpha, beta = self._posterior(wrong.shape[0])
        # discount the evidence, not the prior, once per round
        alpha = a0 + self.discount * (alpha - a0) + wrong
        beta = b0 + self.discount * (beta - b0) + right
        self.alpha_, self.beta_ = alpha, beta


def _is_positive_pair(value) -> bool:
    """(alpha, beta): two finite positive numbers."""
    if isinstance(value, (str, bytes)) or len(value) != 2:
        return False
    if not all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in value):
        return False
    pair = np.asarray(value, dtype=np.float64)
    return bool(np.isfinite(pair).all() and (pair > 0).all())
