"""Agreement measures (`activelab.service.agreement`) against references: scikit-learn's
cohen_kappa_score, brute-force implementations that enumerate every pair of labels, and the
published examples (Fleiss' kappa: Wikipedia's 10 × 14 table, 0.210; Krippendorff's alpha:
Krippendorff 2011's nominal example, 0.743)."""

from __future__ import annotations

from itertools import combinations, permutations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activelab.service.agreement import (
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    pair_counts,
    summarize,
)

# -- brute force: from the definitions, pair by pair -------------------------------------------


def brute_alpha(units: list[list[int]]) -> float | None:
    """Krippendorff's alpha (nominal) from its definition: D_o over the pairs within units
    (weighted 1/(m_u − 1)), D_e over all pairs of pairable values."""
    units = [u for u in units if len(u) >= 2]
    values = [v for u in units for v in u]
    n = len(values)
    if n < 2:
        return None
    d_o = sum((a != b) / (len(u) - 1) for u in units for a, b in permutations(u, 2)) / n
    d_e = sum(a != b for a, b in permutations(values, 2)) / (n * (n - 1))
    return None if d_e == 0 else 1 - d_o / d_e


def brute_fleiss(units: list[list[int]], n_classes: int) -> float | None:
    """Fleiss' kappa: the mean share of agreeing ordered rater pairs per item against the
    agreement of two labels drawn from the pooled labels with replacement."""
    m = len(units[0])
    p_bar = np.mean([sum(a == b for a, b in permutations(u, 2)) / (m * (m - 1)) for u in units])
    pooled = [v for u in units for v in u]
    p_e = sum((pooled.count(c) / len(pooled)) ** 2 for c in range(n_classes))
    return None if p_e == 1 else (p_bar - p_e) / (1 - p_e)


def to_counts(units, n_classes):
    counts = np.zeros((len(units), n_classes))
    for i, u in enumerate(units):
        for v in u:
            counts[i, v] += 1
    return counts


# -- published examples --------------------------------------------------------------------------

WIKIPEDIA_FLEISS = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0],
                    [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2],
                    [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: 4 observers,
# 12 units, values 1..5 (None: missing)
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def test_fleiss_kappa_of_the_wikipedia_example():
    assert fleiss_kappa(WIKIPEDIA_FLEISS) == pytest.approx(0.20993, abs=5e-5)
    units = [[c for c, n in enumerate(row) for _ in range(n)] for row in WIKIPEDIA_FLEISS]
    assert fleiss_kappa(WIKIPEDIA_FLEISS) == pytest.approx(brute_fleiss(units, 5))


def test_krippendorff_alpha_of_the_published_nominal_example():
    units = [[row[u] - 1 for row in KRIPPENDORFF_2011 if row[u] is not None] for u in range(12)]
    alpha = krippendorff_alpha(to_counts(units, 5))
    assert alpha == pytest.approx(0.743, abs=5e-4)
    assert alpha == pytest.approx(brute_alpha(units))


def test_cohen_kappa_by_hand():
    # 50 items: both yes 20, a yes / b no 5, a no / b yes 10, both no 15
    a = [1] * 25 + [0] * 25
    b = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    p_o, p_e = 35 / 50, (25 / 50) * (30 / 50) + (25 / 50) * (20 / 50)
    assert cohen_kappa(a, b, 2) == pytest.approx((p_o - p_e) / (1 - p_e))  # 0.4
    assert cohen_kappa([0, 0, 0], [0, 0, 0], 3) is None  # one label only: undefined
    assert cohen_kappa([], [], 2) is None


def test_undefined_and_bad_inputs():
    assert krippendorff_alpha(np.zeros((0, 3))) is None
    assert krippendorff_alpha([[2, 0], [3, 0]]) is None  # every value the same
    assert krippendorff_alpha([[1, 0], [0, 1]]) is None  # no unit has two values
    with pytest.raises(ValueError, match="same number"):
        fleiss_kappa([[2, 0], [1, 2]])
    with pytest.raises(ValueError, match="codes"):
        cohen_kappa([0, 3], [0, 1], 2)
    with pytest.raises(ValueError, match="same items"):
        cohen_kappa([0, 1], [0], 2)


# -- against the references, on random inputs ------------------------------------------------

labels_2 = st.integers(2, 4).flatmap(lambda c: st.tuples(
    st.just(c), st.lists(st.tuples(st.integers(0, c - 1), st.integers(0, c - 1)),
                         min_size=1, max_size=30)))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(labels_2)
def test_cohen_kappa_matches_scikit_learn(case):
    import warnings

    from sklearn.metrics import cohen_kappa_score

    n_classes, pairs = case
    a, b = (np.array(x) for x in zip(*pairs))
    ours = cohen_kappa(a, b, n_classes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = cohen_kappa_score(a, b, labels=list(range(n_classes)))
    if ours is None:
        assert np.isnan(ref) or (a == b).all()
    else:
        assert ours == pytest.approx(ref, abs=1e-12)


units_any = st.integers(2, 4).flatmap(lambda c: st.tuples(
    st.just(c), st.lists(st.lists(st.integers(0, c - 1), min_size=0, max_size=5), max_size=12)))


@settings(max_examples=80, deadline=None, derandomize=True)
@given(units_any)
def test_alpha_and_pairs_match_brute_force(case):
    n_classes, units = case
    counts = to_counts(units, n_classes)
    ref = brute_alpha(units)
    got = krippendorff_alpha(counts)
    assert (got is None) == (ref is None)
    if ref is not None:
        assert got == pytest.approx(ref, abs=1e-9)
    brute_pairs = np.zeros((n_classes, n_classes))
    for u in units:
        for x, y in combinations(u, 2):
            brute_pairs[x, y] += 1
            if x != y:
                brute_pairs[y, x] += 1
    np.testing.assert_allclose(pair_counts(counts), brute_pairs)


units_fixed = st.tuples(st.integers(2, 4), st.integers(2, 5)).flatmap(lambda cm: st.tuples(
    st.just(cm[0]), st.lists(st.lists(st.integers(0, cm[0] - 1), min_size=cm[1], max_size=cm[1]),
                             min_size=1, max_size=10)))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(units_fixed)
def test_fleiss_matches_brute_force(case):
    n_classes, units = case
    ref = brute_fleiss(units, n_classes)
    got = fleiss_kappa(to_counts(units, n_classes))
    assert (got is None) == (ref is None)
    if ref is not None:
        assert got == pytest.approx(ref, abs=1e-9)


def test_summarize_two_annotators_is_cohen():
    from sklearn.metrics import cohen_kappa_score

    a = [0, 1, 1, 0, 2, 2, 1, 0]
    b = [0, 1, 0, 0, 2, 1, 1, 1]
    votes = [{7: x, 9: y} for x, y in zip(a, b)] + [{7: 0}]  # one item with one label: left out
    report = summarize(votes, 3)
    assert report["items"] == 8 and report["pairs"] == 8
    assert report["observed"] == pytest.approx(5 / 8)
    (pa, pb, n, observed, kappa), = report["per_pair"]
    assert (pa, pb, n, observed) == (7, 9, 8, 5 / 8)
    assert kappa == pytest.approx(cohen_kappa_score(a, b))
    # two raters on every item: Fleiss' and Krippendorff's are defined too
    assert report["fleiss_kappa"] == pytest.approx(brute_fleiss([list(p) for p in zip(a, b)], 3))
    assert report["krippendorff_alpha"] == pytest.approx(brute_alpha([list(p) for p in zip(a, b)]))
    # per label: label 2 is in two pairs (2-2 and 2-1), one of them agreeing
    per_label = {c: (n, agree) for c, n, agree in report["per_label"]}
    assert per_label[2] == (2, 0.5)
    assert report["pair_counts"][0, 1] == report["pair_counts"][1, 0] == 2


def test_summarize_mixed_numbers_of_labels():
    votes = [{1: 0, 2: 0, 3: 1}, {1: 1, 2: 1}, {2: 0, 3: 0}]
    report = summarize(votes, 2)
    assert report["fleiss_kappa"] is None and "2 to 3" in report["note"]
    assert report["krippendorff_alpha"] == pytest.approx(brute_alpha([[0, 0, 1], [1, 1], [0, 0]]))
    assert report["pairs"] == 5
    assert [(a, b, n) for a, b, n, _, _ in report["per_pair"]] == [(1, 2, 2), (1, 3, 1), (2, 3, 2)]
