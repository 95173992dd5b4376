"""Issue 17, the labeling service's stream projects: `activelab init --task stream` (no data; a
label set, a budget, the items' width), POST /api/stream/items deciding each arrival at once and
storing the decision before answering (idempotent; 422 on a wrong width, NaN, unknown fields),
queried items labeled on the classification routes and taught to the learner, a restart that
rebuilds the learner from the database, the budget line at every item, exports, migration 0009.
On SQLite and PostgreSQL where the database matters."""

from __future__ import annotations

import json
import uuid

import numpy as np
import pytest

LABELS = ["a", "b", "c"]
DIM = 3
BUDGET = 0.2


def rid() -> str:
    return uuid.uuid4().hex


def truth(x) -> str:
    """The made-up label of a feature row: which of the first two features is larger, or c."""
    if x[2] > 1.0:
        return "c"
    return "a" if x[0] > x[1] else "b"


def stream_rows(n: int, seed: int = 0) -> np.ndarray:
    return np.round(np.random.default_rng(seed).normal(size=(n, DIM)), 6)


@pytest.fixture
def stream_root(tmp_path):
    from activelab.service import init_project

    root = tmp_path / "stream"
    init_project(root, task="stream", labels=",".join(LABELS), budget=str(BUDGET), dim=str(DIM),
                 db_url=f"sqlite:///{tmp_path / 'init.db'}")
    return root


def open_api(root, db_url):
    from fastapi.testclient import TestClient

    from activelab.service import Runtime, create_app
    from activelab.service.auth import add_annotator, list_annotators

    runtime = Runtime.open(root, db_url)
    have = {a.name for a in list_annotators(runtime.store)}
    tokens = {}
    for name in ("admin", "alice"):
        if name not in have:
            tokens[name] = add_annotator(runtime.store, name, admin=name == "admin")
    app = create_app(runtime, start_worker=False)
    return runtime, app, TestClient(app), tokens


@pytest.fixture
def stream_api(stream_root, db_url):
    from .conftest import Api

    runtime, app, client, tokens = open_api(stream_root, db_url)
    with client:
        yield Api(client, tokens, app)
    runtime.close()


def arrive(api, item_id, x, request_id=None, text=None, as_="admin"):
    body = {"item_id": item_id, "features": [float(v) for v in x],
            "request_id": request_id or rid()}
    if text is not None:
        body["text"] = text
    return api.post("/api/stream/items", body, as_=as_)


def label_queue(api, as_="alice") -> int:
    """Label every queued item with its true label (from the features the page shows)."""
    n = 0
    while True:
        nxt = api.next(as_=as_)
        if nxt["done"]:
            return n
        if nxt["fields"] is None:  # a text item: the page shows its text, not its features
            label = "c"
        else:
            label = truth([nxt["fields"][f"x{j}"] for j in range(DIM)])
        r = api.label(nxt["item_id"], label, as_=as_)
        assert r.status_code == 200, r.text
        n += 1


# -- init -----------------------------------------------------------------------------------------


def test_init_makes_a_stream_project_and_refuses_clearly(tmp_path, capsys):
    from activelab.service.commands import main
    from activelab.service.project import Project

    root = tmp_path / "s"
    assert main(["init", str(root), "--task", "stream", "--labels", "a,b,c", "--budget", "0.1",
                 "--dim", "4"]) == 0
    assert "stream project" in capsys.readouterr().out
    cfg = Project.open(root).config
    assert (cfg.task, cfg.labels, cfg.budget, cfg.dim, cfg.strategy, cfg.model) == (
        "stream", ["a", "b", "c"], 0.1, 4, "variable_uncertainty", "sgd")
    # re-running with the same settings is a no-op; other settings are refused
    assert main(["init", str(root), "--task", "stream", "--labels", "a,b,c", "--budget", "0.1",
                 "--dim", "4"]) == 0
    capsys.readouterr()
    refusals = [
        (["--labels", "a,b,c", "--budget", "0.2", "--dim", "4"], "cannot change"),
        (["--labels", "a,b,c", "--budget", "0.1", "--dim", "4", "--selector", "split"],
         "cannot change"),
    ]
    for args, words in refusals:
        assert main(["init", str(root), "--task", "stream", *args]) == 2
        assert words in capsys.readouterr().err
    fresh = tmp_path / "t"
    for args, words in [
        (["--labels", "a,b", "--dim", "4", "--budget", "0"], "--budget"),
        (["--labels", "a,b", "--dim", "4", "--budget", "1.5"], "--budget"),
        (["--labels", "a,b", "--dim", "4", "--budget", "x"], "--budget"),
        (["--labels", "a,b"], "--dim"),
        (["--labels", "a,b", "--dim", "0"], "--dim"),
        (["--dim", "4"], "--labels"),
        (["--labels", "a", "--dim", "4"], "two"),
        (["--labels", "a,b", "--dim", "4", "--selector", "nope"], "stream selector"),
        (["--labels", "a,b", "--dim", "4", "--model", "logreg"], "stream model"),
        (["--labels", "a,b", "--dim", "4", "--strategy", "margin"], "--selector"),
        (["--labels", "a,b", "--dim", "4", "--data", str(tmp_path)], "no --data"),
        (["--labels", "a,b", "--dim", "4", "--range", "0,1"], "--range"),
    ]:
        assert main(["init", str(fresh), "--task", "stream", *args]) == 2, args
        assert words in capsys.readouterr().err, args
        assert not fresh.exists()  # all or nothing
    # the other tasks refuse the stream options and still need --data
    assert main(["init", str(fresh), "--labels", "a,b", "--dim", "4"]) == 2
    assert "stream projects" in capsys.readouterr().err
    assert main(["init", str(fresh), "--labels", "a,b"]) == 2
    assert "--data is needed" in capsys.readouterr().err
    assert not fresh.exists()


# -- ingestion ------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"])
def test_decisions_respect_the_budget_and_teaching_changes_them(stream_api):
    """300 arrivals, the queue labeled as it fills: spent(t) ≤ b·t + 1 at every t; each label
    is learned before the next decision, which it changes."""
    X = stream_rows(300)
    spent_seen = []
    for t, x in enumerate(X, start=1):
        r = arrive(stream_api, f"s{t}", x)
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["items_seen"] == t and out["seq"] == t - 1 and not out["duplicate"]
        assert out["labels_spent"] <= BUDGET * t + 1
        spent_seen.append(out["labels_spent"])
        if out["queried"]:
            assert label_queue(stream_api) == 1
        if out["probabilities"] is not None:
            assert set(out["probabilities"]) == set(LABELS)
            assert out["predicted_label"] == max(out["probabilities"],
                                                 key=out["probabilities"].get)
    assert spent_seen[-1] >= 0.5 * BUDGET * 300  # the rate is used, not just respected
    status = stream_api.get("/api/stream").json()
    assert status["items_seen"] == 300 and status["labels_spent"] == spent_seen[-1]
    assert status["labels_learned"] == status["labeled"] == spent_seen[-1]
    assert status["prequential_n"] > 0 and status["prequential_accuracy"] > 0.5
    # teaching changes later predictions: the probabilities of one fixed row move
    book = stream_api.service.stream
    before = book.learner.predict_proba(np.array([[2.0, -2.0, 0.0]]))
    r = arrive(stream_api, "probe", [2.0, -2.0, 0.0])
    assert np.allclose(list(r.json()["probabilities"].values()), before[0])


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_label_is_learned_before_the_next_decision(stream_api):
    book = stream_api.service.stream
    assert arrive(stream_api, "first", [1.0, 0.0, 0.0]).json()["queried"]  # cold start
    assert book.learner.n_labels_ == 0
    label_queue(stream_api)
    assert book.learner.n_labels_ == 0  # learned when the next item arrives, before deciding
    arrive(stream_api, "second", [0.0, 1.0, 0.0])
    assert book.learner.n_labels_ == 1
    rows = stream_api.service.runtime.store
    from sqlalchemy import select

    from activelab.service.tables import StreamItem

    with rows.read() as s:
        taught = s.scalars(select(StreamItem.taught).order_by(StreamItem.seq)).all()
    assert json.loads(taught[0]) == [] and [seq for seq, _ in json.loads(taught[1])] == [0]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_retry_answers_the_stored_decision(stream_api):
    for t, x in enumerate(stream_rows(12)):
        arrive(stream_api, f"s{t}", x, request_id=f"req-{t:04d}")
    first = arrive(stream_api, "late", [0.5, 0.5, 0.5], request_id="req-late").json()
    again = arrive(stream_api, "late", [0.5, 0.5, 0.5], request_id="req-late").json()
    assert again.pop("duplicate") and not first.pop("duplicate")
    assert again == first
    # an earlier item, retried with a new request_id: its stored decision and counts
    old = arrive(stream_api, "s3", stream_rows(12)[3]).json()
    assert old["duplicate"] and old["seq"] == 3 and old["items_seen"] == 4
    assert stream_api.get("/api/stream").json()["items_seen"] == 13  # nothing decided twice
    r = arrive(stream_api, "s3", [9.0, 9.0, 9.0])
    assert r.status_code == 409 and "other features" in r.json()["detail"]
    r = arrive(stream_api, "other", [1.0, 1.0, 1.0], request_id="req-late")
    assert r.status_code == 409 and "request_id" in r.json()["detail"]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_malformed_arrivals_are_422_and_decide_nothing(stream_api):
    def raw(body: bytes):
        return stream_api.client.post("/api/stream/items", content=body, headers={
            **stream_api.headers("admin"), "Content-Type": "application/json"})

    cases = [
        (arrive(stream_api, "w", [1.0, 2.0]), "at least 3"),
        (arrive(stream_api, "w", [1.0, 2.0, 3.0, 4.0]), "at most 3"),
        (raw(b'{"item_id": "n", "features": [1, NaN, 2], "request_id": "abcdefgh1"}'), "finite"),
        (raw(b'{"item_id": "n", "features": [1, Infinity, 2], "request_id": "abcdefgh2"}'),
         "finite"),
        (raw(b'{"item_id": "n", "features": [1, "2", 2], "request_id": "abcdefgh3"}'),
         "JSON number"),
        (raw(b'{"item_id": "n", "features": [1, 2, 2], "request_id": "abcdefgh4", "label": "a"}'),
         "label"),
    ]
    for r, words in cases:
        assert r.status_code == 422, r.text
        assert words in r.json()["detail"], r.json()
    assert arrive(stream_api, "x", [1, 2, 3], as_="alice").status_code == 403
    assert stream_api.get("/api/stream").json()["items_seen"] == 0


@pytest.mark.parametrize("backend", ["sqlite"])
def test_queried_items_are_leased_labeled_and_exported(stream_api):
    queried = []
    for t, x in enumerate(stream_rows(30)):
        out = arrive(stream_api, f"s{t}", x, text=f"reading {t}" if t % 2 else None).json()
        if out["queried"]:
            queried.append(out["item_id"])
    assert len(queried) >= 2
    nxt = stream_api.next()
    assert nxt["item_id"] == queried[0]  # arrival order
    assert "Stream item" in nxt["why"] and "budget" in nxt["why"]
    assert nxt["kind"] in ("row", "text")
    assert stream_api.next(as_="admin")["item_id"] == queried[1]  # leased to alice, not twice
    label_queue(stream_api)
    label_queue(stream_api, as_="admin")
    r = stream_api.get("/api/export?format=jsonl", as_="admin")
    rows = [json.loads(line) for line in r.text.splitlines()]
    assert len(rows) == 30  # every arrival, queried or not, in arrival order
    assert [row["item_id"] for row in rows] == [f"s{t}" for t in range(30)]
    by_id = {row["item_id"]: row for row in rows}
    assert {i for i, row in by_id.items() if row["queried"]} == set(queried)
    assert all(row["label"] is None and row["status"] == "not_queried"
               for row in rows if not row["queried"])
    assert all(row["label"] in LABELS for row in rows if row["queried"])
    assert len(rows[0]["features"]) == DIM
    csv_text = stream_api.get("/api/export?format=csv", as_="admin").text
    assert csv_text.splitlines()[0].startswith("item_id,seq,queried")
    # the label set is fixed and the selector and model too
    assert stream_api.post("/api/label-set", {"label": "d"}, as_="admin").status_code == 422
    r = stream_api.put("/api/settings", {"strategy": "split"}, as_="admin")
    assert r.status_code == 422 and "stream" in r.json()["detail"]


def test_a_restart_rebuilds_the_learner_from_the_database(stream_root, db_url):
    """Decide and label 60 items, restart, and the rebuilt learner is the same (counts, budget,
    model); 60 more keep the budget line."""
    X = stream_rows(120, seed=3)
    runtime, app, client, tokens = open_api(stream_root, db_url)
    from .conftest import Api

    with client:
        api = Api(client, tokens, app)
        for t in range(60):
            arrive(api, f"s{t}", X[t])
            label_queue(api)
        book = api.service.stream
        before = (book.learner.n_seen_, book.learner.n_labels_, book.learner.budget_.spent_,
                  book.learner.budget_.estimate_, sorted(book.taught), sorted(book.steps))
        probe = book.learner.predict_proba(X[:5])
    runtime.close()
    runtime, app, client, more = open_api(stream_root, db_url)
    tokens.update(more)
    with client:
        api = Api(client, tokens, app)
        book = api.service.stream
        after = (book.learner.n_seen_, book.learner.n_labels_, book.learner.budget_.spent_,
                 book.learner.budget_.estimate_, sorted(book.taught), sorted(book.steps))
        assert after == before
        assert np.allclose(book.learner.predict_proba(X[:5]), probe)
        assert len(api.service.runtime.items) == before[2]  # the queried items, as pool items
        for t in range(60, 120):
            out = arrive(api, f"s{t}", X[t]).json()
            assert out["items_seen"] == t + 1
            assert out["labels_spent"] <= BUDGET * (t + 1) + 1
            label_queue(api)
        assert arrive(api, "s7", X[7]).json()["duplicate"]  # before the restart: stored
    runtime.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_cli_export_and_other_projects_are_untouched(stream_api, stream_root, db_url,
                                                         capsys):
    from activelab.service.commands import main

    for t, x in enumerate(stream_rows(5)):
        arrive(stream_api, f"s{t}", x)
    assert main(["export", str(stream_root), "--format", "jsonl", "--db", db_url]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["seq"] for row in rows] == list(range(5)) and rows[0]["queried"]


def test_a_classification_project_has_no_stream_routes(api):
    assert api.post("/api/stream/items", {}, as_="admin").status_code == 404
    assert api.get("/api/stream").status_code == 404


# -- migration 0009 ------------------------------------------------------------------------------


def test_migration_0009_adds_the_stream_table_and_takes_it_back(empty_db_url):
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import IntegrityError

    from activelab.service.db import Store

    from .test_agreement_api import _alembic

    store = Store(empty_db_url)
    try:
        _alembic(store, "upgrade", "0008")
        with store.durable_engine.begin() as conn:
            conn.execute(text("INSERT INTO items (idx, item_id, kind) VALUES (0, 'r0', 'row')"))
        _alembic(store, "upgrade", "0009")
        with store.durable_engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO stream_items (seq, item_id, request_id, features, queried, reason, "
                "utility, taught, item_idx, created_at) VALUES (0, 'r0', 'q0', '[0.5]', true, "
                "'rule', 0.25, '[]', 0, '2026-01-01'), (1, 'r1', 'q1', '[1.5]', false, 'budget', "
                "NULL, '[]', NULL, '2026-01-01')"))
            got = conn.execute(text("SELECT seq, queried, utility FROM stream_items ORDER BY seq"))
            assert [tuple(r) for r in got] == [(0, True, 0.25), (1, False, None)]
            with pytest.raises(IntegrityError), conn.begin_nested():  # one row per pool item
                conn.execute(text(
                    "INSERT INTO stream_items (seq, item_id, request_id, features, queried, "
                    "reason, taught, item_idx, created_at) VALUES (2, 'r2', 'q2', '[]', true, "
                    "'rule', '[]', 0, '2026-01-01')"))
        _alembic(store, "downgrade", "0008")
        with store.engine.connect() as conn:
            assert "stream_items" not in inspect(conn).get_table_names()
            assert conn.execute(text("SELECT item_id FROM items")).scalars().all() == ["r0"]
        _alembic(store, "upgrade", "head")
        with store.engine.connect() as conn:
            assert "stream_items" in inspect(conn).get_table_names()
    finally:
        store.dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sigkill_loses_no_acknowledged_decision(stream_root, db_url):
    """`activelab serve` killed while items arrive: every acknowledged decision is stored as
    answered; after the restart a retry answers the stored decision (or decides an item the
    kill left undecided) and the stream goes on under the budget."""
    import threading
    import time

    import httpx

    from activelab.service.auth import add_annotator
    from activelab.service.project import Project
    from activelab.service.runtime import open_store

    from ._server import Server

    store = open_store(Project.open(stream_root), db_url)
    token = add_annotator(store, "feeder", admin=True)
    store.dispose()
    headers = {"Authorization": f"Bearer {token}"}
    X = stream_rows(400, seed=5)
    acked, in_doubt = {}, []
    server = Server(stream_root, db_url).start()

    def feed():
        with httpx.Client(base_url=server.url, timeout=10, headers=headers) as c:
            for t, x in enumerate(X):
                body = {"item_id": f"s{t}", "features": x.tolist(), "request_id": f"req-{t:05d}"}
                try:
                    r = c.post("/api/stream/items", json=body)
                except httpx.HTTPError:
                    in_doubt.append(body)
                    return
                assert r.status_code == 200, r.text
                acked[body["item_id"]] = r.json()

    thread = threading.Thread(target=feed)
    try:
        thread.start()
        deadline = time.monotonic() + 60
        while len(acked) < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.kill()
        thread.join(30)
        assert len(acked) >= 20, server.log_text()
        server.start()
        with httpx.Client(base_url=server.url, timeout=10, headers=headers) as c:
            for item_id, out in list(acked.items())[-5:]:  # retries of acknowledged items
                t = int(item_id[1:])
                r = c.post("/api/stream/items", json={
                    "item_id": item_id, "features": X[t].tolist(), "request_id": f"req-{t:05d}"})
                again = r.json()
                assert again.pop("duplicate") and not out.pop("duplicate")
                assert again == out
            for body in in_doubt:
                assert c.post("/api/stream/items", json=body).status_code == 200
            status = c.get("/api/stream").json()
            assert status["items_seen"] == len(acked) + len(in_doubt)
            spent = [out["labels_spent"] for out in acked.values()]
            assert status["labels_spent"] <= BUDGET * status["items_seen"] + 1
            assert status["labels_spent"] >= max(spent)
    finally:
        server.stop()
