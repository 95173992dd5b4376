"""Quick test of the benchmark suites (benchmarks/): both scripts run in --quick mode, save every
run or cell in their one checkpoint file, resume from it (a saved run or cell is not run again)
and rebuild the same summary from it. Against activelab and the NumPy reference alone where the
peer libraries are not installed (the project venv); with them where they are (.venv-bench)."""

from __future__ import annotations

import gzip
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from scipy.stats import rankdata

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
STRATEGIES = {"margin", "entropy", "coreset", "badge", "typiclust", "density_weighted"}
PEERS = {"modal": "modAL", "skactiveml": "skactiveml", "alipy": "alipy"}

pytestmark = pytest.mark.skipif(not (BENCH / "speed.py").exists(), reason="no benchmarks/ folder")


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _run_quick(out: Path, *extra: str) -> None:
    """Run both quick suites side by side into `out` (each takes seconds)."""
    procs = {
        name: subprocess.Popen([sys.executable, str(BENCH / f"{name}.py"), "--quick", "--out", str(out),
                                *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("speed", "labels")
    }
    for name, proc in procs.items():
        try:
            stdout, stderr = proc.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"benchmarks/{name}.py --quick did not finish in 240 s")
        assert proc.returncode == 0, f"{name}.py --quick failed:\n{stderr[-3000:]}"


def _records(path: Path) -> dict:
    """key → value of a checkpoint file, read with nothing but gzip and json."""
    with gzip.open(path, "rt") as f:
        return {r["key"]: r["value"] for r in map(json.loads, f)}


def _write_records(path: Path, records: dict) -> None:
    with gzip.open(path, "wt") as f:
        for key in sorted(records):
            f.write(json.dumps({"key": key, "value": records[key]}) + "\n")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    _run_quick(out)
    return out


@pytest.fixture(scope="module")
def resumed(outputs, tmp_path_factory):
    """A copy of the first run with one labels run and one speed cell dropped from the
    checkpoints (as if the process had been killed before saving them), run again."""
    out = tmp_path_factory.mktemp("resume")
    shutil.copytree(outputs, out, dirs_exist_ok=True)
    before = {}
    for suite, dropped in (("labels", "cells/wine__logreg__b10/seeds/margin__seed1"),
                           ("speed", "cells/activelab__margin__N500__d8__b10")):
        path = out / f"{suite}_checkpoints.jsonl.gz"
        before[suite] = _records(path)
        _write_records(path, {k: v for k, v in before[suite].items() if k != dropped})
    _run_quick(out)
    after = {suite: _records(out / f"{suite}_checkpoints.jsonl.gz") for suite in before}
    return before, after, out


def test_speed_quick_writes_wellformed_results(outputs):
    res = json.loads((outputs / "speed.json").read_text())
    assert res["suite"] == "speed" and res["quick"] is True
    cells = res["cells"]
    ours = [c for c in cells if c["lib"] == "activelab"]
    assert {c["strategy"] for c in ours} == STRATEGIES
    for c in ours:
        assert c["status"] == "ok", c
        assert c["valid"] is True and c["seconds"] and all(t >= 0 for t in c["seconds"])
        assert c["peak_extra_mib"] >= 0 or c["peak_extra_mib"] != c["peak_extra_mib"]  # NaN off Linux
    assert {c["strategy"] for c in cells if c["lib"] == "numpy"} == STRATEGIES
    for lib, module in PEERS.items():
        if _installed(module):
            peer = [c for c in cells if c["lib"] == lib]
            assert peer, f"{lib} is installed but has no cell"
            assert all("ratio_vs_activelab" in c for c in peer if c["status"] == "ok")
    assert all({"lib", "strategy", "exponent"} <= set(s) for s in res["scaling"])
    assert isinstance(res["verdicts"], list)
    assert (outputs / "speed.md").read_text().startswith("# Speed")
    # numbers in range: quick pools take milliseconds; the model (40 labels, 10 overlapping
    # clusters in 8 dimensions) is above chance
    assert all(c["median_s"] < 5.0 and 1 <= len(c["seconds"]) <= 51 for c in cells if c["status"] == "ok")
    assert set(res["models"]) == {"N500_d8", "N1500_d8"}
    assert all(0.15 < m["accuracy_on_candidates"] <= 1.0 for m in res["models"].values())


def test_speed_saves_every_cell_in_one_checkpoint_file(outputs):
    records = _records(outputs / "speed_checkpoints.jsonl.gz")
    cells = json.loads((outputs / "speed.json").read_text())["cells"]
    assert sorted(records) == sorted(
        [f"cells/{c['lib']}__{c['strategy']}__N{c['n']}__d{c['d']}__b{c['batch']}" for c in cells]
        + ["pools/speed_N500_d8_L40", "pools/speed_N1500_d8_L40"])
    assert not (outputs / "speed").exists()  # no per-cell files


def test_labels_quick_writes_wellformed_results(outputs):
    res = json.loads((outputs / "labels.json").read_text())
    assert res["suite"] == "labels" and res["quick"] is True
    assert len(res["cells"]) == 1
    cell = next(iter(res["cells"].values()))
    summary = cell["summary"]
    assert {"random", "margin", "coreset"} <= set(summary)
    for name, e in summary.items():
        lo, hi = e["auc_ci95"]
        assert lo <= e["auc_mean"] <= hi
        assert 0.0 <= e["auc_mean"] <= 1.0 and e["rank"] >= 1
        if name != "random":
            assert e["vs_random"] in {"better", "worse", "n.s."}
    assert cell["errors"] == []
    for lib, module in PEERS.items():
        if _installed(module):
            assert any(s.startswith(f"{lib}:") for s in summary), f"{lib} is installed but did not run"
    for c in cell["cross_check"]:
        assert c["activelab"] in summary and c["peer"] in summary
    assert set(res["overall"]) == set(summary)
    own = res["overall_activelab"]
    assert set(own) == {s for s in summary if ":" not in s}
    plain = rankdata([-summary[s]["auc_mean"] for s in own])  # one cell: the plain ranks
    assert sorted(o["mean_rank"] for o in own.values()) == sorted(plain.tolist())
    assert (outputs / "labels.md").read_text().startswith("# Label efficiency")
    # numbers in range: 20 initial labels, then 3 rounds of 10; wine is easy for a full-pool model
    assert cell["seeds"] == [0, 1] and cell["n_runs"] == 6
    for curve in cell["curves"].values():
        assert curve["labels"] == [20, 30, 40, 50]
        assert all(0.3 <= a <= 1.0 for a in curve["accuracy"])


def test_labels_saves_every_run_in_one_checkpoint_file(outputs):
    records = _records(outputs / "labels_checkpoints.jsonl.gz")
    runs = [f"cells/wine__logreg__b10/seeds/{s}__seed{k}" for s in ("coreset", "margin", "random")
            for k in (0, 1)]
    assert sorted(records) == sorted(runs + ["full_pool/wine__logreg__seed0", "full_pool/wine__logreg__seed1"])
    assert all(0.8 <= records[f"full_pool/wine__logreg__seed{k}"]["accuracy"] <= 1.0 for k in (0, 1))
    assert all(records[k]["full_pool_accuracy"] == records[f"full_pool/wine__logreg__seed{records[k]['seed']}"]
               ["accuracy"] for k in runs)
    assert not (outputs / "labels").exists()  # no per-seed files


def test_resume_runs_only_what_is_missing(resumed):
    """The rerun recomputes the dropped run and cell and leaves every saved one as it was
    (a recomputed record would have new timings)."""
    before, after, _ = resumed
    for suite in ("labels", "speed"):
        assert set(after[suite]) == set(before[suite])
        changed = {k for k in before[suite] if after[suite][k] != before[suite][k]}
        assert changed <= {"cells/wine__logreg__b10/seeds/margin__seed1",
                           "cells/activelab__margin__N500__d8__b10"}, changed
    assert after["labels"]["cells/wine__logreg__b10/seeds/margin__seed1"]["accuracy"] == \
        before["labels"]["cells/wine__logreg__b10/seeds/margin__seed1"]["accuracy"]  # same seed, same curve
    assert after["speed"]["cells/activelab__margin__N500__d8__b10"]["status"] == "ok"


def test_report_only_rebuilds_the_same_summary(resumed, outputs):
    """--report-only reads nothing but the checkpoint file: the summaries come back the same
    (apart from the machine facts, taken at report time), and the file itself is untouched."""
    _, _, out = resumed
    packed = {s: (out / f"{s}_checkpoints.jsonl.gz").read_bytes() for s in ("labels", "speed")}
    first = {s: json.loads((out / f"{s}.json").read_text()) for s in ("labels", "speed")}
    shutil.rmtree(out / ".data")  # the pools: a report must not need them
    for s in ("labels", "speed"):
        (out / f"{s}.json").unlink()
    _run_quick(out, "--report-only")
    for s in ("labels", "speed"):
        again = json.loads((out / f"{s}.json").read_text())
        assert {**again, "machine": None} == {**first[s], "machine": None}
        assert (out / f"{s}_checkpoints.jsonl.gz").read_bytes() == packed[s]


def test_checkpoint_file_survives_a_torn_append(tmp_path, monkeypatch):
    """A process killed mid-append leaves a torn last gzip member: the reader drops it, keeps
    every record before it, and repairs the file so that later appends stay readable."""
    monkeypatch.syspath_prepend(str(BENCH))
    from checkpoints import Checkpoints

    path = tmp_path / "c.jsonl.gz"
    store = Checkpoints(path)
    store.put("b", {"x": 1})
    store.put("a", [1.5, 2.5])
    store.put("b", {"x": 2})  # the last record of a key wins
    assert Checkpoints(path).get("b") == {"x": 2} and len(Checkpoints(path)) == 2
    store.put("c", {"y": 3})
    path.write_bytes(path.read_bytes()[:-7])  # killed during the last append
    store = Checkpoints(path)
    assert (store.get("a"), store.get("b"), "c" in store) == ([1.5, 2.5], {"x": 2}, False)
    store.put("d", 4)
    assert _records(path) == {"a": [1.5, 2.5], "b": {"x": 2}, "d": 4}
    store.compact()
    canonical = path.read_bytes()
    assert _records(path) == {"a": [1.5, 2.5], "b": {"x": 2}, "d": 4}
    Checkpoints(path).compact()  # already canonical: not rewritten
    assert path.read_bytes() == canonical


def test_cross_check_says_na_when_no_test_is_possible():
    """A peer with one seed has no paired test: the report says n/a, not a disagreement."""
    spec = importlib.util.spec_from_file_location("bench_labels", BENCH / "labels.py")
    labels = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(labels)
    assert [labels._agree_word(a) for a in (True, False, None)] == ["yes", "NO", "n/a"]


# ---------------------------------------------------------------- e2e_query.py (issue 15)

@pytest.fixture(scope="module")
def e2e(tmp_path_factory):
    """benchmarks/e2e_query.py on a 3,000-row pool, one BLAS setting, one call per cell; modAL's
    cell too where modAL is importable."""
    out = tmp_path_factory.mktemp("e2e") / "e2e_query.json"
    libs = ["activelab", "numpy", "predict_proba"] + (["modal"] if _installed("modAL") else [])
    proc = subprocess.run([sys.executable, str(BENCH / "e2e_query.py"), "--rows", "3000", "--labeled",
                           "200", "--repeats", "1", "--blas", "1", "--libs", ",".join(libs),
                           "--out", str(out)], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text()), out


def test_e2e_query_writes_wellformed_results(e2e):
    res, out = e2e
    assert res["suite"] == "e2e_query" and res["settings"]["rows"] == 3000
    assert res["pool"]["n_unlabeled"] == 2800 and res["settings"]["batch"] == 100
    assert {"cpus", "load_average"} <= set(res["machine"]) and len(res["load_start"]) == 3
    cells = {c["lib"]: c for c in res["cells"]}
    for lib in ("activelab", "numpy", "predict_proba"):
        c = cells[lib]
        assert c["status"] == "ok", c
        assert len(c["seconds"]) == 1 and 0 <= c["median_s"] < 5.0
        assert c["peak_extra_mib_max"] >= 0 or c["peak_extra_mib_max"] != c["peak_extra_mib_max"]  # NaN off Linux
    assert cells["activelab"]["valid"] and cells["numpy"]["valid"]
    assert out.with_suffix(".md").read_text().startswith("# End-to-end query")


def test_e2e_query_activelab_picks_the_numpy_reference_rows(e2e):
    res, _ = e2e
    cmp = {c["peer"]: c for c in res["comparisons"]}
    assert cmp["numpy"]["picks_equal"] and cmp["numpy"]["time_ratio"] > 0
    assert "picks_equal" not in cmp["predict_proba"]  # the model alone is not a query


@pytest.mark.skipif(not _installed("modAL"), reason="modAL-python not installed (.venv-bench has it)")
def test_e2e_query_activelab_picks_modals_rows(e2e):
    res, _ = e2e
    modal = next(c for c in res["comparisons"] if c["peer"] == "modal")
    assert modal["picks_equal"], modal
    assert [t["blas"] for t in res["targets"]] == ["1"]
