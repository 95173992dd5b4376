"""Active Learning by Learning (ALBL): EXP4.P over a set of base strategies (adaptive).

Hsu & Lin 2015 treat each base strategy as an *expert* whose advice is a distribution over the
unlabeled candidates, and let the contextual bandit EXP4.P (Beygelzimer et al. 2011) learn
online which experts to trust. With N experts and horizon T (the label budget):

- mixing:  p_m = (1 − N·p_min) · w_m / Σ_k w_k + p_min,   p_min = sqrt(ln N / (N·T));
- query:   q(j) = Σ_m p_m ψ_m(j), and the query i ~ q (drawn as "expert m ~ p, then j ~ ψ_m",
  which has the same law and says which expert produced the pick);
- reward:  IW-ACC(f, τ) = 1/(n·T) · Σ_{s≤τ} W_s · [f(x_{i_s}) = y_{i_s}],  W_s = 1/q_s(i_s),
  the importance-weighted accuracy of the refitted model f on every point ALBL queried so far
  (n = pool size);
- update:  ŷ_m = r · ψ_m(i)/q(i),  v̂_m = 1/p_m,
           w_m ← w_m · exp( p_min/2 · (ŷ_m + v̂_m · sqrt(ln(N/δ) / (N·T))) ).

Choices, following libact's maintained ALBL (the authors' reference implementation):

- The exploration floor p_min acts on the experts (the "actions" count K = N), not on the n
  candidates: Exp4.P needs K·p_min ≤ 1, which sqrt(ln N / (n·T)) breaks whenever the pool holds
  more than about T / ln N rows. Hence v̂_m = 1/p_m, which bounds the variance of ŷ_m
  (Σ_j ψ_m(j)²/q(j) ≤ 1/p_m since q(j) ≥ p_m ψ_m(j)).
- Advice: uniform random sampling (`random`) advises the uniform distribution over the remaining
  candidates, as the paper's RAND expert does; it is what makes IW-ACC an unbiased estimate over
  the pool, so keep it among the arms. Every other arm advises one-hot on its top remaining pick.
- Batches: a batch of b labels is b EXP4.P steps drawn sequentially without replacement (each
  step's advice ignores rows already picked). The loop refits once per round, so rewards are
  delayed: after the round, all b steps are credited with the reward of the refitted model, using
  the probabilities they were drawn with. With b = 1 this is the paper's algorithm.
- Points already labeled are not candidates, so the paper's "sample again for free when the
  draw is already labeled" never happens here.

Learned state (ending in ``_``) is created by the first `update`; `select` only reads it, so a
fresh strategy selects with uniform weights.
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
    resolve_arms,
)
from ._base import Feedback, Selection, Strategy
from ._context import PoolContext
from .params import Interval
from ._registry import register
from .random import RandomSampling

# ---------------------------------------------------------------------------------------------
# EXP4.P, as pure functions of the (log-)weights. Weights are kept as logs so that long runs do
# not overflow; w = exp(log_weights) up to a common factor, which leaves p unchanged.


def exp4p_p_min(n_experts: int, horizon: int) -> float:
    """sqrt(ln N / (K·T)) with K = N: each expert is drawn with probability at least this."""
    return float(np.sqrt(np.log(n_experts) / (n_experts * horizon)))


def exp4p_probabilities(log_weights: np.ndarray, p_min: float) -> np.ndarray:
    """p_m = (1 − N·p_min) · w_m / Σ_k w_k + p_min, shape (n_experts,)."""
    log_weights = np.asarray(log_weights, dtype=np.float64)
    w = np.exp(log_weights - log_weights.max())
    return (1.0 - log_weights.shape[0] * p_min) * w / w.sum() + p_min


def exp4p_update(
    log_weights: np.ndarray, probabilities: np.ndarray, advice: np.ndarray,
    query_probability: float, reward: float, *, p_min: float, delta: float, horizon: int,
) -> np.ndarray:
    """One EXP4.P weight update after querying candidate i with reward r.

    Parameters
    ----------
    log_weights : ndarray of shape (n_experts,)
        log w before the update.
    probabilities : ndarray of shape (n_experts,)
        p, the expert distribution the query was drawn with.
    advice : ndarray of shape (n_experts,)
        ψ_m(i): each expert's advised probability of the queried candidate i.
    query_probability : float
        q(i) = Σ_m p_m ψ_m(i).
    reward : float
        r, the reward observed for the query.

    Returns
    -------
    ndarray of shape (n_experts,)
        log w + p_min/2 · (ŷ + v̂ · sqrt(ln(N/δ) / (N·T))) with ŷ_m = r ψ_m(i)/q(i), v̂_m = 1/p_m.
    """
    log_weights = np.asarray(log_weights, dtype=np.float64)
    n_experts = log_weights.shape[0]
    y_hat = reward * np.asarray(advice, dtype=np.float64) / query_probability
    v_hat = 1.0 / np.asarray(probabilities, dtype=np.float64)
    confidence = np.sqrt(np.log(n_experts / delta) / (n_experts * horizon))
    return log_weights + p_min / 2.0 * (y_hat + v_hat * confidence)


def importance_weighted_accuracy(
    importance_weights: np.ndarray, correct: np.ndarray, n_samples: int, horizon: int,
) -> float:
    """IW-ACC = 1/(n·T) · Σ_s W_s · correct_s (Hsu & Lin 2015, the ALBL reward)."""
    w = np.asarray(importance_weights, dtype=np.float64)
    return float(np.dot(w, np.asarray(correct, dtype=np.float64)) / (n_samples * horizon))


# ---------------------------------------------------------------------------------------------


@register
class ActiveLearningByLearning(Strategy):
    """Active Learning by Learning: EXP4.P learns online which base strategy to follow.

    Parameters
    ----------
    arms : sequence of str or Strategy
        The experts: registered strategy names or Strategy objects (not adaptive ones). Keep
        ``"random"`` among them: its uniform advice makes the IW-ACC reward unbiased.
    budget : int
        T, the number of labels ALBL expects to query (all rounds together); it sets p_min, the
        confidence term and the reward's scale. Running past it is allowed.
    delta : float in (0, 1]
        δ, EXP4.P's confidence parameter.
    p_min : float or None
        Minimum probability of every expert, in [0, 1/len(arms)]; None: sqrt(ln N / (N·T)).

    Attributes
    ----------
    log_weights_ : ndarray of shape (n_arms,)
        log of the EXP4.P weights (up to a constant).
    queried_idx_ : ndarray of int
        Every row ALBL queried so far, in order.
    importance_weights_ : ndarray of float
        1/q(i) for each queried row.
    reward_ : float
        The last IW-ACC reward.
    n_steps_ : int
        EXP4.P steps taken (labels queried).
    """

    name = "albl"
    reports_scores = "never"  # each pick is one EXP4.P draw
    _parameter_constraints = {
        "budget": [Interval("int", 1)],
        "delta": [Interval("real", 0, 1, closed="right")],
        "p_min": [None, Interval("real", 0, 1)],
    }
    family = "adaptive"
    reference = "Hsu & Lin 2015, Active Learning by Learning (AAAI); EXP4.P: Beygelzimer et al. 2011 (AISTATS)"

    def __init__(
        self, arms: Sequence = ("random", "margin", "typiclust"), budget: int = 200,
        delta: float = 0.1, p_min: float | None = None,
    ) -> None:
        self.arms = arms
        self.budget = budget
        self.delta = delta
        self.p_min = p_min

    # -- parameters ---------------------------------------------------------------------------

    def _exp4p_params(self, n_arms: int) -> tuple[float, float, int]:
        self._validate_params()
        if self.p_min is None:
            p_min = exp4p_p_min(n_arms, int(self.budget))
        elif self.p_min <= 1.0 / n_arms:  # the bound depends on the arms
            p_min = float(self.p_min)
        else:
            raise InvalidInputError(
                f"{self.name}: p_min must be in [0, 1/len(arms)] = [0, {1.0 / n_arms:.4g}]; "
                f"got {self.p_min!r}."
            )
        if n_arms * p_min > 1.0:  # only for budget < N ln N with the default formula
            p_min = 1.0 / n_arms
        return p_min, float(self.delta), int(self.budget)

    # -- select ---------------------------------------------------------------------------------

    def select(self, ctx: PoolContext, batch_size: int, rng: np.random.Generator) -> Selection:
        names, arms = resolve_arms(self.arms, self.name)
        n_arms = len(arms)
        p_min, _, _ = self._exp4p_params(n_arms)
        log_w = learned_state(self, "log_weights_", n_arms)
        p = exp4p_probabilities(log_w, p_min)
        cand = ctx.candidate_idx
        uniform = [isinstance(arm, RandomSampling) for arm in arms]
        ranked: list[np.ndarray | None] = []
        for arm, name, gen, is_uniform in zip(arms, names, arm_generators(rng, n_arms), uniform):
            if is_uniform:
                ranked.append(None)
            else:
                sel = arm_select(arm, name, ctx, batch_size, gen, self.name)
                ranked.append(np.searchsorted(cand, np.asarray(sel.idx, dtype=np.intp)))

        available = np.ones(cand.shape[0], dtype=bool)
        cursor = [0] * n_arms
        picks, pick_arms, query_p, advice_rows = [], [], [], []
        for step in range(batch_size):
            n_left = cand.shape[0] - step
            tops = [self._top_remaining(ranked[m], cursor, m, available, names[m])
                    for m in range(n_arms)]
            m = int(rng.choice(n_arms, p=p))
            i = int(rng.choice(np.flatnonzero(available))) if uniform[m] else tops[m]
            advice = np.array([1.0 / n_left if uniform[k] else float(tops[k] == i)
                               for k in range(n_arms)])
            picks.append(i)
            pick_arms.append(names[m])
            query_p.append(float(p @ advice))
            advice_rows.append(advice.tolist())
            available[i] = False

        w = np.exp(log_w - log_w.max())
        info = {
            "arm": majority_arm(pick_arms, names),
            "arms": pick_arms,
            "arm_names": names,
            "probabilities": dict(zip(names, p.tolist())),
            "weights": dict(zip(names, (w / w.sum()).tolist())),
            "query_probability": query_p,
            "advice": advice_rows,
        }
        return Selection(idx=cand[np.asarray(picks, dtype=np.intp)], info=info)

    @staticmethod
    def _top_remaining(order, cursor, m, available, name) -> int | None:
        """The arm's highest-ranked candidate position not yet picked (None for uniform arms)."""
        if order is None:
            return None
        while cursor[m] < order.shape[0] and not available[order[cursor[m]]]:
            cursor[m] += 1
        if cursor[m] == order.shape[0]:
            raise RuntimeError(f"arm {name!r} returned repeated rows; it broke the select contract.")
        return int(order[cursor[m]])

    # -- update ---------------------------------------------------------------------------------

    def update(self, feedback: Feedback) -> None:
        """Credit each pick of the last batch with the refitted model's IW-ACC (EXP4.P update)."""
        names, _ = resolve_arms(self.arms, self.name)
        n_arms = len(names)
        p_min, delta, horizon = self._exp4p_params(n_arms)
        sel = feedback.selection
        info = sel.info
        check_feedback_info(
            info, ("arm_names", "probabilities", "query_probability", "advice"), names, self.name
        )
        ctx = feedback.ctx_after

        queried = np.concatenate([
            getattr(self, "queried_idx_", np.empty(0, dtype=np.intp)),
            np.asarray(sel.idx, dtype=np.intp),
        ])
        query_p = np.asarray(info["query_probability"], dtype=np.float64)
        weights = np.concatenate([getattr(self, "importance_weights_", np.empty(0)), 1.0 / query_p])
        known = ctx.labeled[queried]  # a label undone since it was queried no longer counts
        pred = ctx.classes[ctx.predict_proba_rows(queried[known], self.name).argmax(axis=1)]
        reward = importance_weighted_accuracy(
            weights[known], pred == ctx.y[queried[known]], ctx.n_samples, horizon
        )

        p = np.array([info["probabilities"][name] for name in names])
        log_w = learned_state(self, "log_weights_", n_arms)
        answered = feedback.known_mask()  # a pick not labeled yet is not an EXP4.P step
        for advice, q, ok in zip(info["advice"], query_p, answered):
            if ok:
                log_w = exp4p_update(log_w, p, np.asarray(advice), q, reward,
                                     p_min=p_min, delta=delta, horizon=horizon)
        self.log_weights_ = log_w - log_w.max()
        self.queried_idx_ = queried
        self.importance_weights_ = weights
        self.reward_ = reward
        self.n_steps_ = int(getattr(self, "n_steps_", 0)) + int(answered.sum())
