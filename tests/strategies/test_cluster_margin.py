"""Cluster-Margin: round-robin order over clusters (smallest first) and the full strategy."""

from __future__ import annotations

import numpy as np
import pytest

import activelab
from activelab import UNLABELED
from activelab.strategies.cluster_margin import cluster_round_robin, hac_labels


def test_round_robin_order_hand_built():
    #            0    1    2    3    4    5
    labels = np.array([7, 7, 7, 3, 3, 9])  # sizes: cluster 9 → 1, 3 → 2, 7 → 3
    scores = np.array([0.2, 0.9, 0.5, 0.4, 0.8, 0.1])
    order = cluster_round_robin(labels, scores, 6, np.random.default_rng(0))
    # pass 0: cluster 9 (5), cluster 3's best (4), cluster 7's best (1);
    # pass 1: cluster 3 (3), cluster 7's second (2); pass 2: cluster 7 (0)
    assert order.tolist() == [5, 4, 1, 3, 2, 0]
    assert cluster_round_robin(labels, scores, 4, np.random.default_rng(0)).tolist() == [5, 4, 1, 3]


def test_equal_sizes_visit_the_most_uncertain_cluster_first():
    labels = np.array([0, 0, 1, 1])
    scores = np.array([0.3, 0.1, 0.2, 0.9])
    assert cluster_round_robin(labels, scores, 4, np.random.default_rng(0)).tolist() == [3, 0, 2, 1]


def test_random_within_cluster_keeps_one_per_cluster_per_pass():
    labels = np.repeat([0, 1, 2], [4, 3, 5])
    scores = np.linspace(0, 1, 12)
    for seed in range(5):
        order = cluster_round_robin(labels, scores, 12, np.random.default_rng(seed), "random")
        assert sorted(order.tolist()) == list(range(12))
        assert labels[order[:3]].tolist() == [1, 0, 2]  # smallest cluster first
        assert sorted(labels[order[3:6]].tolist()) == [0, 1, 2]


def test_hac_cuts_at_threshold():
    F = np.array([[0.0, 0], [0.1, 0], [5, 5], [5.1, 5], [20, 0]])
    labels = hac_labels(F, distance_threshold=1.0)
    assert len(set(labels.tolist())) == 3
    assert labels[0] == labels[1] and labels[2] == labels[3]
    assert hac_labels(F[:1], 1.0).tolist() == [0]


def test_strategy_spreads_the_batch_over_clusters():
    """All candidates tie on margin (2-D boundary along x=0); the embedding has 3 tight groups
    of sizes 2, 4 and 8: a batch of 3 takes one from each, the smallest group first."""
    rng = np.random.default_rng(0)
    X = np.concatenate([[[-3.0, 0.0], [3.0, 0.0]], np.column_stack([np.zeros(14), rng.normal(size=14)])])
    y = np.full(16, UNLABELED)
    y[:2] = [0, 1]
    centers = np.repeat([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]], [2, 4, 8], axis=0)
    emb = np.concatenate([[[50.0, 50.0], [-50.0, -50.0]], centers + 0.01 * rng.normal(size=(14, 2))])
    sel = activelab.propose(X, y, strategy="cluster_margin", batch_size=3, random_state=0,
                            embedding=emb, distance_threshold=1.0)
    group = np.repeat([0, 1, 2], [2, 4, 8])[sel.idx - 2]
    assert group.tolist() == [0, 1, 2]
    assert sel.info["n_clusters"] == 3 and sel.info["subset_size"] == 14


def test_subset_is_the_lowest_margin_candidates():
    X = np.linspace(-3, 3, 40)[:, None]
    y = np.full(40, UNLABELED)
    y[[0, 39]] = [0, 1]
    sel = activelab.propose(X, y, strategy="cluster_margin", batch_size=2, m=2, random_state=0)
    # the 4 lowest-margin candidates are the ones nearest the boundary at 0
    assert np.abs(X[sel.idx, 0]).max() < 0.4
    assert sel.info["subset_size"] == 4


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"m": 0.5}, activelab.InvalidInputError, "m must be"),
        ({"distance_threshold": -1.0}, activelab.InvalidInputError, "distance_threshold"),
        ({"within_cluster": "largest"}, activelab.UnknownNameError, "within_cluster"),
    ],
)
def test_bad_parameters(params, error, match):
    X = np.linspace(-3, 3, 20)[:, None]
    y = np.full(20, UNLABELED)
    y[[0, 19]] = [0, 1]
    with pytest.raises(error, match=match):
        activelab.query(X, y, strategy="cluster_margin", batch_size=2, random_state=0, **params)
