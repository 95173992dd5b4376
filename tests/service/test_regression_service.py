"""Issue 17, the labeling service's regression projects: `activelab init --task regression` (no
label set; an optional range and unit), an answer that is a number in the append-only log,
retries, undo, the refusals (NaN, infinity, strings, booleans, out of range, a `label` or
`labels`, overlap, label additions, the review queue), the exports, migration 0008, and the
worker ranking the queue through `activelab.regression`. On SQLite and PostgreSQL where the
database matters."""

from __future__ import annotations

import csv
import io
import json
import shutil
import uuid

import numpy as np
import pytest

from ._data import make_table

RANGE = [-100.0, 200.0]


def rid() -> str:
    return uuid.uuid4().hex


def truth(fields: dict) -> float:
    """The made-up measurement of a table row: linear in its features, 3 decimals."""
    return round(20 + 5 * float(fields["f1"]) - 3 * float(fields["f2"]), 3)


@pytest.fixture(scope="session")
def reg_template(tmp_path_factory):
    """A regression project over a 60-row table, range -100..200 kg (features computed once);
    tests copy it."""
    from activelab.service import init_project

    base = tmp_path_factory.mktemp("reg-template")
    table = make_table(base / "rows.csv", n=60)
    root = base / "proj"
    init_project(root, data=table, task="regression", value_range="-100,200", unit="kg")
    for db in root.glob("activelab.db*"):
        db.unlink()
    return root


@pytest.fixture
def reg_api(reg_template, tmp_path, db_url):
    """The regression project's app on a fresh database (worker not started), three tokens."""
    from fastapi.testclient import TestClient

    from activelab.service import Runtime, create_app
    from activelab.service.auth import add_annotator

    from .conftest import Api

    root = tmp_path / "proj"
    shutil.copytree(reg_template, root)
    runtime = Runtime.open(root, db_url)
    tokens = {name: add_annotator(runtime.store, name, admin=name == "admin")
              for name in ("admin", "alice", "bob")}
    app = create_app(runtime, start_worker=False)
    with TestClient(app) as client:
        yield Api(client, tokens, app)
    runtime.close()


def answer(api, item_id, value, as_="alice", request_id=None):
    return api.post("/api/labels", {"item_id": item_id, "value": value,
                                    "request_id": request_id or rid()}, as_=as_)


# -- init -----------------------------------------------------------------------------------------


def test_init_makes_a_regression_project_all_or_nothing(tmp_path, capsys):
    from activelab.regression import regression_strategy_names
    from activelab.service.commands import main
    from activelab.service.project import Project
    from activelab.service.regression import DEFAULT_STRATEGY

    assert DEFAULT_STRATEGY in regression_strategy_names()
    table = make_table(tmp_path / "rows.csv", n=20)
    proj = tmp_path / "yield"
    assert main(["init", str(proj), "--data", str(table), "--task", "regression",
                 "--range", "0,100", "--unit", "%"]) == 0
    assert "regression (numbers from 0 to 100 %)" in capsys.readouterr().out
    cfg = Project.open(proj).config
    assert (cfg.task, cfg.labels, cfg.strategy, cfg.model, cfg.value_range, cfg.unit) == (
        "regression", [], "igs", "ridge", [0.0, 100.0], "%")
    # re-import: same range (or none) is fine, another range is not; the task cannot change
    assert main(["init", str(proj), "--data", str(table), "--task", "regression"]) == 0
    assert Project.open(proj).config.value_range == [0.0, 100.0]
    capsys.readouterr()
    assert main(["init", str(proj), "--data", str(table), "--task", "regression",
                 "--range", "0,50"]) == 2
    assert "range cannot change" in capsys.readouterr().err
    assert main(["init", str(proj), "--data", str(table), "--labels", "a,b"]) == 2
    assert "is a regression project" in capsys.readouterr().err
    bad = tmp_path / "bad"
    for extra, words in (
        (["--labels", "a,b"], "has no label set: drop --labels"),
        (["--range", "5,1"], "MIN < MAX"),
        (["--range", "0,nan"], "two finite numbers"),
        (["--range", "7"], "two finite numbers"),
        (["--strategy", "margin"], "unknown strategy 'margin'"),
        (["--model", "logreg"], "unknown model 'logreg'"),
    ):
        assert main(["init", str(bad), "--data", str(table), "--task", "regression",
                     *extra]) == 2, extra
        assert words in capsys.readouterr().err, extra
    assert main(["init", str(bad), "--data", str(table), "--labels", "a,b",
                 "--range", "0,1"]) == 2
    assert "for regression projects" in capsys.readouterr().err
    assert main(["init", str(bad), "--data", str(table)]) == 2
    assert "--labels is needed" in capsys.readouterr().err
    assert not bad.exists()
    assert main(["init", str(bad), "--data", str(table), "--task", "regression",
                 "--strategy", "gp_std", "--model", "gp"]) == 0
    assert (Project.open(bad).config.strategy, Project.open(bad).config.model) == ("gp_std", "gp")


# -- numbers -------------------------------------------------------------------------------------


def test_values_round_trip_with_retries_and_undo(reg_api):
    api = reg_api
    nxt = api.next()
    assert (nxt["task"], nxt["unit"], nxt["value_range"], nxt["labels"]) == (
        "regression", "kg", RANGE, [])
    assert nxt["predicted_value"] is None and nxt["predicted_std"] is None  # no model yet
    first = nxt["item_id"]
    request_id = rid()
    r = answer(api, first, 12.25, request_id=request_id)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["kind"], body["value"], body["label"], body["duplicate"]) == (
        "label", 12.25, None, False)
    # a retry (12.25 as written, or as an integer-valued float) is the first outcome; another
    # number under that id is not
    again = answer(api, first, 12.25, request_id=request_id).json()
    assert again["duplicate"] and again["event_id"] == body["event_id"]
    r = answer(api, first, 12.5, request_id=request_id)
    assert r.status_code == 409 and "already used" in r.json()["detail"]
    # integers, negatives, zero and the range's ends are numbers like any other
    second = api.next()["item_id"]
    assert answer(api, second, 0).json()["value"] == 0.0
    stats = api.get("/api/stats").json()
    assert stats["labeled"] == 2 and stats["per_class"] == {}
    undo = api.post("/api/undo", {"request_id": rid()}).json()
    assert undo["undone_kind"] == "label" and undo["undone_value"] == 0.0
    assert undo["next"]["item_id"] == second and undo["next"]["task"] == "regression"
    assert answer(api, second, -100).json()["value"] == -100.0
    assert answer(api, first, 200).json()["kind"] == "relabel"  # the labeler corrects it
    third = api.next()["item_id"]
    assert api.post("/api/skip", {"item_id": third, "request_id": rid()}).status_code == 200
    log = api.get("/api/export?format=jsonl&history=true", as_="admin").text.splitlines()
    kinds = [(e["kind"], e["value"]) for e in map(json.loads, log)]
    assert kinds == [("label", 12.25), ("label", 0.0), ("undo", None), ("label", -100.0),
                     ("relabel", 200.0), ("skip", None)]


def test_refusals_name_the_fix(reg_api):
    api = reg_api
    item = api.next()["item_id"]
    raw = {"Authorization": f"Bearer {api.tokens['alice']}", "Content-Type": "application/json"}
    for text, words in (('NaN', "finite number"), ('Infinity', "finite number"),
                        ('-Infinity', "finite number"), ('1e999', "finite number"),
                        ('"12.5"', "JSON number"), ('true', "JSON number"),
                        ('null', "JSON number"), ('[1]', "JSON number"),
                        ('200.001', "outside this project's range [-100, 200]"),
                        ('-1000', "outside this project's range")):
        body = f'{{"item_id": {json.dumps(item)}, "value": {text}, "request_id": "{rid()}"}}'
        r = api.client.post("/api/labels", content=body, headers=raw)
        assert r.status_code == 422 and words in r.json()["detail"], (text, r.text)
        assert r.json()["errors"][0]["loc"] == ["body", "value"], text
    for field, value in (("label", "a"), ("labels", ["a"])):
        r = api.post("/api/labels", {"item_id": item, field: value, "request_id": rid()})
        assert r.status_code == 422, r.text
        assert "regression project: send `value`" in r.json()["detail"]
        assert f"not `{field}`" in r.json()["detail"]
    # one annotator per item, no label set, no review queue; regression strategies and models
    r = api.put("/api/settings", {"annotations_per_item": 2}, as_="admin")
    assert r.status_code == 422 and "must stay 1 on a regression" in r.json()["detail"]
    for bad in ({"strategy": "margin"}, {"model": "logreg"}):
        r = api.put("/api/settings", bad, as_="admin")
        assert r.status_code == 422 and "unknown" in r.json()["detail"]
    assert api.put("/api/settings", {"strategy": "variance", "model": "random_forest_regressor"},
                   as_="admin").json()["strategy"] == "variance"
    r = api.post("/api/label-set", {"label": "d"}, as_="admin")
    assert r.status_code == 422 and "has no label set" in r.json()["detail"]
    assert api.get("/api/review", as_="admin").status_code == 422
    r = api.post("/api/review", {"item_id": item, "label": "a", "request_id": rid()}, as_="admin")
    assert r.status_code == 422 and "no review queue" in r.json()["detail"]
    assert answer(api, item, 3.5).status_code == 200  # the lease still holds


def test_other_projects_refuse_a_value(api):
    item = api.next()["item_id"]
    r = api.post("/api/labels", {"item_id": item, "value": 3.5, "request_id": rid()})
    assert r.status_code == 422 and "not `value`" in r.json()["detail"]
    assert "task" not in api.next()
    schemas = api.get("/api/openapi.json").json()["components"]["schemas"]
    assert "ValueIn" not in schemas and "RegressionNextOut" not in schemas


def test_a_multilabel_body_refuses_a_value():
    from pydantic import ValidationError

    from activelab.service.schemas import LabelsIn

    with pytest.raises(ValidationError, match="multilabel project: send `labels`.*not `value`"):
        LabelsIn.model_validate({"item_id": "r1", "value": 2.0, "request_id": rid()})


def test_the_document_describes_the_regression_api(reg_api):
    doc = reg_api.get("/api/openapi.json").json()
    s = doc["components"]["schemas"]
    body = doc["paths"]["/api/labels"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/ValueIn")
    value = s["ValueIn"]["properties"]["value"]
    assert (value["type"], value["minimum"], value["maximum"]) == ("number", -100.0, 200.0)
    assert "LabelIn" not in s and "LabelsIn" not in s
    assert {"predicted_value", "predicted_std", "unit", "value_range"} <= set(
        s["RegressionNextOut"]["properties"])
    strategy = s["SettingsIn"]["properties"]["strategy"]["anyOf"][0]["enum"]
    assert "igs" in strategy and "margin" not in strategy
    model = s["SettingsIn"]["properties"]["model"]["anyOf"][0]["enum"]
    assert "ridge" in model and "logreg" not in model
    assert "x-activelab" not in json.dumps(doc)


# -- exports -------------------------------------------------------------------------------------


def test_exports_hold_numbers(reg_api):
    import pyarrow as pa
    import pyarrow.parquet as pq

    api = reg_api
    given = {}
    for value in (12.25, -3, 1e-7):
        item = api.next()["item_id"]
        assert answer(api, item, value).status_code == 200
        given[item] = float(value)

    def export(fmt, history=False):
        r = api.get(f"/api/export?format={fmt}&history={str(history).lower()}", as_="admin")
        assert r.status_code == 200, r.text
        return r

    rows = list(csv.DictReader(io.StringIO(export("csv").text)))
    assert list(rows[0]) == ["item_id", "value", "annotator", "labeled_at", "event_id", "status"]
    assert {r["item_id"]: float(r["value"]) for r in rows} == given
    lines = [json.loads(x) for x in export("jsonl").text.splitlines()]
    assert {r["item_id"]: r["value"] for r in lines} == given
    assert all(isinstance(r["value"], float) for r in lines)
    table = pq.read_table(io.BytesIO(export("parquet").content))
    assert pa.types.is_float64(table.schema.field("value").type)
    assert dict(zip(table["item_id"].to_pylist(), table["value"].to_pylist())) == given
    history = pq.read_table(io.BytesIO(export("parquet", history=True).content))
    assert history["value"].to_pylist() == list(given.values())
    tasks = export("labelstudio").json()
    results = {t["data"]["item_id"]: t["annotations"][0]["result"] for t in tasks}
    assert results == {item: [{"from_name": "value", "to_name": "item", "type": "number",
                               "value": {"number": value}}] for item, value in given.items()}


def test_cli_export_writes_numbers(reg_api, capsys):
    from activelab.service.commands import main

    api = reg_api
    item = api.next()["item_id"]
    answer(api, item, 7.5)
    root = api.service.runtime.project.root
    capsys.readouterr()
    assert main(["export", str(root), "--db", api.service.runtime.store.url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("item_id,value,") and out[1].startswith(f"{item},7.5,alice,")


# -- migration 0008 ------------------------------------------------------------------------------


def test_migration_0008_adds_values_and_takes_them_back(empty_db_url):
    from sqlalchemy import text

    from activelab.service.db import Store

    from .test_agreement_api import _alembic

    store = Store(empty_db_url)
    try:
        _alembic(store, "upgrade", "0007")
        with store.durable_engine.begin() as conn:
            conn.execute(text("INSERT INTO items (idx, item_id, kind) VALUES (0, 'r0', 'row'), "
                              "(1, 'r1', 'row')"))
            conn.execute(text("INSERT INTO annotators (id, name, token_hash, is_admin, created_at)"
                              " VALUES (1, 'alice', 'h1', false, '2026-01-01')"))
            conn.execute(text("INSERT INTO events (id, request_id, kind, item_idx, annotator_id, "
                              "label, created_at) VALUES (1, 'r1', 'label', 0, 1, 'red', "
                              "'2026-01-01')"))
        _alembic(store, "upgrade", "0008")
        with store.durable_engine.begin() as conn:
            assert conn.execute(text("SELECT label, value FROM events")).all() == [("red", None)]
            conn.execute(text("INSERT INTO events (id, request_id, kind, item_idx, annotator_id, "
                              "value, created_at) VALUES (2, 'r2', 'label', 1, 1, 0.1, "
                              "'2026-01-02'), (3, 'r3', 'undo', 1, 1, NULL, '2026-01-02'), "
                              "(4, 'r4', 'label', 1, 1, -12345.678901234567, '2026-01-02')"))
            conn.execute(text("UPDATE events SET target_event_id = 2 WHERE id = 3"))
            values = conn.execute(text("SELECT value FROM events WHERE id IN (2, 4) ORDER BY id"))
            assert values.scalars().all() == [0.1, -12345.678901234567]  # doubles, exactly
        _alembic(store, "downgrade", "0007")
        with store.durable_engine.begin() as conn:
            assert conn.execute(text("SELECT id, label FROM events")).all() == [(1, "red")]
            if store.dialect == "sqlite":
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        _alembic(store, "upgrade", "head")
        with store.durable_engine.begin() as conn:
            assert conn.execute(text("SELECT value FROM events")).scalars().all() == [None]
    finally:
        store.dispose()


# -- the retrain worker --------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_worker_ranks_a_regression_queue_as_the_library_does(reg_api):
    from activelab.models import scale_pool
    from activelab.regression import as_regressor_factory, query_regression
    from activelab.service.tables import QueueEntry

    api = reg_api
    worker = api.service.worker
    cold = worker.run_once(force=True)  # no numbers yet: greedy_x spreads the first labels
    assert cold.status == "ok" and cold.strategy == "greedy_x (cold start)"
    first, second = api.next("admin"), api.next("bob")
    assert first["rank"] == 1 and first["predicted_value"] is None
    assert "No model yet" in first["why"] and "No model yet" in second["why"]
    runtime = api.service.runtime
    given = {}
    for _ in range(12):
        nxt = api.next()
        assert answer(api, nxt["item_id"], truth(nxt["fields"])).status_code == 200
        given[runtime.by_id[nxt["item_id"]]["idx"]] = truth(nxt["fields"])
    run = worker.run_once(force=True)
    assert (run.status, run.strategy, run.n_labels) == ("ok", "igs", 12), run.error
    with runtime.store.read() as s:
        queue = [q.item_idx for q in s.query(QueueEntry).order_by(QueueEntry.rank)]
    # the same picks as activelab.regression's query on the same labels and seed
    X = scale_pool(runtime.X)[0]
    y = np.full(len(runtime.items), np.nan)
    y[list(given)] = list(given.values())
    expected = query_regression(X, y, strategy="igs", model="ridge", batch_size=len(queue),
                                random_state=run.id)
    assert queue == expected.tolist() and len(queue) == 60 - 12
    # the page gets ridge's prediction of the item (no std: ridge has none)
    nxt = api.next("bob")
    fitted = as_regressor_factory("ridge").fit(X, y, list(given), random_state=run.id)
    idx = runtime.by_id[nxt["item_id"]]["idx"]
    assert nxt["predicted_value"] == pytest.approx(float(fitted.predict(X[[idx]])[0]))
    assert nxt["predicted_std"] is None and nxt["prediction"] is None
    assert nxt["why"].startswith("The model predicts") and "Chosen by igs" in nxt["why"]
    progress = api.get("/api/progress").json()
    note = progress["insights"]["note"]
    assert "in-sample R²" in note and "5-fold cross-validated R²" in note
    assert "for classification projects" in note
    point = progress["learning_curve"][-1]  # the progress page's curve: cross-validated R²
    assert (point["run"], point["n_labels"]) == (run.id, 12) and point["cv_r2"] <= 1
    assert point["cv_accuracy"] is None and progress["per_class"] == {}
    assert api.get("/api/me").json()["task"] == "regression"
    # a Gaussian process ranks by its predictive std, and the page shows it
    api.put("/api/settings", {"strategy": "gp_std", "model": "gp"}, as_="admin")
    assert worker.run_once(force=True).strategy == "gp_std"
    nxt = api.next("admin")  # still the admin's lease, now with the GP's prediction
    assert nxt["predicted_std"] is not None and nxt["predicted_std"] >= 0


# -- under SIGKILL, with the worker in its own process -------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sigkill_loses_no_acknowledged_number(reg_template, tmp_path, db_url):
    """`activelab serve` killed mid-stream: every acknowledged number is in the log once, exactly
    as sent; a retry after the restart is not counted twice; the worker process ranks."""
    from ._kill import label_through_a_kill

    root = tmp_path / "proj"
    shutil.copytree(reg_template, root)
    out = label_through_a_kill(root, db_url, lambda item: {"value": truth(item["fields"]) + 1 / 3},
                               strategy="igs")
    assert not out.doubled and set(out.events) == set(out.acked)
    for request_id, body in out.acked.items():
        assert out.events[request_id].value == body["value"]  # the double, bit for bit
    assert "igs" in out.strategies, out.log
