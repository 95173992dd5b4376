"""The experiment runner and CLI across settings (`--task`): regression, multi-label and stream
runs land in results.json (schema 3) with their primary metric, the summary compares on it, the
report and curves are written, and configurations that cannot work fail before any run."""

from __future__ import annotations

import json

import numpy as np
import pytest

from activelab._errors import InvalidInputError, UnknownNameError
from activelab._tasks import TASKS
from activelab.experiments import runner
from activelab.experiments.metrics import learning_curve_auc
from activelab.experiments.report import write_report

pytest.importorskip("river")  # the 'tasks' extra ships the offline datasets

CASES = {
    "regression": dict(dataset="diabetes", model="ridge", strategies=("random", "igs")),
    "multilabel": dict(dataset="yeast", model="logreg", strategies=("random", "max_uncertainty")),
    "stream": dict(dataset="phishing", model="sgd", strategies=("random", "variable_uncertainty"),
                   budget=0.1),
}


def _config(task: str, **over) -> runner.ExperimentConfig:
    kw = dict(task=task, seeds=(0, 1), initial=10, batch_size=5, rounds=2, **CASES[task])
    kw.update(over)
    return runner.ExperimentConfig(**kw)


@pytest.mark.parametrize("task", sorted(CASES))
def test_a_task_runs_into_results_json_and_the_report(task, tmp_path):
    config = _config(task)
    res = runner.run_experiment(config, tmp_path)
    primary = TASKS[task]
    assert res["schema_version"] == 3
    assert res["config"]["task"] == task
    assert len(res["runs"]) == 4
    for r in res["runs"]:
        assert r["task"] == task and r["primary_metric"] == primary
        assert primary in r["metric_names"]
        x = r.get("x", r["labels"])
        assert all(len(r[m]) == len(x) for m in r["metric_names"])
        if task == "stream":
            assert r["x_name"] == "items" and "x" in r
            assert np.all(np.diff(r["labels"]) >= 0)  # labels spent never decrease
            assert r["labels"][-1] <= 0.1 * r["x"][-1] + 5
        else:
            assert r["labels"] == [10, 15, 20]
            assert f"full_pool_{primary}" in r
    for strategy, entry in res["summary"].items():
        assert entry["metric"] == primary
        runs = [r for r in res["runs"] if r["strategy"] == strategy]
        aucs = [learning_curve_auc(r.get("x", r["labels"]), r[primary]) for r in runs]
        assert entry["auc_mean"] == pytest.approx(np.mean(aucs))
        assert entry["final_mean"] == pytest.approx(np.mean([r[primary][-1] for r in runs]))
    other = next(s for s in config.strategies if s != "random")
    assert "auc_minus_random" in res["summary"][other]
    report = write_report(res, tmp_path)
    text = report.read_text()
    assert f"AUC {primary}" in text and other in text
    assert (tmp_path / "learning_curves.png").stat().st_size > 10_000


def test_task_runs_resume_and_refuse_another_task_in_the_same_folder(tmp_path):
    config = _config("regression", seeds=(0,))
    first = runner.run_experiment(config, tmp_path)
    again = runner.run_experiment(config, tmp_path)  # everything saved: nothing reruns
    assert again["runs"] == first["runs"]
    with pytest.raises(InvalidInputError, match="different experiment"):
        runner.run_experiment(_config("regression", seeds=(0,), model="gp"), tmp_path)


def test_classification_configs_keep_their_identity():
    """Folders saved before `task` existed still resume: the default task adds no key."""
    identity = runner.ExperimentConfig().identity()
    assert "task" not in identity and "budget" not in identity
    assert runner.ExperimentConfig(task="stream", budget=0.2).identity()["budget"] == 0.2


@pytest.mark.parametrize(("over", "error", "match"), [
    (dict(task="regresion"), UnknownNameError, "task"),
    (dict(task="regression", model="logreg"), UnknownNameError, "regression model"),
    (dict(task="regression", strategies=("margin",)), UnknownNameError, "margin"),
    (dict(task="regression", dataset="digits"), UnknownNameError, "regression dataset"),
    (dict(task="regression", budget=0.1), InvalidInputError, "budget"),
    (dict(task="regression", backend="ray"), InvalidInputError, "backend"),
    (dict(task="stream", budget=0.0), InvalidInputError, r"\(0, 1\]"),
    (dict(task="stream", budget=1.5), InvalidInputError, r"\(0, 1\]"),
    (dict(task="multilabel", data="x.csv", dataset=None, target="a"), InvalidInputError,
     "label columns"),
    (dict(budget=0.1), InvalidInputError, "budget"),
])
def test_configs_that_cannot_work_fail_before_any_run(over, error, match, tmp_path):
    task = over.get("task", "classification")
    base = dict(CASES.get(task, dict(dataset="iris", strategies=("random",))))
    if task == "stream":
        base.setdefault("budget", 0.1)
    base.update(over)
    config = runner.ExperimentConfig(seeds=(0,), rounds=2, **base)
    with pytest.raises(error, match=match):
        runner.run_experiment(config, tmp_path / "out")
    assert not (tmp_path / "out" / "runs").exists() or not any((tmp_path / "out" / "runs").iterdir())


def test_regression_reads_a_numeric_target_from_a_data_file(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(scale=0.1, size=120)
    path = tmp_path / "table.csv"
    rows = ["a,b,c,target"] + [f"{a},{b},{c},{t}" for (a, b, c), t in zip(X, y, strict=True)]
    path.write_text("\n".join(rows) + "\n")
    config = runner.ExperimentConfig(task="regression", dataset=None, data=str(path),
                                     target="target", model="ridge", strategies=("random",),
                                     seeds=(0,), initial=10, batch_size=5, rounds=2)
    res = runner.run_experiment(config, tmp_path / "out")
    assert res["runs"][0]["r2"][-1] > 0.9  # a linear target: ridge learns it from 20 rows
    path.write_text("a,target\n" + "\n".join(f"{v:.3f},x{i % 3}" for i, v in
                                               enumerate(rng.normal(size=30))) + "\n")
    with pytest.raises(InvalidInputError, match="numeric target"):
        runner.run_experiment(runner.ExperimentConfig(
            task="regression", dataset=None, data=str(path), target="target", model="ridge",
            strategies=("random",), seeds=(0,)), tmp_path / "out2")


def test_the_cli_runs_a_stream_and_lists_each_tasks_names(tmp_path):
    from typer.testing import CliRunner

    from activelab.cli import app

    cli = CliRunner()
    out = tmp_path / "s"
    res = cli.invoke(app, ["run", "--task", "stream", "--strategy", "random,split",
                           "--seeds", "0", "--budget", "0.2", "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "results.json").read_text())
    assert data["config"]["budget"] == 0.2 and data["config"]["model"] == "sgd"
    assert "labels spent" in res.output
    for task in ("regression", "multilabel", "stream"):
        listed = cli.invoke(app, ["strategies", "--task", task])
        assert listed.exit_code == 0 and "random" in listed.output
        assert cli.invoke(app, ["models", "--task", task]).exit_code == 0
        datasets = cli.invoke(app, ["datasets", "--task", task])
        assert datasets.exit_code == 0 and "features" in datasets.output  # sizes and sources

def test_the_cli_says_what_is_wrong_with_a_task_option(tmp_path, capsys):
    from activelab.cli import main

    assert main(["run", "--task", "regression", "--budget", "0.1", "--out", str(tmp_path)]) == 2
    assert "--budget is the labeling rate of --task stream" in " ".join(capsys.readouterr().err.split())
    assert main(["run", "--task", "streams", "--out", str(tmp_path)]) == 2
    assert "stream" in capsys.readouterr().err


def test_the_settings_packages_load_on_first_use():
    """`import activelab` loads none of them; attribute access imports each on demand."""
    import subprocess
    import sys

    code = ("import sys, activelab; assert not any(m in sys.modules for m in "
            "('activelab.regression', 'activelab.multilabel', 'activelab.stream', 'river')); "
            "print(activelab.stream.run_stream.__name__, activelab.regression.__name__, "
            "activelab.multilabel.__name__, activelab.TaskResult.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["run_stream", "activelab.regression", "activelab.multilabel",
                                  "TaskResult"]


def test_multilabel_reads_label_columns_from_a_data_file(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 4))
    Y = (X[:, :3] + rng.normal(scale=0.3, size=(150, 3)) > 0).astype(int)
    path = tmp_path / "tags.csv"
    head = "f0,f1,f2,f3,sports,politics,tech"
    rows = [",".join([*(f"{v:.4f}" for v in x), *map(str, yy)]) for x, yy in zip(X, Y, strict=True)]
    path.write_text("\n".join([head, *rows]) + "\n")
    config = runner.ExperimentConfig(task="multilabel", dataset=None, data=str(path),
                                     target="sports,politics,tech", model="logreg",
                                     strategies=("random", "mean_uncertainty"), seeds=(0,),
                                     initial=20, batch_size=5, rounds=2)
    res = runner.run_experiment(config, tmp_path / "out")
    assert res["runs"][0]["micro_f1"][-1] > 0.7  # each label is one feature's sign
    path.write_text("\n".join([head, *rows[:-1], rows[-1][:-1] + "2"]) + "\n")
    with pytest.raises(InvalidInputError, match="0"):
        runner.run_experiment(config, tmp_path / "out2")
