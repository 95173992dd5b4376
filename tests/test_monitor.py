"""The runner's monitor: per-round accuracy estimates with intervals, stopping-rule firings, their
summary and the report's sections (results.json schema 2)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from activelab.experiments import runner
from activelab.experiments.monitor import stop_set_rows
from activelab.experiments.report import write_report
from activelab.experiments.summary import estimate_coverage, stopping_outcomes
from activelab.stopping import RULES


def test_runs_carry_estimates_and_stopping_and_the_report_shows_them(tmp_path):
    config = runner.ExperimentConfig(dataset="iris", strategies=("random", "margin"), seeds=(0,),
                                     initial=10, batch_size=10, rounds=4)
    res = runner.run_experiment(config, tmp_path / "out")
    assert res["schema_version"] == runner.SCHEMA_VERSION == 3
    for r in res["runs"]:
        n = len(r["labels"])
        assert len(r["estimated_accuracy"]) == n == len(r["estimated_accuracy_ci"])
        for est, (lo, hi) in zip(r["estimated_accuracy"], r["estimated_accuracy_ci"], strict=True):
            assert 0 <= lo <= est <= hi <= 1
        assert set(r["stopping"]) == set(RULES)
        for fired in r["stopping"].values():
            assert fired is None or fired in r["labels"]
    e = res["summary"]["margin"]
    assert e["estimate_rounds"] == 1 and 0 <= e["estimate_coverage"] <= 1  # rounds with ≥ 50 labels
    assert set(e["stopping"]) == set(RULES)
    path = write_report(res, tmp_path / "out")
    text = path.read_text()
    assert "## Accuracy without a test set" in text and "labels saved vs accuracy lost" in text
    assert (tmp_path / "out" / "estimated_accuracy.png").stat().st_size > 10_000


def test_monitor_off_leaves_the_old_record_and_the_same_identity(tmp_path):
    on = runner.ExperimentConfig(dataset="iris", strategies=("random",), seeds=(0,), initial=10,
                                 batch_size=10, rounds=1)
    off = runner.ExperimentConfig(**{**on.__dict__, "monitor": False})
    assert on.identity() == off.identity()
    r = runner.run_one(off, "random", 0)
    assert "estimated_accuracy" not in r and "stopping" not in r
    res = runner.run_experiment(off, tmp_path / "o")
    write_report(res, tmp_path / "o")
    assert "Accuracy without a test set" not in (tmp_path / "o" / "report.md").read_text()
    assert "estimate_coverage" not in res["summary"]["random"]
    json.dumps(res)


def test_stop_set_is_drawn_once_from_the_held_out_rows():
    assert np.array_equal(stop_set_rows(300, seed=0), np.arange(300))
    big = stop_set_rows(5000, seed=3)
    assert big.size == 2000 and np.unique(big).size == 2000
    assert np.array_equal(big, stop_set_rows(5000, seed=3))


def _run(labels, accuracy, stopping, est=None, ci=None):
    return {"strategy": "s", "seed": 0, "labels": labels, "accuracy": accuracy,
            "stopping": stopping, "estimated_accuracy": est or [None] * len(labels),
            "estimated_accuracy_ci": ci or [None] * len(labels)}


def test_stopping_outcomes_count_savings_and_losses():
    runs = [
        _run([20, 40, 60, 80], [0.5, 0.7, 0.8, 0.9], {"a": 40, "b": None}),
        _run([20, 40, 60, 80], [0.5, 0.7, 0.8, 0.8], {"a": 80, "b": None}),
    ]
    out = stopping_outcomes(runs)
    assert out["a"] == pytest.approx({"fired": 2, "runs": 2, "labels_at_stop_mean": 60.0,
                                      "labels_saved_mean": 20.0, "accuracy_lost_mean": 0.1,
                                      "accuracy_lost_max": 0.2})
    assert out["b"]["fired"] == 0 and out["b"]["labels_saved_mean"] == 0
    assert out["b"]["labels_at_stop_mean"] is None


def test_estimate_coverage_counts_rounds_from_50_labels():
    run = _run([20, 50, 60], [0.5, 0.8, 0.9], {}, est=[0.5, 0.75, 0.85],
               ci=[[0.4, 0.6], [0.7, 0.79], [0.8, 0.95]])
    c = estimate_coverage([run])
    assert c["estimate_rounds"] == 2 and c["estimate_coverage"] == 0.5
    assert abs(c["estimate_bias"] - (-0.05)) < 1e-12
