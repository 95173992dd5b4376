"""Smoke test of the benchmark suites (benchmarks/): both scripts run in --quick mode and write
well-formed results. Against activelab and the NumPy reference alone where the peer libraries
are not installed (the project venv); with them where they are (.venv-bench)."""

from __future__ import annotations

import importlib.util
import json
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


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Run both quick suites side by side (each takes seconds; together they stay well under a minute)."""
    out = tmp_path_factory.mktemp("bench")
    procs = {
        name: subprocess.Popen([sys.executable, str(BENCH / f"{name}.py"), "--quick", "--out", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("speed", "labels")
    }
    for name, proc in procs.items():
        try:
            stdout, stderr = proc.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"benchmarks/{name}.py --quick did not finish in 240 s")
        assert proc.returncode == 0, f"{name}.py --quick failed:\n{stderr[-3000:]}"
    return out


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
    assert (outputs / "speed" / "cells").is_dir()


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


def test_cross_check_says_na_when_no_test_is_possible():
    """A peer with one seed has no paired test: the report says n/a, not a disagreement."""
    spec = importlib.util.spec_from_file_location("bench_labels", BENCH / "labels.py")
    labels = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(labels)
    assert [labels._agree_word(a) for a in (True, False, None)] == ["yes", "NO", "n/a"]
