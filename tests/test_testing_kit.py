"""The conformance kit itself: correct toy strategies pass, and each deliberately broken toy
fails the check written to catch it (a check that cannot fail checks nothing)."""

from __future__ import annotations

import random
import subprocess
import sys
from dataclasses import replace
from typing import ClassVar

import numpy as np
import pytest

from activelab import ColdStartError, Selection, Strategy
from activelab.strategies import strategy_class, strategy_names, top_k
from activelab.strategies.params import Interval, Predicate
from activelab.testing import (
    CHECKS,
    FAMILIES,
    SCORE_REPORTING,
    check_strategy,
    parametrize_with_checks,
    strategy_checks,
)

# -- correct toys ----------------------------------------------------------------------------------


class Good(Strategy):
    """A correct toy: the candidates with the largest first feature (plus `offset`)."""

    name = "toy_good"
    family = "exploration"
    reference = "activelab tests"
    needs_model = False
    _parameter_constraints: ClassVar[dict] = {"offset": [Interval("real")]}

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def _scores(self, ctx) -> np.ndarray:
        return np.asarray(ctx.X)[ctx.candidate_idx, 0] + self.offset

    def select(self, ctx, batch_size, rng):
        self._validate_params()
        cand = ctx.candidate_idx
        scores = self._scores(ctx)
        idx = cand[top_k(scores, batch_size, rng)]
        return Selection(idx=idx, scores=scores, candidate_idx=cand)


class GoodModel(Good):
    """A correct model toy: least confidence of the fitted model."""

    name = "toy_good_model"
    family = "exploitation"
    needs_model = True

    def _scores(self, ctx) -> np.ndarray:
        return 1.0 - ctx.proba(self.name).max(axis=1) + self.offset


class GoodAdaptive(GoodModel):
    """A correct adaptive toy: counts the rounds it was told about."""

    name = "toy_good_adaptive"
    family = "adaptive"

    def select(self, ctx, batch_size, rng):
        return replace(super().select(ctx, batch_size, rng), info={"arm": "least_confidence"})

    def update(self, feedback) -> None:
        _count_updates(self, feedback)


# -- broken toys, one fault each ----------------------------------------------------------------


def _faulty(base, cls_name, doc, change=None, **attrs):
    """A subclass of `base` with one fault: `change(strategy, ctx, selection)` rewrites what
    base's select returned; `attrs` override class attributes or methods."""
    if change is not None:
        def select(self, ctx, batch_size, rng):
            return change(self, ctx, base.select(self, ctx, batch_size, rng))
        attrs["select"] = select
    return type(cls_name, (base,), {"__doc__": doc, "name": f"toy_{cls_name.lower()}", **attrs})


def _init_copies(self, offset=0.0, arms=("a", "b")):
    self.offset = offset
    self.arms = list(arms)


def _init_validates(self, offset=0.0):
    if offset < 0:
        raise ValueError("offset < 0")
    self.offset = offset


def _init_sets_state(self, offset=0.0):
    self.offset = offset
    self.cache_ = {}


def _init_varargs(self, *args, offset=0.0):
    self.offset = offset


def _count_updates(self, feedback):
    self.n_updates_ = getattr(self, "n_updates_", 0) + 1


def _fit_users_model(self, ctx, sel):
    ctx.factory.estimator.fit(ctx.X[ctx.labeled_idx], ctx.y[ctx.labeled_idx])
    return sel


def _write(array, where, value, sel):
    array[where] = value
    return sel


def _learn_in_select(self, ctx, sel):
    self.fitted_ = True
    return sel


def _append_to_param(self, ctx, sel):
    self.offset.append(1)
    return sel


def _bump_state(self, ctx, sel):
    if hasattr(self, "n_updates_"):
        self.n_updates_ += 1
    return sel


def _mute_cold_start(self, ctx):
    if ctx.model is None:
        raise ColdStartError("no model")
    return GoodModel._scores(self, ctx)


def _global_seed_update(self, feedback):
    self.seed_ = np.random.randint(2**31)


def _scores_from_seed(self, ctx):
    ctx.proba(self.name)
    return np.random.default_rng(getattr(self, "seed_", 0)).random(ctx.candidate_idx.shape[0])


class ListParam(Good):
    """A toy whose parameter is a list (for a subclass that mutates it)."""

    name = "toy_list_param"
    _parameter_constraints: ClassVar[dict] = {
        "offset": [Predicate(lambda v: isinstance(v, list), "a list")],
    }

    def __init__(self, offset=None) -> None:
        self.offset = offset

    def _scores(self, ctx) -> np.ndarray:
        return np.asarray(ctx.X)[ctx.candidate_idx, 0]


BROKEN = [
    # metadata
    ("check_metadata", _faulty(Good, "NoReference", "No paper.", reference="")),
    ("check_metadata", _faulty(Good, "BadFamily", "Unknown family.", family="greedy")),
    ("check_metadata", _faulty(Good, "NoDocstring", None)),
    ("check_metadata", _faulty(Good, "BadReports", "Unknown promise.", reports_scores="maybe")),
    ("check_metadata", _faulty(Good, "AdaptiveWithoutUpdate", "Adaptive, no update.",
                               family="adaptive")),
    ("check_metadata", _faulty(Good, "UpdateNotAdaptive", "Learns, says exploration.",
                               update=_count_updates)),
    ("check_metadata", _faulty(Good, "TakesRegisteredName", "Steals a name.", name="margin")),
    # __init__
    ("check_init_stores_params", _faulty(Good, "InitCopies", "Copies a parameter.",
                                         __init__=_init_copies)),
    ("check_init_stores_params", _faulty(Good, "InitValidates", "Validates in __init__.",
                                         __init__=_init_validates)),
    ("check_init_stores_params", _faulty(Good, "InitSetsState", "Sets a non-parameter.",
                                         __init__=_init_sets_state)),
    ("check_init_stores_params", _faulty(Good, "InitVarargs", "Takes *args.",
                                         __init__=_init_varargs)),
    # clone
    ("check_clone", _faulty(Good, "CloneCopies", "Copies a parameter, so clone refuses.",
                            __init__=_init_copies)),
    ("check_clone", _faulty(Good, "ReprById", "A repr that names the object.",
                            __repr__=lambda self: f"<toy at {id(self)}>")),
    # contract
    ("check_contract", _faulty(Good, "ShortBatch", "One row short.",
                               lambda _, ctx, sel: replace(sel, idx=sel.idx[:-1]))),
    ("check_contract", _faulty(Good, "Duplicates", "Repeats its first pick.",
                               lambda _, ctx, sel: replace(sel, idx=sel.idx[[0] * len(sel.idx)]))),
    ("check_contract", _faulty(Good, "PicksLabeled", "Returns a labeled row.",
                               lambda _, ctx, sel: replace(
                                   sel, idx=np.r_[ctx.labeled_idx[:1], sel.idx[1:]]))),
    ("check_contract", _faulty(Good, "OutOfRange", "Returns a row past the pool.",
                               lambda _, ctx, sel: replace(
                                   sel, idx=np.r_[sel.idx[:-1], ctx.n_samples]))),
    ("check_contract", _faulty(Good, "FloatIdx", "Returns float positions.",
                               lambda _, ctx, sel: replace(sel, idx=sel.idx.astype(float)))),
    ("check_contract", _faulty(Good, "NotASelection", "Returns a bare array.",
                               lambda _, ctx, sel: sel.idx)),
    ("check_contract", _faulty(Good, "MutatesX", "Writes into X.",
                               lambda _, ctx, sel: _write(ctx.X, (0, 0), 99.0, sel))),
    ("check_contract", _faulty(Good, "MutatesLabels", "Writes into y.",
                               lambda _, ctx, sel: _write(ctx.y, sel.idx[0], 0, sel))),
    ("check_contract", _faulty(GoodModel, "FitsUserModel", "Trains the user's model.",
                               _fit_users_model)),
    # determinism
    ("check_determinism", _faulty(Good, "GlobalNumpy", "Draws from np.random.",
                                  lambda _, ctx, sel: replace(sel, idx=np.random.choice(
                                      ctx.candidate_idx, len(sel.idx), replace=False)))),
    ("check_determinism", _faulty(Good, "GlobalRandom", "Draws from random.",
                                  lambda _, ctx, sel: replace(sel, idx=np.array(random.sample(
                                      ctx.candidate_idx.tolist(), len(sel.idx)))))),
    ("check_determinism", _faulty(Good, "NoisyScores", "Scores with global noise.",
                                  lambda _, ctx, sel: replace(
                                      sel, scores=sel.scores + np.random.rand(len(sel.scores))))),
    # select does not learn
    ("check_select_does_not_learn", _faulty(Good, "SelectLearns", "Sets a learned attribute.",
                                            _learn_in_select)),
    ("check_select_does_not_learn", _faulty(ListParam, "MutatesParam", "Appends to a parameter.",
                                            _append_to_param)(offset=[])),
    # parameter validation
    ("check_param_validation", _faulty(Good, "ConstraintsUnchecked", "Never validates.",
                                       _validate_params=lambda self: None)),
    ("check_param_validation", _faulty(Good, "ConstrainsNonParam", "Constrains a non-parameter.",
                                       _parameter_constraints={"offset": [Interval("real")],
                                                               "gamma": [Interval("real")]})),
    ("check_param_validation", _faulty(Good, "AcceptsAnything", "An unchecked, unused parameter.",
                                       _parameter_constraints={}, _scores=ListParam._scores)),
    # cold start
    ("check_cold_start", _faulty(Good, "HiddenModelUse", "Says no model, reads probabilities.",
                                 _scores=GoodModel._scores)),
    ("check_cold_start", _faulty(GoodModel, "ModelUnused", "Says it needs a model, uses none.",
                                 _scores=Good._scores)),
    ("check_cold_start", _faulty(GoodModel, "MuteColdStart", "A ColdStartError without a fix.",
                                 _scores=_mute_cold_start)),
    # rounds
    ("check_rounds", _faulty(GoodAdaptive, "NeverLearns", "Adaptive, learns nothing.",
                             update=lambda self, feedback: None)),
    ("check_rounds", _faulty(GoodAdaptive, "SelectBumpsState", "Select changes learned state.",
                             _bump_state)),
    ("check_rounds", _faulty(GoodAdaptive, "NoArm", "Adaptive without info['arm'].",
                             lambda _, ctx, sel: replace(sel, info={}))),
    ("check_rounds", _faulty(GoodAdaptive, "NoisyUpdate", "Learns from the global RNG.",
                             update=_global_seed_update, _scores=_scores_from_seed)),
    # scores
    ("check_scores", _faulty(Good, "AlwaysButNone", "Promises scores, returns none.",
                             lambda _, ctx, sel: replace(sel, scores=None))),
    ("check_scores", _faulty(Good, "NeverButScores", "Promises none, returns scores.",
                             reports_scores="never")),
    ("check_scores", _faulty(Good, "ScoresEveryRow", "Scores every row, not the candidates.",
                             lambda _, ctx, sel: replace(sel, scores=np.zeros(ctx.n_samples)))),
    ("check_scores", _faulty(Good, "CandidatesReversed", "candidate_idx out of order.",
                             lambda _, ctx, sel: replace(
                                 sel, candidate_idx=sel.candidate_idx[::-1]))),
    ("check_scores", _faulty(Good, "NaNScores", "A NaN among the scores.",
                             lambda _, ctx, sel: replace(
                                 sel, scores=np.r_[np.nan, sel.scores[1:]]))),
    ("check_scores", _faulty(Good, "SometimesMisaligned", "Sometimes, and then one score short.",
                             lambda _, ctx, sel: replace(sel, scores=sel.scores[:-1]),
                             reports_scores="sometimes")),
]


def _id(case):
    check, toy = case
    return f"{check}-{getattr(toy, '__name__', type(toy).__name__)}"


@pytest.mark.parametrize("strategy", [Good, Good(offset=1.5), GoodModel, GoodAdaptive])
def test_correct_toys_pass(strategy):
    check_strategy(strategy)


@pytest.mark.parametrize(("check", "toy"), BROKEN, ids=[_id(c) for c in BROKEN])
def test_each_fault_is_caught_by_its_check(check, toy):
    """The check written for the fault fails, and check_strategy names it and the strategy."""
    run = dict(strategy_checks(toy))[check]
    with pytest.raises(AssertionError, match=check):
        run()
    with pytest.raises(AssertionError) as info:
        check_strategy(toy)
    message = str(info.value)
    assert f"{check} failed for strategy 'toy_" in message or "'margin'" in message
    assert "checks failed" in message


def test_every_check_has_a_fault_that_it_catches():
    assert {check for check, _ in BROKEN} == {fn.__name__ for fn in CHECKS}


def test_strategy_checks_names_and_types():
    names = [name for name, _ in strategy_checks(Good)]
    assert names == [fn.__name__ for fn in CHECKS]
    with pytest.raises(TypeError, match="Strategy"):
        list(strategy_checks(object))
    with pytest.raises(TypeError):
        check_strategy("margin")


def test_failure_message_names_check_and_strategy():
    toy = BROKEN[0][1]
    expected = r"check_metadata failed for strategy 'toy_noreference' \(NoReference\)"
    with pytest.raises(AssertionError, match=expected):
        dict(strategy_checks(toy))["check_metadata"]()


def test_parametrize_with_checks_ids_and_expected_failures():
    mark = parametrize_with_checks(
        [Good, Good(offset=2.0)],
        expected_failed_checks={"toy_good": {"check_rounds": "a known bug"}},
    )
    assert mark.args[0] == ("strategy", "check")
    params = mark.args[1]
    ids = [p.id for p in params]
    assert "toy_good-check_contract" in ids and "toy_good(offset=2.0)-check_contract" in ids
    assert len(ids) == 2 * len(CHECKS)
    xfails = [p for p in params if p.marks]
    assert len(xfails) == 2 and all(p.id.endswith("check_rounds") for p in xfails)
    marks = [m for p in xfails for m in p.marks]
    assert all(m.kwargs == {"strict": True, "reason": "a known bug"} for m in marks)
    with pytest.raises(ValueError, match="unknown checks"):
        parametrize_with_checks([Good], expected_failed_checks={"toy_good": {"check_nope": "x"}})


@parametrize_with_checks([Good, GoodAdaptive])
def test_parametrize_with_checks_runs(strategy, check):
    check(strategy)


def test_constants_match_what_the_registry_uses():
    families = {strategy_class(n).family for n in strategy_names()}
    reports = {strategy_class(n).reports_scores for n in strategy_names()}
    assert families == set(FAMILIES)
    assert reports == set(SCORE_REPORTING)


def test_importing_activelab_imports_no_test_framework():
    code = (
        "import sys, activelab, activelab.testing; "
        "print(sorted(m for m in ('pytest', 'hypothesis', '_pytest') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
