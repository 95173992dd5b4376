"""Issue 16, admin pages — the API under them: the label set grows (append-only, recorded, picked
up by the labeling API, the OpenAPI document, the model and the exports), annotators are listed,
invited and revoked, the labels export as CSV, JSON Lines, Parquet and Label Studio tasks.
Admins only: an annotator gets 403 (and a page that says "admins only"). SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from activelab.service import export as exporting
from activelab.service.tables import LabelAddition

from ._data import truth_of_image
from .test_api_contract import ADMIN_BODIES, MALFORMED, _is_422

ADMIN_READS = ["/api/label-set", "/api/annotators", "/api/export?format=parquet",
               "/api/export?format=labelstudio"]


def _label_some(api, n: int, *, extra: str | None = None) -> dict[str, str]:
    """Label `n` items (the last with `extra` when given) as alice; item id → label."""
    done = {}
    for i in range(n):
        iid = api.next()["item_id"]
        label = extra if extra is not None and i == n - 1 else truth_of_image(iid)
        assert api.label(iid, label).status_code == 200
        done[iid] = label
    return done


def test_admins_only(api):
    for path in ADMIN_READS:
        assert api.get(path, as_="alice").status_code == 403, path
        assert api.get(path, as_="admin").status_code == 200, path
    for name, body in ADMIN_BODIES.items():
        r = api.post(name.split(" ")[1], body, as_="alice")
        assert r.status_code == 403 and "not an admin" in r.json()["detail"], name
    # the page: admins get it, annotators a 403 page that says why, strangers the sign-in
    page = api.get("/admin", as_="admin")
    assert page.status_code == 200 and 'id="settings-form"' in page.text
    page = api.get("/admin", as_="alice")
    assert page.status_code == 403 and "Admins only" in page.text
    assert page.headers["content-type"].startswith("text/html")
    r = api.client.get("/admin", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert api.get("/static/admin.js", as_="alice").status_code == 200  # harmless without the API


def test_malformed_bodies_on_the_admin_writes(api):
    for name in ADMIN_BODIES:
        path = name.split(" ")[1]
        for what, (content, media) in MALFORMED.items():
            headers = {**api.headers("admin"), **({"Content-Type": media} if media else {})}
            body = _is_422(api.client.post(path, content=content, headers=headers))
            assert body["detail"].startswith("invalid request — "), (name, what)


def test_a_label_added_later(api):
    _label_some(api, 2)
    r = api.post("/api/label-set", {"label": "  green  "}, as_="admin")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["labels"] == ["red", "blue", "green"]
    [added] = body["additions"]
    assert added["label"] == "green" and added["code"] == 2 and added["added_by"] == "admin"
    assert added["added_at"].endswith("Z")
    # the labeling API, and the document, offer it at once; existing labels keep their place
    assert api.get("/api/me").json()["labels"] == ["red", "blue", "green"]
    assert api.next()["labels"] == ["red", "blue", "green"]
    doc = api.get("/api/openapi.json").json()
    assert doc["components"]["schemas"]["LabelIn"]["properties"]["label"]["enum"] == [
        "red", "blue", "green"]
    labeled = _label_some(api, 2, extra="green")
    # refused: duplicates in any case, empty names, commas, control characters
    r = api.post("/api/label-set", {"label": "Green"}, as_="admin")
    assert r.status_code == 409 and "already" in r.json()["detail"]
    assert api.post("/api/label-set", {"label": "red"}, as_="admin").status_code == 409
    for bad, words in [("   ", "empty"), ("a,b", "comma"), ("", "empty"),
                       ("x\ty", "control characters"), ("x" * 101, "at most 100 characters")]:
        body = _is_422(api.post("/api/label-set", {"label": bad}, as_="admin"))
        assert words in body["detail"], (bad, body)
        assert body["errors"][0]["loc"] == ["body", "label"]
    # recorded, append-only: one row per addition, with who and when
    with api.service.runtime.store.read() as s:
        rows = s.execute(select(LabelAddition.code, LabelAddition.label)).all()
    assert [tuple(r) for r in rows] == [(2, "green")]
    assert api.post("/api/label-set", {"label": "unsure"}, as_="admin").json()["labels"] == [
        "red", "blue", "green", "unsure"]
    # the model: the worker learns the new classes at its next retrain, codes unchanged
    worker = api.service.worker
    run = worker.run_once(force=True)
    assert run.status == "ok", run.error
    assert worker.labels == ["red", "blue", "green", "unsure"]
    assert worker.loop.n_classes == 4 and list(worker.loop.loop.classes) == [0, 1, 2, 3]
    progress = api.get("/api/progress", as_="admin").json()
    assert progress["per_class"]["green"] == 1 and progress["per_class"]["unsure"] == 0
    # the exports
    rows = list(csv.DictReader(io.StringIO(api.get("/api/export", as_="admin").text)))
    assert {r["item_id"]: r["label"] for r in rows if r["annotator"] == "alice"}.items() >= \
        labeled.items()


def test_reinit_names_the_admin_page(project_dir, image_dir):
    from activelab.service.project import ProjectError
    from activelab.service.runtime import init_project

    with pytest.raises(ProjectError, match=r"pass those again.*admin page \(/admin\)"):
        init_project(project_dir, data=image_dir, labels="red,blue,green")


def test_people(api):
    people = api.get("/api/annotators", as_="admin").json()
    assert [(p["name"], p["is_admin"], p["state"]) for p in people] == [
        ("admin", True, "active"), ("alice", False, "active"), ("bob", False, "active")]
    assert set(people[0]) == {"name", "is_admin", "state", "created_at", "expires_at", "revoked_at"}
    assert people[0]["expires_at"] is None and people[0]["created_at"].endswith("Z")
    # an invitation: a new annotator with a one-time code that signs in once
    r = api.post("/api/invitations", {"name": "carol", "expires": "2d"}, as_="admin")
    assert r.status_code == 201, r.text
    inv = r.json()
    assert inv["code"].startswith("inv_") and inv["name"] == "carol"
    assert inv["new_annotator"] is True and inv["is_admin"] is False
    login = api.client.post("/login", json={"code": inv["code"]})
    assert login.status_code == 204
    assert api.client.post("/login", json={"code": inv["code"]}).status_code == 401  # spent
    assert "carol" in [p["name"] for p in api.get("/api/annotators", as_="admin").json()]
    # refusals of the command line's own checks, as 422 (input) and 409 (state)
    body = _is_422(api.post("/api/invitations", {"name": "../etc"}, as_="admin"))
    assert "not allowed" in body["detail"] and body["errors"][0]["loc"] == ["body", "name"]
    body = _is_422(api.post("/api/invitations", {"name": "dan", "expires": "2000-01-01"},
                            as_="admin"))
    assert "in the past" in body["detail"] and body["errors"][0]["loc"] == ["body", "expires"]
    body = _is_422(api.post("/api/invitations", {"name": "dan", "expires": "soon"}, as_="admin"))
    assert "neither a duration nor a date" in body["detail"]
    r = api.post("/api/invitations", {"name": "alice", "admin": True}, as_="admin")
    assert r.status_code == 409 and "not an admin" in r.json()["detail"]
    # revoking: bob's token stops working, his labels stay
    bob_label = _label_some_as(api, "bob")
    r = api.post("/api/annotators/revoke", {"name": "bob"}, as_="admin")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "revoked" and r.json()["revoked_at"].endswith("Z")
    assert api.get("/api/me", as_="bob").status_code == 401
    assert bob_label in api.get("/api/export", as_="admin").text
    r = api.post("/api/annotators/revoke", {"name": "bob"}, as_="admin")
    assert r.status_code == 409 and "revoked already" in r.json()["detail"]
    assert api.post("/api/annotators/revoke", {"name": "nobody"}, as_="admin").status_code == 404
    r = api.post("/api/annotators/revoke", {"name": "admin"}, as_="admin")
    assert r.status_code == 409 and "your own token" in r.json()["detail"]
    r = api.post("/api/invitations", {"name": "bob"}, as_="admin")
    assert r.status_code == 409 and "revoked" in r.json()["detail"]


def _label_some_as(api, who: str) -> str:
    iid = api.next(as_=who)["item_id"]
    assert api.label(iid, truth_of_image(iid), as_=who).status_code == 200
    return iid


def test_exports_in_every_format(api, project_dir, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq

    assert api.post("/api/label-set", {"label": "green"}, as_="admin").status_code == 201
    labeled = _label_some(api, 4, extra="green")
    assert api.post("/api/undo", {"request_id": "undo-000001"}).status_code == 200  # the green one
    del labeled[list(labeled)[-1]]

    def export(**params):
        r = api.get("/api/export", as_="admin", params=params)
        assert r.status_code == 200, r.text
        return r

    # Parquet: the current labels' columns, typed
    r = export(format="parquet")
    assert r.headers["content-type"] == "application/vnd.apache.parquet"
    assert r.headers["content-disposition"] == 'attachment; filename="proj-labels.parquet"'
    table = pq.read_table(pa.BufferReader(r.content))
    assert table.column_names == list(exporting.CURRENT_FIELDS)
    assert table.schema.field("event_id").type == pa.int64()
    assert table.schema.field("labeled_at").type == pa.timestamp("us", tz="UTC")
    assert dict(zip(table["item_id"].to_pylist(), table["label"].to_pylist())) == labeled
    history = pq.read_table(pa.BufferReader(export(format="parquet", history="true").content))
    assert history["kind"].to_pylist() == ["label"] * 4 + ["undo"]
    assert history["target_event_id"].to_pylist()[-1] == history["event_id"].to_pylist()[3]
    # JSON Lines and CSV agree
    jsonl = [json.loads(line) for line in export(format="jsonl").text.splitlines()]
    assert {row["item_id"]: row["label"] for row in jsonl} == labeled
    # Label Studio: one task per labeled item, Label Studio's import format field by field
    r = export(format="labelstudio")
    assert r.headers["content-type"] == "application/json"
    assert r.headers["content-disposition"].endswith('-labelstudio.json"')
    tasks = r.json()
    assert isinstance(tasks, list) and len(tasks) == len(labeled)
    data_root = api.service.runtime.project.data_root
    for task in tasks:
        assert set(task) == {"data", "annotations"}
        item_id = task["data"]["item_id"]
        assert task["data"] == {"image": str(data_root / item_id), "item_id": item_id}
        [annotation] = task["annotations"]
        assert set(annotation) == {"result"}
        [result] = annotation["result"]
        assert result == {"from_name": "label", "to_name": "image", "type": "choices",
                          "value": {"choices": [labeled[item_id]]}}
    tasks = export(format="labelstudio", image_root="/data/local-files/?d=imgs/").json()
    assert tasks[0]["data"]["image"] == "/data/local-files/?d=imgs/" + tasks[0]["data"]["item_id"]
    body = _is_422(api.get("/api/export", as_="admin",
                           params={"format": "labelstudio", "history": "true"}))
    assert "current label" in body["detail"]
    assert api.get("/api/export", as_="admin", params={"format": "xml"}).status_code == 422
    # the command line writes the same files
    from activelab.service.commands import main

    out = project_dir.parent / "labels.parquet"
    assert main(["export", str(project_dir), "--format", "parquet", "--out", str(out),
                 "--db", api.db_url]) == 0
    assert pq.read_table(out).to_pylist() == table.to_pylist()
    capsys.readouterr()
    assert main(["export", str(project_dir), "--format", "labelstudio", "--db", api.db_url]) == 0
    assert json.loads(capsys.readouterr().out) == export(format="labelstudio").json()
    assert main(["export", str(project_dir), "--format", "labelstudio", "--history",
                 "--db", api.db_url]) == 2
    assert "current label" in capsys.readouterr().err


def test_retrain_shows_in_progress(api):
    _label_some(api, 4)
    assert api.post("/api/retrain", as_="alice").status_code == 403
    r = api.post("/api/retrain", as_="admin")
    assert r.status_code == 202 and "/api/progress" in r.json()["detail"]
    api.service.worker.stop()  # waits for the retrain it started
    [run] = api.get("/api/progress").json()["runs"]
    assert run["status"] == "ok" and run["n_labels"] == 4
