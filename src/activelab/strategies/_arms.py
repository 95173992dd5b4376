"""Arms of the adaptive strategies: resolve names or objects to strategies, derive each arm's
random generator from the one handed to `select`, and name the arm that produced a batch.

Every adaptive strategy records in `Selection.info`:

- ``"arm"``: the arm used this round (the most frequent one when a batch mixes arms; ties go to
  the arm listed first), a contract the experiment runner plots over rounds;
- ``"arms"``: the arm of each pick, aligned with `Selection.idx`;
- ``"arm_names"``: every arm's name, in `arms` order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from .._errors import ColdStartError, InvalidInputError
from ._base import Selection, Strategy
from ._context import PoolContext
from ._registry import make_strategy


def resolve_arms(arms, who: str) -> tuple[list[str], list[Strategy]]:
    """Names and strategy objects of `arms` (registered names or Strategy objects).

    Names are made unique by suffixes (``margin``, ``margin_2``) so each arm is addressable.

    Raises
    ------
    InvalidInputError
        `arms` is empty, not a sequence, or holds an adaptive strategy (whose `update` would
        never be called from inside another bandit).
    UnknownNameError
        A name is not registered.
    """
    if isinstance(arms, (str, Strategy)):
        arms = (arms,)
    if not isinstance(arms, Sequence):
        raise InvalidInputError(
            f"{who}: arms must be a sequence of strategy names or Strategy objects; "
            f"got {type(arms).__name__}."
        )
    if len(arms) == 0:
        raise InvalidInputError(
            f"{who}: arms is empty; pass at least one registered strategy name or Strategy, "
            "e.g. arms=('random', 'margin')."
        )
    strategies = [make_strategy(arm) for arm in arms]
    names: list[str] = []
    for strat in strategies:
        if strat.family == "adaptive":
            raise InvalidInputError(
                f"{who}: arm {strat.name!r} is itself adaptive and would never learn inside "
                "another bandit; use non-adaptive strategies as arms."
            )
        name, k = strat.name, 1
        while name in names:
            k += 1
            name = f"{strat.name}_{k}"
        names.append(name)
    return names, strategies


def learned_state(strategy: Strategy, attr: str, n_arms: int) -> np.ndarray:
    """A bandit's per-arm learned array `attr` (zeros before the first update), checked against
    the current number of arms."""
    value = getattr(strategy, attr, None)
    if value is None:
        return np.zeros(n_arms)
    if value.shape != (n_arms,):
        raise InvalidInputError(
            f"{strategy.name}: learned state for {value.shape[0]} arms but has {n_arms} arms; "
            "clone the strategy after changing its arms."
        )
    return value


def arm_generators(rng: np.random.Generator, n: int) -> list[np.random.Generator]:
    """`n` independent generators derived from `rng` (so `rng` stays the only randomness source)."""
    return [np.random.default_rng(int(s)) for s in rng.integers(2**63 - 1, size=n)]


def arm_select(
    arm: Strategy, name: str, ctx: PoolContext, batch_size: int, rng: np.random.Generator,
    who: str,
) -> Selection:
    """`arm.select`, with a ColdStartError that names the bandit and the arm."""
    try:
        return arm.select(ctx, batch_size, rng)
    except ColdStartError as exc:
        raise ColdStartError(f"{who}: arm {name!r} cannot select yet: {exc}") from exc


def majority_arm(picks: Sequence[str], names: Sequence[str]) -> str:
    """The most frequent arm among `picks`; ties go to the arm listed first in `names`."""
    counts = Counter(picks)
    best = max(counts.values())
    return next(name for name in names if counts.get(name, 0) == best)


def check_feedback_info(info: dict, keys: Sequence[str], names: Sequence[str], who: str) -> None:
    """Raise unless a Selection's info holds `keys` and was made with the same arms."""
    missing = [k for k in keys if k not in info]
    if missing:
        raise InvalidInputError(
            f"{who}: the feedback's selection lacks {missing}; pass back the Selection this "
            "strategy returned from select."
        )
    if list(info["arm_names"]) != list(names):
        raise InvalidInputError(
            f"{who}: the feedback was made with arms {list(info['arm_names'])} but the strategy "
            f"now has {list(names)}; clone the strategy after changing its arms."
        )


def predicted_labels(ctx: PoolContext, idx: np.ndarray, who: str) -> np.ndarray:
    """The current model's predicted labels for rows `idx` (candidates), from the cached proba."""
    proba = ctx.proba(who)
    pos = np.searchsorted(ctx.candidate_idx, idx)
    return ctx.classes[proba[pos].argmax(axis=1)]
