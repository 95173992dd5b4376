"""The budget manager: hand-computed sequences and the guarantee spent(t) ≤ b·t + allowance
for every selector over random streams (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activelab import InvalidInputError
from activelab.stream import BudgetManager, make_selector, stream_selector_names


def _always(manager: BudgetManager, n: int) -> list[bool]:
    """Queries of a rule that always wants the label."""
    out = []
    for _ in range(n):
        q = manager.available()
        manager.record(q)
        out.append(q)
    return out


def test_hard_cap_by_hand():
    # b = 0.25, c = 1: a label at t when spent + 1 ≤ 0.25·t + 1 → t = 1, 4, 8, 12
    m = BudgetManager(0.25, window=None, allowance=1.0)
    got = _always(m, 12)
    assert [t + 1 for t, q in enumerate(got) if q] == [1, 4, 8, 12]


def test_windowed_estimate_by_hand():
    # w = 2, b = 0.5, cap out of the way: û = 0 → 1 → 0.5 → 1.25 → 0.625 → 1.3125: alternate
    m = BudgetManager(0.5, window=2, allowance=100.0)
    assert _always(m, 6) == [True, False, True, False, True, False]
    assert m.estimate_ == pytest.approx(0.65625)


def test_zero_allowance_waits_for_a_whole_label():
    m = BudgetManager(0.1, window=None, allowance=0.0)
    got = _always(m, 30)
    assert [t + 1 for t, q in enumerate(got) if q] == [10, 20, 30]


def test_recording_an_unaffordable_label_is_a_bug():
    m = BudgetManager(0.1, window=None, allowance=1.0)
    m.record(True)
    with pytest.raises(Exception, match="exhausted"):
        m.record(True)


@pytest.mark.parametrize("bad", [0, -0.1, 1.01, float("nan"), "0.1", True, None])
def test_budget_outside_unit_interval(bad):
    with pytest.raises(InvalidInputError, match=r"budget must be a labeling rate in \(0, 1\]"):
        BudgetManager(bad)
    with pytest.raises(InvalidInputError, match=r"\(0, 1\]"):
        make_selector("variable_uncertainty", budget=bad)


@pytest.mark.parametrize("kw", [{"window": 0}, {"window": 2.5}, {"allowance": -1},
                                {"allowance": float("inf")}])
def test_bad_manager_parameters(kw):
    with pytest.raises(InvalidInputError):
        BudgetManager(0.1, **kw)


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(stream_selector_names()),
    budget=st.floats(0.01, 1.0),
    allowance=st.floats(0.0, 3.0),
    window=st.sampled_from([None, 1, 10, 100]),
    n=st.integers(1, 400),
    n_classes=st.integers(2, 4),
    cold=st.integers(0, 30),
    seed=st.integers(0, 2**16),
)
def test_no_selector_ever_exceeds_its_budget(name, budget, allowance, window, n, n_classes,
                                             cold, seed):
    rng = np.random.default_rng(seed)
    sel = make_selector(name, budget=budget, budget_window=window, allowance=allowance)
    sel.reset(n_classes, seed)
    # probabilities from sharp to flat, so every rule has items it wants
    P = rng.dirichlet(np.full(n_classes, rng.choice([0.1, 1.0, 10.0])), size=n)
    X = rng.normal(size=(n, 2))
    spent = 0
    for t in range(1, n + 1):
        proba = None if t <= cold else P[t - 1]
        spent += sel.decide(X[t - 1], proba).queried
        assert spent <= budget * t + allowance
        assert spent == sel.budget_.spent_
    assert sel.budget_.seen_ == n
