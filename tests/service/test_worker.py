"""The retrain worker: every K labels it refits and re-ranks; failures keep the old queue;
labeling never waits for it."""

from __future__ import annotations

import threading
import time
import uuid

import numpy as np
import pytest
from sqlalchemy import select

from activelab.service import worker as worker_module
from activelab.service.tables import QueueEntry, Run

from ._data import make_jsonl, truth_of_image


def label_n(api, n, as_="alice"):
    for _ in range(n):
        item = api.next(as_)
        r = api.label(item["item_id"], truth_of_image(item["item_id"]), as_=as_)
        assert r.status_code == 200, r.text


def queue(api):
    with api.service.runtime.store.read() as s:
        return [(q.item_idx, q.run_id) for q in s.scalars(select(QueueEntry).order_by(QueueEntry.rank))]


def test_retrains_after_every_k_labels(api):
    w = api.service.worker
    api.put("/api/settings", {"retrain_every": 4}, as_="admin")
    first = w.run_once()
    assert first.status == "ok" and first.strategy == "random (cold start)" and first.n_labels == 0
    assert w.run_once() is None  # nothing new
    label_n(api, 3)
    assert w.run_once() is None  # 3 < K
    label_n(api, 1)
    run = w.run_once()
    assert run is not None and run.status == "ok" and run.n_labels == 4
    assert run.strategy == "margin"
    q = queue(api)
    assert q and all(run_id == run.id for _, run_id in q)
    label_n(api, 4)
    run = w.run_once()
    assert run.n_labels == 8
    rarest = min(api.get("/api/stats").json()["per_class"].values())
    assert rarest >= 2 and run.cv_folds == min(5, rarest) and 0 <= run.cv_accuracy <= 1
    curve = api.get("/api/progress").json()["learning_curve"]
    assert curve[-1]["n_labels"] == 8 and curve[-1]["cv_accuracy"] == run.cv_accuracy
    scores = api.get("/api/progress").json()["queue_scores"]
    assert scores[0]["rank"] == 0 and scores[0]["score"] >= scores[-1]["score"]


def test_a_failed_refit_keeps_the_previous_queue(api, monkeypatch, caplog):
    w = api.service.worker
    api.put("/api/settings", {"retrain_every": 2}, as_="admin")
    w.run_once()
    label_n(api, 2)
    good = w.run_once()
    before = queue(api)

    def broken(*args, **kwargs):
        raise RuntimeError("the model exploded")

    monkeypatch.setattr(worker_module, "rank_pool", broken)
    label_n(api, 2)
    with caplog.at_level("ERROR", logger="activelab.service.worker"):
        failed = w.run_once()
    assert failed.status == "failed" and "the model exploded" in failed.error
    assert "previous queue stays in use" in caplog.text
    assert queue(api) == before and all(run_id == good.id for _, run_id in before)
    runs = api.get("/api/progress").json()["runs"]
    assert runs[0]["status"] == "failed" and "exploded" in runs[0]["error"]
    # labeling goes on with the old queue
    item = api.next("bob")
    assert not item["done"] and "model #%d" % good.id in item["why"]
    monkeypatch.undo()
    label_n(api, 2)
    assert w.run_once().status == "ok"


def test_labeling_never_waits_for_a_slow_retrain(api, monkeypatch):
    w = api.service.worker
    w.run_once()
    real = worker_module.rank_pool
    started = threading.Event()

    def slow(*args, **kwargs):
        started.set()
        time.sleep(3)
        return real(*args, **kwargs)

    monkeypatch.setattr(worker_module, "rank_pool", slow)
    label_n(api, 2)
    thread = threading.Thread(target=w.run_once, kwargs={"force": True})
    thread.start()
    assert started.wait(10)
    t0 = time.perf_counter()
    label_n(api, 3, as_="bob")
    assert time.perf_counter() - t0 < 2.5  # done while the retrain still sleeps
    thread.join()


def test_background_thread_retrains_by_itself(project_dir, db_url):
    from fastapi.testclient import TestClient

    from activelab.service import Runtime, create_app
    from activelab.service.auth import add_annotator

    rt = Runtime.open(project_dir, db_url)
    token = add_annotator(rt.store, "alice")
    from activelab.service.settings import write_settings

    write_settings(rt.store, {"retrain_every": 3})
    app = create_app(rt, poll_seconds=0.1)
    h = {"Authorization": f"Bearer {token}"}
    try:
        with TestClient(app) as c:
            for _ in range(6):
                item = _next_item(c, h)
                c.post("/api/labels", headers=h, json={
                    "item_id": item["item_id"], "label": truth_of_image(item["item_id"]),
                    "request_id": uuid.uuid4().hex})
            deadline = time.time() + 30
            while time.time() < deadline:
                runs = c.get("/api/progress", headers=h).json()["runs"]
                if any(r["n_labels"] >= 3 for r in runs):
                    break
                time.sleep(0.2)
            assert any(r["n_labels"] >= 3 and r["status"] == "ok" for r in runs), runs
    finally:
        rt.close()


@pytest.mark.parametrize("strategy", ["margin", "entropy"])
def test_text_projects_retrain_on_sparse_tfidf(tmp_path, strategy):
    from activelab.service import Runtime, init_project
    from activelab.service.auth import Principal, add_annotator
    from activelab.service.labellog import record_label
    from activelab.service.leases import lease_next
    from activelab.service.worker import RetrainWorker

    init_project(tmp_path / "p", data=make_jsonl(tmp_path / "d.jsonl"), labels="sport,science",
                 strategy=strategy)
    rt = Runtime.open(tmp_path / "p")
    try:
        add_annotator(rt.store, "a")
        who = Principal(1, "a", False)
        counts = {"sport": 0, "science": 0}
        while min(counts.values()) < 2:  # until cross-validation has two folds
            leased = lease_next(rt.store, who.id, 600)
            label = "sport" if int(leased.item_id.split("-")[1]) % 2 == 0 else "science"
            record_label(rt.store, who, leased.item_id, label, uuid.uuid4().hex, rt.labels)
            counts[label] += 1
        run = RetrainWorker(rt.store, rt.X, rt.labels).run_once(force=True)
        assert run.status == "ok", run.error
        assert run.strategy == strategy and run.cv_accuracy is not None and run.cv_folds >= 2
        with rt.store.read() as s:
            assert s.scalar(select(Run).where(Run.id == run.id)).n_labels == sum(counts.values())
    finally:
        rt.close()


def _next_item(client, headers) -> dict:
    """/api/next, which must hand out an item even while the background retrain swaps the queue
    (it once answered "no item" in that window: see test_storage's
    test_lease_finds_an_item_queued_after_the_queue_was_read)."""
    item = client.get("/api/next", headers=headers).json()
    assert item.get("item_id") is not None, item
    return item


def _labeled_from_queue(api, n, as_="alice"):
    """Label n items handed out by /api/next; return how many came from the ranked queue."""
    from_queue = 0
    for _ in range(n):
        item = api.next(as_)
        from_queue += item["rank"] is not None
        r = api.label(item["item_id"], truth_of_image(item["item_id"]), as_=as_)
        assert r.status_code == 200, r.text
    return from_queue


@pytest.mark.parametrize("strategy", ["ucb", "thompson", "albl"])
def test_adaptive_strategies_learn_from_labels_given_through_the_api(api, strategy):
    """The worker keeps one ActiveLoop between retrains, so a bandit's arm statistics move as
    annotators label the queue it ranked (the service used to build a fresh strategy each time)."""
    w = api.service.worker
    api.put("/api/settings", {"retrain_every": 4, "strategy": strategy, "queue_size": 20},
            as_="admin")
    w.run_once()  # cold start: a random queue
    label_n(api, 8)
    ranked = w.run_once()
    assert ranked.status == "ok" and ranked.strategy == strategy
    live = w.loop.loop.strategy
    assert not [k for k in vars(live) if k.endswith("_")], "nothing learned before feedback"

    from_queue = _labeled_from_queue(api, 4)
    assert from_queue == 4
    again = w.run_once()
    assert again.status == "ok" and w.loop.loop.strategy is live
    if strategy == "ucb":
        assert live.counts_.sum() == 4  # each label the queue's arm chose is one play
    elif strategy == "thompson":
        assert (live.alpha_ + live.beta_).sum() > (np.ones_like(live.alpha_) * 2).sum()
    else:
        assert live.n_steps_ == 4 and np.ptp(live.log_weights_) > 0
    before = {k: np.copy(v) for k, v in vars(live).items() if k.endswith("_")}
    _labeled_from_queue(api, 4)
    w.run_once()
    moved = [k for k, v in before.items() if not np.array_equal(np.asarray(v), getattr(live, k))]
    assert moved, "the arm statistics did not move with the second batch of labels"


def test_changing_the_strategy_starts_a_fresh_loop(api):
    w = api.service.worker
    api.put("/api/settings", {"retrain_every": 2, "strategy": "ucb"}, as_="admin")
    w.run_once()
    label_n(api, 6)
    w.run_once()
    first = w.loop.loop
    api.put("/api/settings", {"strategy": "margin"}, as_="admin")
    assert w.run_once(force=True).strategy == "margin"
    assert w.loop.loop is not first and w.loop.loop.strategy.name == "margin"


def test_the_service_model_sees_pool_standardized_features(api):
    """The service scales features with the pool's statistics, as the experiment runner does."""
    w = api.service.worker
    X = w.loop.X
    assert np.allclose(np.asarray(X).mean(axis=0), 0, atol=1e-6)
    std = np.asarray(X).std(axis=0)
    assert np.allclose(std[std > 0], 1, atol=1e-6)


# each network once (on one database each: the fit does not depend on it, and a CNN fit is the
# suite's slowest step)
@pytest.mark.parametrize(("backend", "model"), [("postgresql", "torch_mlp"), ("sqlite", "cnn")])
def test_torch_models_retrain_in_the_worker(api, model):
    """The registry's torch networks train in the worker (the service's image features are
    flattened 16×16 pixels, which the CNN reshapes); labeling goes on meanwhile."""
    pytest.importorskip("torch")
    w = api.service.worker
    api.put("/api/settings", {"retrain_every": 4, "model": model, "strategy": "bald"}, as_="admin")
    w.run_once()
    label_n(api, 8)
    run = w.run_once()
    assert run.status == "ok", run.error
    assert run.model == model and run.strategy == "bald"
    assert queue(api) and w.loop.loop.fitted is not None


def test_the_queue_holds_queue_size_items_besides_the_leased_ones(api):
    """Leased items stay queued until labeled: a retrain queues `queue_size` items more than
    are leased out, so a team larger than the queue still gets the strategy's picks."""
    from activelab.service.auth import add_annotator

    w = api.service.worker
    api.put("/api/settings", {"retrain_every": 100, "queue_size": 1}, as_="admin")
    w.run_once(force=True)
    held = {who: api.next(who)["item_id"] for who in ("admin", "alice", "bob")}
    assert len(set(held.values())) == 3
    run = w.run_once(force=True)
    assert run.status == "ok"
    q = queue(api)
    assert len(q) == 1 + 3 and all(run_id == run.id for _, run_id in q)
    carol = add_annotator(api.service.runtime.store, "carol")
    got = api.next(carol)
    assert not got["done"] and got["item_id"] not in held.values()
    assert got["rank"] is not None  # a queued pick, not a random item from the pool
    for who, item_id in held.items():  # labeled items leave the next ranking
        assert api.label(item_id, truth_of_image(item_id), as_=who).status_code == 200
    w.run_once(force=True)
    assert len(queue(api)) == 1 + 1  # carol still holds hers


def test_queue_for_team_adds_the_leased_items():
    from activelab.service.settings import Settings

    s = Settings(queue_size=100)
    assert worker_module.queue_for_team(s, 0) == s
    assert worker_module.queue_for_team(s, 250).queue_size == 350
    assert worker_module.queue_for_team(s, 250).strategy == s.strategy
