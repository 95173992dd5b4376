"""The `activelab` command end to end on tiny runs: outputs, schema, resume, errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from activelab.cli import main

TINY = ["run", "--dataset", "iris", "--initial", "6", "--batch-size", "3", "--rounds", "3",
        "--seeds", "0-1"]


def test_run_writes_results_plots_and_report(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(TINY + ["--strategy", "random,margin", "--out", str(out)]) == 0
    res = json.loads((out / "results.json").read_text())
    assert {(r["strategy"], r["seed"]) for r in res["runs"]} == {
        (s, k) for s in ("random", "margin") for k in (0, 1)}
    for r in res["runs"]:
        for key in ("labels", "accuracy", "f1", "select_seconds", "fit_seconds"):
            assert len(r[key]) == 4
        assert r["labels"] == [6, 9, 12, 15]
    for s in ("random", "margin"):
        e = res["summary"][s]
        for key in ("auc_mean", "auc_std", "final_accuracy_mean", "labels_to_95"):
            assert key in e
    assert "auc_minus_random" in res["summary"]["margin"]
    assert (out / "learning_curves.png").stat().st_size > 10_000
    report = (out / "report.md").read_text()
    assert "| margin |" in report and "learning_curves.png" in report


def test_same_seed_same_split_across_strategies(tmp_path):
    out = tmp_path / "r"
    main(TINY + ["--strategy", "random,entropy", "--out", str(out)])
    runs = json.loads((out / "results.json").read_text())["runs"]
    by = {(r["strategy"], r["seed"]): r for r in runs}
    for seed in (0, 1):
        assert by["random", seed]["accuracy"][0] == by["entropy", seed]["accuracy"][0]
        assert by["random", seed]["full_pool_accuracy"] == by["entropy", seed]["full_pool_accuracy"]


def test_resume_skips_finished_runs(tmp_path):
    out = tmp_path / "r"
    main(TINY + ["--strategy", "random", "--out", str(out)])
    saved = (out / "runs" / "random__seed0.json")
    mtime = saved.stat().st_mtime_ns
    first = json.loads((out / "results.json").read_text())
    # a torn file from a killed run is redone, finished ones are kept
    (out / "runs" / "random__seed1.json").write_text("{ torn")
    assert main(TINY + ["--strategy", "random,margin", "--out", str(out)]) == 0
    assert saved.stat().st_mtime_ns == mtime
    res = json.loads((out / "results.json").read_text())
    assert len(res["runs"]) == 4
    redone = next(r for r in res["runs"] if r["strategy"] == "random" and r["seed"] == 1)
    before = next(r for r in first["runs"] if r["strategy"] == "random" and r["seed"] == 1)
    for key in ("labels", "accuracy", "f1"):  # the redone run reproduces the lost one
        assert redone[key] == before[key]


def test_resume_refuses_a_different_experiment(tmp_path, capsys):
    out = tmp_path / "r"
    main(TINY + ["--strategy", "random", "--out", str(out)])
    code = main(TINY[:-4] + ["--rounds", "2", "--seeds", "0-1", "--strategy", "random", "--out", str(out)])
    assert code == 2
    assert "different experiment (differs in: rounds)" in capsys.readouterr().err


def test_scale_none_keeps_raw_features(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    main(TINY + ["--strategy", "random", "--out", str(a)])
    main(TINY + ["--strategy", "random", "--out", str(b), "--scale", "none"])
    ca = json.loads((a / "results.json").read_text())
    cb = json.loads((b / "results.json").read_text())
    assert ca["config"]["scale"] == "pool" and cb["config"]["scale"] == "none"
    assert [r["labels"] for r in ca["runs"]] == [r["labels"] for r in cb["runs"]]


def test_parallel_jobs_match_serial(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    main(TINY + ["--strategy", "margin", "--out", str(a)])
    main(TINY + ["--strategy", "margin", "--out", str(b), "--jobs", "2"])
    ra = sorted(json.loads((a / "results.json").read_text())["runs"], key=lambda r: r["seed"])
    rb = sorted(json.loads((b / "results.json").read_text())["runs"], key=lambda r: r["seed"])
    assert [r["accuracy"] for r in ra] == [r["accuracy"] for r in rb]


def test_user_csv_and_npz(tmp_path):
    pd = pytest.importorskip("pandas")
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    frame["kind"] = np.array(["a", "b", "c"])[y]
    frame["colour"] = np.where(X[:, 0] > 13, "dark", "light")  # a categorical feature
    frame.to_csv(tmp_path / "wine.csv", index=False)
    assert main(["run", "--data", str(tmp_path / "wine.csv"), "--target", "kind", "--initial", "6",
                 "--batch-size", "3", "--rounds", "2", "--seeds", "0", "--strategy", "margin",
                 "--out", str(tmp_path / "o1")]) == 0
    np.savez(tmp_path / "wine.npz", X=X, y=y)
    assert main(["run", "--data", str(tmp_path / "wine.npz"), "--initial", "6", "--batch-size", "3",
                 "--rounds", "2", "--seeds", "0", "--strategy", "margin",
                 "--out", str(tmp_path / "o2")]) == 0


@pytest.mark.parametrize("args, message", [
    (["--strategy", "margn"], "unknown strategy 'margn'. Did you mean 'margin'"),
    (["--model", "logistic"], "unknown model 'logistic'"),
    (["--dataset", "digit"], "unknown dataset 'digit'. Did you mean 'digits'"),
    (["--seeds", "4-1"], "runs backwards"),
    (["--batch-size", "0"], "batch_size must be at least 1"),
    (["--rounds", "500"], "rounds of 3 labels need"),
    (["--param", "margin.x"], "STRATEGY.KEY=VALUE"),
    (["--scale", "minmax"], "scale must be one of pool, none"),
    (["--initial-strategy", "margin"], "initial_strategy 'margin' needs a trained model"),
])
def test_cli_errors_are_one_clear_line(tmp_path, capsys, args, message):
    code = main(TINY + ["--strategy", "margin", "--out", str(tmp_path / "o")] + args)
    err = capsys.readouterr().err
    assert code != 0
    assert message in " ".join(err.split())
    assert "Traceback" not in err


@pytest.mark.parametrize("content, message", [
    ("", "is empty"),
    ("a,b\n1,2\n3,4\n", "has no column 'kind'; columns are: a, b"),
    ("a,kind\n", "header but no rows"),
    ("a,kind\n1,x\n,y\n", "empty feature values, the first at line 3 (column 'a')"),
])
def test_bad_csv(tmp_path, capsys, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    code = main(["run", "--data", str(path), "--target", "kind", "--out", str(tmp_path / "o"),
                 "--seeds", "0", "--strategy", "random"])
    assert code == 2
    assert message in " ".join(capsys.readouterr().err.split())


def test_corrupt_npz(tmp_path, capsys):
    path = tmp_path / "bad.npz"
    path.write_bytes(b"not a zip file at all")
    assert main(["run", "--data", str(path), "--out", str(tmp_path / "o"), "--seeds", "0"]) == 2
    assert "not a valid .npz" in capsys.readouterr().err


def test_strategies_lists_families(capsys):
    assert main(["strategies"]) == 0
    out = capsys.readouterr().out
    for word in ("margin", "exploitation", "baseline", "Scheffer"):
        assert word in out


def test_console_script_exit_code(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "activelab.cli", "run", "--strategy", "nope",
                           "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "unknown strategy 'nope'" in proc.stderr


def test_ctrl_c_keeps_finished_runs(tmp_path, monkeypatch, capsys):
    """An interrupt mid-experiment leaves every finished run saved and results.json written;
    the same command then resumes with only the missing runs."""
    from activelab.experiments import runner

    real = runner.run_one
    calls = []

    def interrupted(config, strategy, seed, on_round=None, cache_dir=None):
        calls.append((strategy, seed))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(config, strategy, seed, on_round, cache_dir)

    monkeypatch.setattr(runner, "run_one", interrupted)
    out = tmp_path / "r"
    code = main(TINY + ["--strategy", "random,margin", "--out", str(out)])
    assert code == 130
    assert "finished runs are saved" in capsys.readouterr().err
    saved = sorted(p.name for p in (out / "runs").glob("*.json"))
    assert saved == ["random__seed0.json", "random__seed1.json"]
    assert len(json.loads((out / "results.json").read_text())["runs"]) == 2
    monkeypatch.setattr(runner, "run_one", real)
    calls.clear()
    assert main(TINY + ["--strategy", "random,margin", "--out", str(out)]) == 0
    assert len(json.loads((out / "results.json").read_text())["runs"]) == 4


def test_full_pool_accuracy_is_fitted_once_per_seed(tmp_path, monkeypatch):
    """Every strategy of a seed shares one full-pool fit (cached under OUT/full_pool/)."""
    from activelab.experiments import runner

    calls = []
    real = runner.SklearnModel.fit

    def counting(self, X, y, labeled_idx, classes, *, random_state=None):
        if len(labeled_idx) == len(y):
            calls.append(random_state)
        return real(self, X, y, labeled_idx, classes, random_state=random_state)

    monkeypatch.setattr(runner.SklearnModel, "fit", counting)
    config = runner.ExperimentConfig(dataset="iris", strategies=("random", "margin", "entropy"),
                                     seeds=(0, 1), initial=6, batch_size=3, rounds=2)
    res = runner.run_experiment(config, tmp_path / "out")
    assert sorted(calls) == [0, 1]
    accs = {(r["seed"], r["full_pool_accuracy"]) for r in res["runs"]}
    assert len(accs) == 2 and sorted((tmp_path / "out" / "full_pool").iterdir())
    again = runner.run_experiment(config, tmp_path / "out", overwrite=True)
    assert sorted(calls) == [0, 0, 1, 1]  # --overwrite drops the cache too
    assert {(r["seed"], r["full_pool_accuracy"]) for r in again["runs"]} == accs


def test_rerun_with_a_subset_says_which_saved_runs_it_leaves_out(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(TINY + ["--strategy", "random,margin", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(TINY[:-1] + ["0", "--strategy", "margin", "--out", str(out)]) == 0
    res = json.loads((out / "results.json").read_text())
    assert {(r["strategy"], r["seed"]) for r in res["runs"]} == {("margin", 0)}
    err = " ".join(capsys.readouterr().err.split())  # Rich wraps at the terminal's width
    assert "also holds earlier runs of" in err
    assert "margin (seeds 1)" in err and "random (seeds 0, 1)" in err
    # asking for every saved run again: nothing to say
    assert main(TINY + ["--strategy", "random,margin", "--out", str(out)]) == 0
    assert "also holds earlier runs" not in " ".join(capsys.readouterr().err.split())
