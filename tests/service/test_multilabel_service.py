"""Issue 17, the labeling service's multilabel projects: `activelab init --task multilabel`, an
answer that is a set of labels (possibly empty: none of them) in the append-only log, retries,
undo, the refusals (unknown or repeated labels, a single `label`, overlap, label additions, the
review queue), the exports, migration 0007, and the worker ranking the queue through
`activelab.multilabel`. On SQLite and PostgreSQL where the database matters."""

from __future__ import annotations

import csv
import io
import json
import shutil
import uuid

import numpy as np
import pytest

from activelab.multilabel import (
    DEFAULT_STRATEGY,  # what a multilabel project starts with
)

from ._data import make_table

LABELS = ["a", "b", "c"]


def rid() -> str:
    return uuid.uuid4().hex


def truth(item_id: str) -> list[str]:
    """The made-up answer of a table row `rNNNN`: a when even, b when a multiple of 3, c never
    alone (with a, every 4th row); row 5, 7, ... none of them."""
    i = int(item_id[1:])
    out = []
    if i % 2 == 0:
        out.append("a")
    if i % 3 == 0:
        out.append("b")
    if i % 4 == 0:
        out.append("c")
    return out


@pytest.fixture(scope="session")
def ml_template(tmp_path_factory):
    """A multilabel project over a 60-row table (features computed once); tests copy it."""
    from activelab.service import init_project

    base = tmp_path_factory.mktemp("ml-template")
    table = make_table(base / "rows.csv", n=60)
    root = base / "proj"
    init_project(root, data=table, labels=",".join(LABELS), task="multilabel")
    for db in root.glob("activelab.db*"):
        db.unlink()
    return root


@pytest.fixture
def ml_api(ml_template, tmp_path, db_url):
    """The multilabel project's app on a fresh database (worker not started), three tokens."""
    from fastapi.testclient import TestClient

    from activelab.service import Runtime, create_app
    from activelab.service.auth import add_annotator

    from .conftest import Api

    root = tmp_path / "proj"
    shutil.copytree(ml_template, root)
    runtime = Runtime.open(root, db_url)
    tokens = {name: add_annotator(runtime.store, name, admin=name == "admin")
              for name in ("admin", "alice", "bob")}
    app = create_app(runtime, start_worker=False)
    with TestClient(app) as client:
        yield Api(client, tokens, app)
    runtime.close()


def answer(api, item_id, labels, as_="alice", request_id=None):
    return api.post("/api/labels", {"item_id": item_id, "labels": labels,
                                    "request_id": request_id or rid()}, as_=as_)


# -- init -----------------------------------------------------------------------------------------


def test_init_makes_a_multilabel_project_all_or_nothing(tmp_path, capsys):
    from activelab.service.commands import main
    from activelab.service.project import Project

    table = make_table(tmp_path / "rows.csv", n=20)
    proj = tmp_path / "tags"
    assert main(["init", str(proj), "--data", str(table), "--task", "multilabel",
                 "--labels", "a,b,c"]) == 0
    cfg = Project.open(proj).config
    assert (cfg.task, cfg.labels, cfg.strategy, cfg.model) == (
        "multilabel", LABELS, DEFAULT_STRATEGY, "logreg")
    capsys.readouterr()
    # the task cannot change; a classification strategy is refused; nothing written then
    assert main(["init", str(proj), "--data", str(table), "--labels", "a,b,c"]) == 2
    assert "is a multilabel project" in capsys.readouterr().err
    bad = tmp_path / "bad"
    assert main(["init", str(bad), "--data", str(table), "--task", "multilabel",
                 "--labels", "a,b", "--strategy", "margin"]) == 2
    assert "unknown strategy 'margin'" in capsys.readouterr().err
    assert main(["init", str(bad), "--data", str(table), "--task", "multilabel",
                 "--labels", "a;x,b"]) == 2
    assert "cannot contain ';'" in capsys.readouterr().err
    assert main(["init", str(bad), "--data", str(table), "--task", "ranking",
                 "--labels", "a,b"]) == 2
    assert "classification, multilabel, regression" in capsys.readouterr().err
    assert not bad.exists()


# -- labels as sets ------------------------------------------------------------------------------


def test_label_sets_round_trip_with_retries_and_undo(ml_api):
    api = ml_api
    nxt = api.next()
    assert nxt["task"] == "multilabel" and nxt["labels"] == LABELS
    assert nxt["label_probabilities"] is None  # no model yet
    first = nxt["item_id"]
    request_id = rid()
    r = answer(api, first, ["c", "a"], request_id=request_id)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["kind"], body["labels"], body["label"], body["duplicate"]) == (
        "label", ["a", "c"], None, False)
    # a retry (the set in any order) is the first outcome; another set under that id is not
    again = answer(api, first, ["a", "c"], request_id=request_id).json()
    assert again["duplicate"] and again["event_id"] == body["event_id"]
    r = answer(api, first, ["a"], request_id=request_id)
    assert r.status_code == 409 and "already used" in r.json()["detail"]
    # "none of these" is an answer, not a skip
    second = api.next()["item_id"]
    empty = answer(api, second, []).json()
    assert empty["labels"] == [] and empty["kind"] == "label"
    stats = api.get("/api/stats").json()
    assert stats["labeled"] == 2 and stats["per_class"] == {"a": 1, "b": 0, "c": 1}
    # undo takes the empty set back and hands the item back
    undo = api.post("/api/undo", {"request_id": rid()}).json()
    assert undo["undone_kind"] == "label" and undo["undone_labels"] == []
    assert undo["next"]["item_id"] == second and undo["next"]["task"] == "multilabel"
    assert answer(api, second, ["b"]).json()["labels"] == ["b"]
    # the labeler relabels, and the log keeps every event
    assert answer(api, first, ["b", "c"]).json()["kind"] == "relabel"
    stats = api.get("/api/stats").json()
    assert stats["labeled"] == 2 and stats["per_class"] == {"a": 0, "b": 2, "c": 1}
    # skip works as for classification
    third = api.next()["item_id"]
    assert api.post("/api/skip", {"item_id": third, "request_id": rid()}).status_code == 200
    log = api.get("/api/export?format=jsonl&history=true", as_="admin").text.splitlines()
    kinds = [(e["kind"], e["labels"]) for e in map(json.loads, log)]
    assert kinds == [("label", ["a", "c"]), ("label", []), ("undo", None), ("label", ["b"]),
                     ("relabel", ["b", "c"]), ("skip", None)]


def test_refusals_name_the_fix(ml_api):
    api = ml_api
    item = api.next()["item_id"]
    for labels, words in ((["a", "zebra"], "'zebra' is not in this project's label set"),
                          (["a", "a"], "repeats ['a']")):
        r = answer(api, item, labels)
        assert r.status_code == 422 and words in r.json()["detail"], r.text
        assert r.json()["errors"][0]["loc"] == ["body", "labels"]
    r = api.post("/api/labels", {"item_id": item, "label": "a", "request_id": rid()})
    assert r.status_code == 422 and "multilabel project: send `labels`" in r.json()["detail"]
    assert api.post("/api/labels", {"item_id": item, "labels": "a",
                                    "request_id": rid()}).status_code == 422
    # one annotator per item, a fixed label set, no review queue
    r = api.put("/api/settings", {"annotations_per_item": 2}, as_="admin")
    assert r.status_code == 422 and "must stay 1 on a multilabel" in r.json()["detail"]
    assert api.put("/api/settings", {"strategy": "margin"}, as_="admin").status_code == 422
    assert api.put("/api/settings", {"strategy": "mmc", "model": "random_forest"},
                   as_="admin").json()["strategy"] == "mmc"
    r = api.post("/api/label-set", {"label": "d"}, as_="admin")
    assert r.status_code == 422 and "label set is fixed" in r.json()["detail"]
    assert api.get("/api/review", as_="admin").status_code == 422
    assert api.post("/api/review", {"item_id": item, "label": "a", "request_id": rid()},
                    as_="admin").status_code == 422
    assert answer(api, item, ["a"]).status_code == 200  # the lease still holds


def test_a_classification_project_refuses_a_set(api):
    item = api.next()["item_id"]
    r = api.post("/api/labels", {"item_id": item, "labels": ["red"], "request_id": rid()})
    assert r.status_code == 422 and "send `label`" in r.json()["detail"]
    assert "task" not in api.next()  # its page and API are as they were
    schemas = api.get("/api/openapi.json").json()["components"]["schemas"]
    assert "LabelsIn" not in schemas and "MultilabelNextOut" not in schemas


def test_the_document_describes_the_multilabel_api(ml_api):
    doc = ml_api.get("/api/openapi.json").json()
    s = doc["components"]["schemas"]
    body = doc["paths"]["/api/labels"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/LabelsIn")
    labels = s["LabelsIn"]["properties"]["labels"]
    assert labels["items"]["enum"] == LABELS and labels["uniqueItems"] is True
    assert "LabelIn" not in s
    assert s["MultilabelNextOut"]["properties"]["label_probabilities"]["anyOf"][0]["items"]
    assert s["LabelsEventOut"]["properties"]["labels"]["anyOf"][0]["items"]["enum"] == LABELS
    strategy = s["SettingsIn"]["properties"]["strategy"]["anyOf"][0]["enum"]
    assert "mmc" in strategy and "margin" not in strategy
    assert "x-activelab" not in json.dumps(doc)


# -- exports -------------------------------------------------------------------------------------


def test_exports_hold_sets(ml_api):
    import pyarrow as pa
    import pyarrow.parquet as pq

    api = ml_api
    given = {}
    for labels in (["a", "c"], [], ["b"]):
        item = api.next()["item_id"]
        assert answer(api, item, labels).status_code == 200
        given[item] = labels

    def export(fmt, history=False):
        r = api.get(f"/api/export?format={fmt}&history={str(history).lower()}", as_="admin")
        assert r.status_code == 200, r.text
        return r

    rows = list(csv.DictReader(io.StringIO(export("csv").text)))
    assert list(rows[0]) == ["item_id", "labels", "annotator", "labeled_at", "event_id", "status"]
    assert {r["item_id"]: r["labels"] for r in rows} == {i: ";".join(v) for i, v in given.items()}
    assert {r["status"] for r in rows} == {"labeled"}
    lines = [json.loads(x) for x in export("jsonl").text.splitlines()]
    assert {r["item_id"]: r["labels"] for r in lines} == given
    table = pq.read_table(io.BytesIO(export("parquet").content))
    assert pa.types.is_list(table.schema.field("labels").type)
    assert dict(zip(table["item_id"].to_pylist(), table["labels"].to_pylist())) == given
    history = pq.read_table(io.BytesIO(export("parquet", history=True).content))
    assert history["labels"].to_pylist() == list(given.values())
    tasks = export("labelstudio").json()
    results = {t["data"]["item_id"]: t["annotations"][0]["result"] for t in tasks}
    for item, labels in given.items():
        if labels:
            assert results[item] == [{"from_name": "label", "to_name": "item", "type": "choices",
                                      "value": {"choices": labels}}]
        else:
            assert results[item] == []


def test_cli_export_joins_sets(ml_api, capsys):
    from activelab.service.commands import main

    api = ml_api
    item = api.next()["item_id"]
    answer(api, item, ["b", "a"])
    root = api.service.runtime.project.root
    capsys.readouterr()
    assert main(["export", str(root), "--db", api.service.runtime.store.url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("item_id,labels,") and out[1].startswith(f"{item},a;b,alice,")


# -- migration 0007 ------------------------------------------------------------------------------


def test_migration_0007_adds_label_sets_and_takes_them_back(empty_db_url):
    from sqlalchemy import text

    from activelab.service.db import Store

    from .test_agreement_api import _alembic

    store = Store(empty_db_url)
    try:
        _alembic(store, "upgrade", "0006")
        with store.durable_engine.begin() as conn:
            conn.execute(text("INSERT INTO items (idx, item_id, kind) VALUES (0, 'r0', 'row'), "
                              "(1, 'r1', 'row')"))
            conn.execute(text("INSERT INTO annotators (id, name, token_hash, is_admin, created_at)"
                              " VALUES (1, 'alice', 'h1', false, '2026-01-01')"))
            conn.execute(text("INSERT INTO events (id, request_id, kind, item_idx, annotator_id, "
                              "label, created_at) VALUES (1, 'r1', 'label', 0, 1, 'red', "
                              "'2026-01-01')"))
        _alembic(store, "upgrade", "0007")
        with store.durable_engine.begin() as conn:
            assert conn.execute(text("SELECT label, labels FROM events")).all() == [("red", None)]
            conn.execute(text("INSERT INTO events (id, request_id, kind, item_idx, annotator_id, "
                              "labels, created_at) VALUES (2, 'r2', 'label', 1, 1, '[\"a\"]', "
                              "'2026-01-02'), (3, 'r3', 'undo', 1, 1, NULL, '2026-01-02'), "
                              "(4, 'r4', 'label', 1, 1, '[]', '2026-01-02')"))
            conn.execute(text("UPDATE events SET target_event_id = 2 WHERE id = 3"))
        _alembic(store, "downgrade", "0006")
        with store.durable_engine.begin() as conn:
            assert conn.execute(text("SELECT id, label FROM events")).all() == [(1, "red")]
            if store.dialect == "sqlite":
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        _alembic(store, "upgrade", "head")
        with store.durable_engine.begin() as conn:
            assert conn.execute(text("SELECT labels FROM events")).scalars().all() == [None]
    finally:
        store.dispose()


# -- the retrain worker --------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_worker_ranks_a_multilabel_queue_as_the_library_does(ml_api):
    from activelab import UNLABELED
    from activelab.models import scale_pool
    from activelab.multilabel import query_multilabel
    from activelab.service.tables import QueueEntry

    api = ml_api
    worker = api.service.worker
    cold = worker.run_once(force=True)
    assert cold.status == "ok" and cold.strategy == "random (cold start)"
    assert "once some label is given" in api.next("admin")["why"]
    runtime = api.service.runtime
    given = {}
    for _ in range(12):
        item = api.next()["item_id"]
        assert answer(api, item, truth(item)).status_code == 200
        given[runtime.by_id[item]["idx"]] = truth(item)
    run = worker.run_once(force=True)
    assert (run.status, run.strategy, run.n_labels) == ("ok", DEFAULT_STRATEGY, 12), run.error
    with runtime.store.read() as s:
        queue = [q.item_idx for q in s.query(QueueEntry).order_by(QueueEntry.rank)]
    # the same picks as activelab.multilabel's one-shot query on the same labels
    Y = np.full((len(runtime.items), 3), UNLABELED, dtype=np.int64)
    for idx, labels in given.items():
        Y[idx] = [int(lab in labels) for lab in LABELS]
    expected = query_multilabel(scale_pool(runtime.X)[0], Y, strategy=DEFAULT_STRATEGY,
                                model="logreg", batch_size=len(queue), random_state=0)
    assert queue == expected.tolist() and len(queue) == 60 - 12
    nxt = api.next("bob")
    probs = nxt["label_probabilities"]
    assert [p["label"] for p in probs] == LABELS and all(0 <= p["probability"] <= 1 for p in probs)
    assert nxt["rank"] == 1 and f"Chosen by {DEFAULT_STRATEGY}" in nxt["why"]
    assert nxt["prediction"] is None  # the single-label view stays empty
    progress = api.get("/api/progress").json()  # the progress page: counts per label, the run
    assert progress["per_class"] == {lab: sum(lab in v for v in given.values()) for lab in LABELS}
    assert "single-label" in progress["insights"]["note"]
    assert api.get("/api/agreement", as_="admin").json()["items"] == 0
    # another strategy and model from activelab.multilabel, set at run time
    api.put("/api/settings", {"strategy": "mmc", "model": "random_forest"}, as_="admin")
    assert worker.run_once(force=True).strategy == "mmc"


# -- under SIGKILL, with the worker in its own process -------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sigkill_loses_no_acknowledged_set(ml_template, tmp_path, db_url):
    """`activelab serve` killed mid-stream: every acknowledged set is in the log once, with its
    labels; a retry after the restart is not counted twice; the worker process ranks."""
    from ._kill import label_through_a_kill

    root = tmp_path / "proj"
    shutil.copytree(ml_template, root)
    out = label_through_a_kill(root, db_url, lambda item: {"labels": truth(item["item_id"])},
                               strategy=DEFAULT_STRATEGY)
    assert not out.doubled and set(out.events) == set(out.acked)
    for request_id, body in out.acked.items():
        assert json.loads(out.events[request_id].labels) == body["labels"]
    assert DEFAULT_STRATEGY in out.strategies, out.log
