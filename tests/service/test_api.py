"""Every endpoint of the JSON API, with good and bad input, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from activelab.service.db import utcnow
from activelab.service.tables import Event, Lease

from ._data import truth_of_image

ENDPOINTS = [
    ("GET", "/api/next", None),
    ("POST", "/api/labels", {"item_id": "red/000.png", "label": "red", "request_id": "r" * 10}),
    ("POST", "/api/skip", {"item_id": "red/000.png", "request_id": "r" * 10}),
    ("POST", "/api/undo", {"request_id": "r" * 10}),
    ("GET", "/api/stats", None),
    ("GET", "/api/progress", None),
    ("GET", "/api/export?format=csv", None),
    ("GET", "/api/settings", None),
    ("PUT", "/api/settings", {"retrain_every": 5}),
    ("POST", "/api/retrain", None),
    ("GET", "/api/me", None),
    ("GET", "/api/content?item_id=red/000.png", None),
    ("GET", "/api/openapi.json", None),
]
ADMIN_ONLY = {"/api/export?format=csv", "/api/settings", "/api/retrain"}


def rid() -> str:
    return uuid.uuid4().hex


def call(api, method, path, body, headers):
    return api.client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize("method,path,body", ENDPOINTS)
def test_every_endpoint_needs_a_token(api, method, path, body):
    r = call(api, method, path, body, {})
    assert r.status_code == 401, r.text
    assert "missing token" in r.json()["detail"]
    assert r.headers["www-authenticate"] == "Bearer"
    r = call(api, method, path, body, {"Authorization": "Bearer al_not-a-real-token"})
    assert r.status_code == 401
    assert "invalid or revoked token" in r.json()["detail"]
    r = call(api, method, path, body, {"Authorization": "Basic YWxpY2U6c2VjcmV0"})
    assert r.status_code == 401
    assert "Bearer" in r.json()["detail"]


@pytest.mark.parametrize("method,path,body", [e for e in ENDPOINTS if e[1] in ADMIN_ONLY])
def test_admin_endpoints_refuse_annotators(api, method, path, body):
    r = call(api, method, path, body, api.headers("alice"))
    assert r.status_code == 403
    assert "admin" in r.json()["detail"]
    assert call(api, method, path, body, api.headers("admin")).status_code in (200, 202)


def test_revoked_token_is_refused(api):
    from activelab.service.auth import revoke_annotator

    assert api.get("/api/me", as_="bob").status_code == 200
    revoke_annotator(api.service.runtime.store, "bob")
    r = api.get("/api/me", as_="bob")
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


def test_me(api):
    body = api.get("/api/me", as_="admin").json()
    assert body == {"name": "admin", "is_admin": True, "annotator_count": 0, "project": "proj",
                    "labels": ["red", "blue"], "task": "classification"}


def test_next_leases_one_item_per_annotator(api):
    a, b = api.next("alice"), api.next("bob")
    assert not a["done"] and not b["done"]
    assert a["item_id"] != b["item_id"]
    assert a["kind"] == "image" and a["content_url"].startswith("/api/content?item_id=")
    assert a["labels"] == ["red", "blue"] and a["annotator"] == "alice"
    assert a["lease_expires_at"].endswith("Z") and a["why"]
    # asking again (a page reload) returns the same item while the lease holds
    assert api.next("alice")["item_id"] == a["item_id"]


def test_next_follows_the_queue_and_explains_the_choice(api):
    api.service.worker.run_once(force=True)  # cold start: a random queue
    first = api.next("alice")
    assert first["rank"] == 1 and first["score"] is None
    assert "Random pick" in first["why"]
    # label both classes, then the strategy ranks the pool
    for _ in range(8):
        item = api.next("alice")
        assert api.label(item["item_id"], truth_of_image(item["item_id"])).status_code == 200
    api.service.worker.run_once(force=True)
    item = api.next("bob")
    assert item["rank"] == 1 and item["score"] is not None
    assert "Chosen by margin" in item["why"]


def test_label_is_recorded_and_idempotent(api):
    item = api.next()
    request_id = rid()
    r = api.label(item["item_id"], "red", request_id=request_id)
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["kind"] == "label" and not first["duplicate"] and first["annotator_count"] == 1
    again = api.label(item["item_id"], "red", request_id=request_id)
    assert again.status_code == 200
    assert again.json()["duplicate"] and again.json()["event_id"] == first["event_id"]
    with api.service.runtime.store.read() as s:
        assert s.scalar(select(Event).where(Event.request_id == request_id)).label == "red"
        assert len(s.scalars(select(Event)).all()) == 1
    # the same request id for a different action is a client bug, refused
    r = api.label(item["item_id"], "blue", request_id=request_id)
    assert r.status_code == 409 and "already used" in r.json()["detail"]
    stats = api.get("/api/stats").json()
    assert stats["labeled"] == 1 and stats["per_class"] == {"red": 1, "blue": 0}
    assert stats["per_annotator"] == {"alice": 1}


def test_label_bad_input(api):
    item = api.next()
    r = api.label(item["item_id"], "green")
    assert r.status_code == 422
    assert "not in this project's label set" in r.json()["detail"] and "red" in r.json()["detail"]
    r = api.label("no/such/item.png", "red")
    assert r.status_code == 404 and "unknown item" in r.json()["detail"]
    r = api.post("/api/labels", {"item_id": item["item_id"], "label": "red"})
    assert r.status_code == 422 and "request_id" in r.json()["detail"]
    r = api.post("/api/labels", {"item_id": item["item_id"], "label": "red", "request_id": "x y"})
    assert r.status_code == 422 and "request_id" in r.json()["detail"]
    r = api.post("/api/labels", {"item_id": "x" * 600, "label": "red", "request_id": rid()})
    assert r.status_code == 422 and "item_id" in r.json()["detail"]
    r = api.post("/api/labels", {"item_id": item["item_id"], "label": "red", "request_id": rid(),
                                 "annotator": "mallory"})
    assert r.status_code == 422 and "annotator" in r.json()["detail"]
    r = api.client.post("/api/labels", content=b"{not json", headers={
        **api.headers("alice"), "Content-Type": "application/json"})
    assert r.status_code == 422 and "invalid request" in r.json()["detail"]


def test_label_needs_the_lease(api):
    a = api.next("alice")
    r = api.label(a["item_id"], "red", as_="bob")  # leased to alice
    assert r.status_code == 409 and "no lease" in r.json()["detail"]
    # an item nobody leased
    leased = {a["item_id"]}
    other = next(it["item_id"] for it in api.service.runtime.items if it["item_id"] not in leased)
    r = api.label(other, "red")
    assert r.status_code == 409 and "GET /api/next" in r.json()["detail"]


def test_expired_lease_is_refused_and_the_item_goes_to_others(api):
    a = api.next("alice")
    with api.service.runtime.store.write() as s:
        s.execute(update(Lease).values(expires_at=utcnow() - timedelta(seconds=1)))
    r = api.label(a["item_id"], "red")
    assert r.status_code == 409
    assert "expired" in r.json()["detail"] and a["item_id"] in r.json()["detail"]
    handed = set()
    for _ in range(len(api.service.runtime.items)):
        item = api.next("bob")
        handed.add(item["item_id"])
        if item["item_id"] == a["item_id"]:
            break
        api.post("/api/skip", {"item_id": item["item_id"], "request_id": rid()}, as_="bob")
    assert a["item_id"] in handed


def test_skip(api):
    a = api.next("alice")
    r = api.post("/api/skip", {"item_id": a["item_id"], "request_id": rid()})
    assert r.status_code == 200 and r.json()["kind"] == "skip"
    # never offered to alice again; bob may get it
    seen = set()
    for _ in range(5):
        item = api.next("alice")
        seen.add(item["item_id"])
        api.label(item["item_id"], "red")
    assert a["item_id"] not in seen
    assert api.get("/api/stats").json()["skipped"] == 1
    # skipping without a lease, or an unknown item
    r = api.post("/api/skip", {"item_id": a["item_id"], "request_id": rid()})
    assert r.status_code == 409
    r = api.post("/api/skip", {"item_id": "nope.png", "request_id": rid()})
    assert r.status_code == 404


def test_undo_label_and_skip(api):
    a = api.next()
    api.label(a["item_id"], "red")
    b = api.next()
    r = api.post("/api/undo", {"request_id": rid()})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["kind"] == "undo" and body["item_id"] == a["item_id"]
    assert body["annotator_count"] == 0
    assert body["next"]["item_id"] == a["item_id"] and "undo" in body["next"]["why"]
    # the undone item is leased back: label it again
    assert api.label(a["item_id"], "blue").status_code == 200
    assert api.next()["item_id"] == b["item_id"]
    api.post("/api/skip", {"item_id": b["item_id"], "request_id": rid()})
    r = api.post("/api/undo", {"request_id": rid()})
    assert r.json()["item_id"] == b["item_id"] and r.json()["next"]["item_id"] == b["item_id"]
    # the log keeps everything: label, undo, label, skip, undo
    with api.service.runtime.store.read() as s:
        kinds = [e.kind for e in s.scalars(select(Event).order_by(Event.id))]
    assert kinds == ["label", "undo", "label", "skip", "undo"]
    export = api.get("/api/export?format=jsonl", as_="admin").text.splitlines()
    assert [json.loads(x)["label"] for x in export] == ["blue"]


def test_undo_with_nothing_to_undo(api):
    r = api.post("/api/undo", {"request_id": rid()})
    assert r.status_code == 409 and "nothing to undo" in r.json()["detail"]


def test_undo_is_idempotent(api):
    a = api.next()
    api.label(a["item_id"], "red")
    api.label_b = api.next()
    request_id = rid()
    first = api.post("/api/undo", {"request_id": request_id}).json()
    again = api.post("/api/undo", {"request_id": request_id}).json()
    assert again["duplicate"] and again["event_id"] == first["event_id"]
    assert api.get("/api/stats").json()["labeled"] == 0


def test_relabel_is_history_not_overwrite(api):
    a = api.next("alice")
    api.label(a["item_id"], "red", as_="alice")
    r = api.label(a["item_id"], "blue", as_="alice")
    assert r.status_code == 200 and r.json()["kind"] == "relabel"
    r = api.label(a["item_id"], "red", as_="bob")
    assert r.status_code == 403 and "relabel" in r.json()["detail"]
    r = api.label(a["item_id"], "red", as_="admin")
    assert r.status_code == 200 and r.json()["kind"] == "relabel"
    current = api.get("/api/export?format=csv", as_="admin").text.splitlines()
    assert current[0] == "item_id,label,annotator,labeled_at,event_id,status"
    assert current[1].startswith(f"{a['item_id']},red,admin,")
    assert current[1].endswith(",reviewed")  # an admin's correction decides the item
    history = api.get("/api/export?format=csv&history=true", as_="admin").text.splitlines()
    assert [row.split(",")[1] for row in history[1:]] == ["label", "relabel", "relabel"]
    stats = api.get("/api/stats").json()
    assert stats["labeled"] == 1 and stats["per_annotator"] == {"admin": 1}


def test_done_when_nothing_is_left(api):
    n = len(api.service.runtime.items)
    for _ in range(n):
        item = api.next()
        assert not item["done"]
        assert api.label(item["item_id"], truth_of_image(item["item_id"])).status_code == 200
    last = api.next()
    assert last["done"] and last["item_id"] is None and "Nothing left" in last["why"]
    assert api.get("/api/stats").json()["labeled"] == n


def test_stats_and_progress(api):
    for who in ("alice", "bob", "alice"):
        item = api.next(who)
        api.label(item["item_id"], truth_of_image(item["item_id"]), as_=who)
    stats = api.get("/api/stats").json()
    assert stats["items"] == 40 and stats["labeled"] == 3 and stats["unlabeled"] == 37
    assert sum(stats["per_class"].values()) == 3
    assert stats["per_annotator"] == {"alice": 2, "bob": 1}
    prog = api.get("/api/progress").json()
    assert [p["labeled"] for p in prog["labels_over_time"]] == [1, 2, 3]
    assert set(prog) == {"labels_over_time", "learning_curve", "queue_scores", "runs", "per_class",
                         "insights"}


def test_export_formats(api):
    item = api.next()
    api.label(item["item_id"], "blue")
    r = api.get("/api/export?format=csv", as_="admin")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    r = api.get("/api/export?format=jsonl", as_="admin")
    row = json.loads(r.text.splitlines()[0])
    assert row["item_id"] == item["item_id"] and row["label"] == "blue" and row["annotator"] == "alice"
    r = api.get("/api/export?format=xml", as_="admin")
    assert r.status_code == 422 and "format" in r.json()["detail"]


def test_settings(api):
    r = api.get("/api/settings", as_="admin")
    assert r.json() == {"lease_seconds": 600, "retrain_every": 10, "queue_size": 100,
                        "strategy": "margin", "model": "logreg", "annotations_per_item": 1,
                        "overlap_fraction": 1.0, "overlap_seed": 0}
    r = api.put("/api/settings", {"retrain_every": 3, "strategy": "entropy"}, as_="admin")
    assert r.status_code == 200 and r.json()["retrain_every"] == 3 and r.json()["strategy"] == "entropy"
    assert api.service.runtime.settings().retrain_every == 3
    for bad, word in [({"retrain_every": 0}, "retrain_every"), ({"lease_seconds": "x"}, "lease_seconds"),
                      ({"strategy": "nope"}, "unknown strategy"), ({"model": "nope"}, "unknown model"),
                      ({"colour": 1}, "colour")]:
        r = api.put("/api/settings", bad, as_="admin")
        assert r.status_code == 422 and word in r.json()["detail"], (bad, r.text)


def test_retrain_endpoint(api):
    import time

    r = api.post("/api/retrain", as_="admin")
    assert r.status_code == 202
    for _ in range(100):
        if api.get("/api/progress").json()["runs"]:
            break
        time.sleep(0.1)
    runs = api.get("/api/progress").json()["runs"]
    assert runs and runs[0]["status"] == "ok"


def test_content(api, image_dir):
    item = api.next()
    r = api.get(item["content_url"])
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content == (image_dir / item["item_id"]).read_bytes()
    assert api.get("/api/content?item_id=nope.png").status_code == 404


def test_content_never_leaves_the_data_folder(api, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    items = api.service.runtime.items
    data_root = api.service.runtime.project.data_root
    items[0]["path"] = "../" * 12 + str(secret).lstrip("/")
    items[1]["path"] = str(secret)
    link = data_root / "red" / "link.png"
    link.symlink_to(secret)
    try:
        items[2]["path"] = "red/link.png"
        for it in items[:3]:
            r = api.get("/api/content", params={"item_id": it["item_id"]})
            assert r.status_code == 403, r.text
            assert "outside" in r.json()["detail"] and "secret" not in r.text
    finally:
        link.unlink()


def test_body_size_limit(api):
    big = {"item_id": "a", "label": "red", "request_id": rid(), "pad": "x" * 100_000}
    r = api.post("/api/labels", big)
    assert r.status_code == 413 and "too large" in r.json()["detail"]

    def chunks():
        for _ in range(100):
            yield b"x" * 1000

    r = api.client.post("/api/labels", content=chunks(), headers=api.headers("alice"))
    assert r.status_code == 413


def test_openapi_schema_lists_the_api(api):
    schema = api.get("/api/openapi.json").json()
    paths = set(schema["paths"])
    assert {"/api/next", "/api/labels", "/api/skip", "/api/undo", "/api/stats",
            "/api/export"} <= paths
    assert "HTTPBearer" in json.dumps(schema["components"]["securitySchemes"])


def test_security_headers(api):
    r = api.get("/api/me")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"


def test_pages_need_sign_in(api):
    c = api.client
    r = c.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert c.get("/progress", follow_redirects=False).status_code == 303
    assert c.get("/static/label.js").status_code == 401
    assert c.get("/static/../app.py").status_code == 404
    assert c.get("/static/app.py").status_code == 404
    assert c.get("/login").status_code == 200 and c.get("/static/login.js").status_code == 200
    r = c.post("/login", json={"token": "al_wrong"})
    assert r.status_code == 401
    r = c.post("/login", json={"token": api.tokens["alice"]})
    assert r.status_code == 204
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert c.get("/").status_code == 200 and "label.js" in c.get("/").text
    assert c.get("/progress").status_code == 200
    assert c.get("/static/label.js").status_code == 200
    assert c.get("/api/me").json()["name"] == "alice"  # the cookie authenticates the API too
    c.post("/logout")
    c.cookies.clear()
    assert c.get("/", follow_redirects=False).status_code == 303
