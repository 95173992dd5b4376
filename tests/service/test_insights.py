"""The progress page's insights after each retrain: the accuracy estimate with its interval,
each stopping rule's verdict, the forecast; kept across a worker restart; never a failed retrain."""

from __future__ import annotations

from activelab.service import insights as insights_module
from activelab.service.worker import RetrainWorker

from .test_worker import label_n

RULES = {"stabilizing_predictions", "overall_uncertainty", "max_confidence"}


def retrain_after(api, n_labels: int):
    label_n(api, n_labels)
    run = api.service.worker.run_once(force=True)
    assert run.status == "ok", run.error
    return api.get("/api/progress").json()


def test_no_insights_before_a_model(api):
    assert api.get("/api/progress").json()["insights"] is None
    api.service.worker.run_once(force=True)  # cold start: no labels
    ins = api.get("/api/progress").json()["insights"]
    assert ins["estimate"] is None and ins["stopping"] == {} and "no model yet" in ins["note"]


def test_estimate_verdicts_and_forecast(api):
    api.service.worker.run_once(force=True)
    prog = retrain_after(api, 10)
    ins = prog["insights"]
    est = ins["estimate"]
    assert est is not None and est["n_labels"] == 10 and est["confidence"] == 0.9
    assert 0 <= est["low"] <= est["accuracy"] <= est["high"] <= 1
    assert set(ins["stopping"]) == RULES  # the forecast rule waits for more points
    for verdict in ins["stopping"].values():
        assert isinstance(verdict["stop"], bool) and verdict["reason"]
    assert ins["forecast"]["targets"] == [] and "3 retrains" in ins["forecast"]["reason"]
    for more in (3, 3, 3, 3):
        prog = retrain_after(api, more)
    ins = prog["insights"]
    assert ins["n_labels"] == 22 and set(ins["stopping"]) == RULES | {"forecast_gain"}
    fc = ins["forecast"]
    assert fc["method"] in {"inverse_power_law", "flat"} and fc["plateau"] is not None
    for t in fc["targets"]:
        assert t["target"] > ins["estimate"]["accuracy"] and t["reason"]
        assert t["more_labels"] is None or t["more_labels"] >= 0
    curve = prog["learning_curve"]
    assert [p["n_labels"] for p in curve][-5:] == [10, 13, 16, 19, 22]
    assert all(p["estimate_low"] <= p["estimated_accuracy"] <= p["estimate_high"]
               for p in curve if p["estimated_accuracy"] is not None)


def test_a_new_worker_picks_up_the_accuracy_history(api):
    api.service.worker.run_once(force=True)
    for more in (8, 3, 3):
        retrain_after(api, more)
    rt = api.service.runtime
    fresh = RetrainWorker(rt.store, rt.X, rt.labels)  # as after a worker restart
    label_n(api, 3)
    fresh.run_once(force=True)
    assert fresh.insights.monitor.labels_ == [8, 11, 14, 17]  # three from the log, one new
    ins = api.get("/api/progress").json()["insights"]
    assert "forecast_gain" not in ins["stopping"]  # 4 points < the monitor's min_points (5)
    assert ins["forecast"]["method"] in {"inverse_power_law", "flat"}


def test_failing_insights_never_fail_the_retrain(api, monkeypatch):
    api.service.worker.run_once(force=True)

    def broken(self, loop, y, seed, random_rows=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(insights_module.ServiceInsights, "after_retrain", broken)
    label_n(api, 6)
    run = api.service.worker.run_once(force=True)
    assert run.status == "ok"
    ins = api.get("/api/progress").json()["insights"]
    assert ins["estimate"] is None and "insights failed: RuntimeError: boom" in ins["note"]
