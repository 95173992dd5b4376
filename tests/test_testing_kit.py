"""The conformance kit itself: correct toy strategies pass, and each deliberately broken toy
fails the check written to catch it (a check that cannot fail checks nothing)."""

from __future__ import annotations

import random
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from activelab import ColdStartError, Selection, Strategy
from activelab.strategies import strategy_class, strategy_names, top_k
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

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def _scores(self, ctx) -> np.ndarray:
        return np.asarray(ctx.X)[ctx.candidate_idx, 0] + self.offset

    def select(self, ctx, batch_size, rng):
        cand = ctx.candidate_idx
        scores = self._scores(ctx)
        return Selection(idx=cand[top_k(scores, batch_size, rng)], scores=scores, candidate_idx=cand)


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
        self.n_updates_ = getattr(self, "n_updates_", 0) + 1


# -- broken toys, one fault each ----------------------------------------------------------------


def _broken(base, cls_name, doc, **attrs):
    """A subclass of `base` with one fault (`attrs` override class attributes or methods)."""
    return type(cls_name, (base,), {"__doc__": doc, "name": f"toy_{cls_name.lower()}", **attrs})


def _select_then(change):
    def select(self, ctx, batch_size, rng):
        return change(self, ctx, type(self).__mro__[1].select(self, ctx, batch_size, rng), rng)
    return select


def _init_copies(self, arms=("a", "b")):
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


def _update_select_reads(self, feedback):
    self.n_updates_ = getattr(self, "n_updates_", 0) + 1


def _select_bumps_state(self, ctx, sel, rng):
    if hasattr(self, "n_updates_"):
        self.n_updates_ += 1
    return sel


def _append_to_log(self, ctx, sel, rng):
    self.offset.append(1)
    return sel


def _mute_cold_start(self, ctx):
    if ctx.model is None:
        raise ColdStartError("no model")
    return GoodModel._scores(self, ctx)


class LogParam(Good):
    """A toy whose parameter is a list (to be mutated by a broken subclass)."""

    name = "toy_log_param"

    def __init__(self, offset=None) -> None:
        self.offset = offset

    def _scores(self, ctx) -> np.ndarray:
        return np.asarray(ctx.X)[ctx.candidate_idx, 0]


BROKEN = [
    # metadata
    ("check_metadata", _broken(Good, "NoReference", "No paper.", reference="")),
    ("check_metadata", _broken(Good, "BadFamily", "Unknown family.", family="greedy")),
    ("check_metadata", _broken(Good, "NoDocstring", None)),
    ("check_metadata", _broken(Good, "BadReports", "Unknown promise.", reports_scores="maybe")),
    ("check_metadata", _broken(Good, "AdaptiveWithoutUpdate", "Says adaptive, never learns.",
                               family="adaptive")),
    ("check_metadata", _broken(Good, "UpdateNotAdaptive", "Learns but says exploration.",
                               update=_update_select_reads)),
    ("check_metadata", _broken(Good, "TakesRegisteredName", "Steals a name.", name="margin")),
    # __init__
    ("check_init_stores_params", _broken(Good, "InitCopies", "Copies a parameter.",
                                         __init__=_init_copies)),
    ("check_init_stores_params", _broken(Good, "InitValidates", "Validates in __init__.",
                                         __init__=_init_validates)),
    ("check_init_stores_params", _broken(Good, "InitSetsState", "Sets a non-parameter.",
                                         __init__=_init_sets_state)),
    ("check_init_stores_params", _broken(Good, "InitVarargs", "Takes *args.",
                                         __init__=_init_varargs)),
    # clone
    ("check_clone", _broken(Good, "CloneCopies", "Copies a parameter, so clone refuses.",
                            __init__=_init_copies)),
    ("check_clone", _broken(Good, "ReprById", "A repr that names the object.",
                            __repr__=lambda self: f"<toy at {id(self)}>")),
    # contract
    ("check_contract", _broken(Good, "ShortBatch", "One row short.", select=_select_then(
        lambda self, ctx, sel, rng: replace(sel, idx=sel.idx[:-1])))),
    ("check_contract", _broken(Good, "Duplicates", "Repeats its first pick.", select=_select_then(
        lambda self, ctx, sel, rng: replace(sel, idx=np.full_like(sel.idx, sel.idx[0]))))),
    ("check_contract", _broken(Good, "PicksLabeled", "Returns a labeled row.", select=_select_then(
        lambda self, ctx, sel, rng: replace(sel, idx=np.r_[ctx.labeled_idx[:1], sel.idx[1:]])))),
    ("check_contract", _broken(Good, "OutOfRange", "Returns a row past the pool.", select=_select_then(
        lambda self, ctx, sel, rng: replace(sel, idx=np.r_[sel.idx[:-1], ctx.n_samples])))),
    ("check_contract", _broken(Good, "FloatIdx", "Returns float positions.", select=_select_then(
        lambda self, ctx, sel, rng: replace(sel, idx=sel.idx.astype(float))))),
    ("check_contract", _broken(Good, "NotASelection", "Returns a bare array.", select=_select_then(
        lambda self, ctx, sel, rng: sel.idx))),
    ("check_contract", _broken(Good, "MutatesX", "Writes into X.", select=_select_then(
        lambda self, ctx, sel, rng: (ctx.X.__setitem__((0, 0), 99.0), sel)[1]))),
    ("check_contract", _broken(Good, "MutatesLabels", "Writes into y.", select=_select_then(
        lambda self, ctx, sel, rng: (ctx.y.__setitem__(sel.idx[0], 0), sel)[1]))),
    ("check_contract", _broken(GoodModel, "FitsUserModel", "Trains the user's model.",
                               select=_select_then(lambda self, ctx, sel, rng: (
                                   ctx.factory.estimator.fit(ctx.X[ctx.labeled_idx],
                                                             ctx.y[ctx.labeled_idx]), sel)[1]))),
    # determinism
    ("check_determinism", _broken(Good, "GlobalNumpy", "Draws from np.random.", select=_select_then(
        lambda self, ctx, sel, rng: replace(sel, idx=np.random.permutation(ctx.candidate_idx)[:len(sel.idx)])))),
    ("check_determinism", _broken(Good, "GlobalRandom", "Draws from random.", select=_select_then(
        lambda self, ctx, sel, rng: replace(sel, idx=np.array(
            random.sample(ctx.candidate_idx.tolist(), len(sel.idx))))))),
    ("check_determinism", _broken(Good, "NoisyScores", "Scores with global noise.", select=_select_then(
        lambda self, ctx, sel, rng: replace(sel, scores=sel.scores + np.random.rand(len(sel.scores)))))),
    # select does not learn
    ("check_select_does_not_learn", _broken(Good, "SelectLearns", "Sets a learned attribute.",
                                            select=_select_then(lambda self, ctx, sel, rng: (
                                                setattr(self, "fitted_", True), sel)[1]))),
    ("check_select_does_not_learn", _broken(LogParam, "MutatesParam", "Appends to its parameter.",
                                            select=_select_then(_append_to_log))(offset=[])),
    # cold start
    ("check_cold_start", _broken(Good, "HiddenModelUse", "Says no model, reads probabilities.",
                                 _scores=GoodModel._scores)),
    ("check_cold_start", _broken(GoodModel, "ModelUnused", "Says it needs a model, uses none.",
                                 _scores=Good._scores)),
    ("check_cold_start", _broken(GoodModel, "MuteColdStart", "A ColdStartError without a fix.",
                                 _scores=_mute_cold_start)),
    # rounds
    ("check_rounds", _broken(GoodAdaptive, "NeverLearns", "Adaptive, learns nothing.",
                             update=lambda self, feedback: None)),
    ("check_rounds", _broken(GoodAdaptive, "SelectBumpsState", "Select changes learned state.",
                             select=_select_then(_select_bumps_state))),
    ("check_rounds", _broken(GoodAdaptive, "NoArm", "Adaptive without info['arm'].",
                             select=_select_then(lambda self, ctx, sel, rng: replace(sel, info={})))),
    ("check_rounds", _broken(GoodAdaptive, "NoisyUpdate", "Learns from the global RNG.",
                             update=lambda self, fb: setattr(self, "seed_", np.random.randint(2**31)),
                             _scores=lambda self, ctx: GoodModel._scores(self, ctx) * 0 + np.random.default_rng(
                                 getattr(self, "seed_", 0)).random(len(ctx.candidate_idx)))),
    # scores
    ("check_scores", _broken(Good, "AlwaysButNone", "Promises scores, returns none.",
                             select=_select_then(lambda self, ctx, sel, rng: replace(sel, scores=None)))),
    ("check_scores", _broken(Good, "NeverButScores", "Promises none, returns scores.",
                             reports_scores="never")),
    ("check_scores", _broken(Good, "ScoresEveryRow", "Scores the whole pool, not the candidates.",
                             select=_select_then(lambda self, ctx, sel, rng: replace(
                                 sel, scores=np.zeros(ctx.n_samples))))),
    ("check_scores", _broken(Good, "CandidatesShuffled", "candidate_idx out of order.",
                             select=_select_then(lambda self, ctx, sel, rng: replace(
                                 sel, candidate_idx=sel.candidate_idx[::-1])))),
    ("check_scores", _broken(Good, "NaNScores", "A NaN among the scores.",
                             select=_select_then(lambda self, ctx, sel, rng: replace(
                                 sel, scores=np.r_[np.nan, sel.scores[1:]])))),
    ("check_scores", _broken(Good, "SometimesMisaligned", "Sometimes, and then misaligned.",
                             reports_scores="sometimes",
                             select=_select_then(lambda self, ctx, sel, rng: replace(
                                 sel, scores=sel.scores[:-1])))),
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
    with pytest.raises(AssertionError, match=r"check_metadata failed for strategy 'toy_noreference' \(NoReference\)"):
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
    assert all(m.kwargs == {"strict": True, "reason": "a known bug"} for p in xfails for m in p.marks)
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
