"""More than one annotator per item (issue 16, item 4), through the JSON API on SQLite and
PostgreSQL: the overlap settings, leases with k annotators, the current-label rule of the export
(majority, reviewer, tie unresolved, pending), the review queue and its undo, the agreement
endpoint, admin only; and migration 0006 on a database that holds labels and leases."""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from activelab.service.auth import add_annotator
from activelab.service.overlap import Overlap, overlap_key

from ._data import truth_of_image


def rid() -> str:
    return uuid.uuid4().hex


def overlap(api, k: int, fraction: float = 1.0, seed: int = 0) -> None:
    r = api.put("/api/settings", {"annotations_per_item": k, "overlap_fraction": fraction,
                                  "overlap_seed": seed}, as_="admin")
    assert r.status_code == 200, r.text
    api.service.runtime.store._settings_cache = None  # every reader sees it at once


def with_carol(api) -> None:
    api.tokens["carol"] = add_annotator(api.service.runtime.store, "carol")


def export(api) -> dict[str, dict]:
    text = api.get("/api/export?format=csv", as_="admin").text
    return {row["item_id"]: row for row in csv.DictReader(io.StringIO(text))}


def review(api, item_id, label, as_="admin"):
    return api.post("/api/review", {"item_id": item_id, "label": label, "request_id": rid()},
                    as_=as_)


def test_overlap_settings(api):
    overlap(api, 3, 0.25, 7)
    got = api.get("/api/settings", as_="admin").json()
    assert (got["annotations_per_item"], got["overlap_fraction"], got["overlap_seed"]) == (3, 0.25, 7)
    assert api.put("/api/settings", {"overlap_fraction": 1}, as_="admin").json()["overlap_fraction"] == 1.0
    for bad in ({"annotations_per_item": 0}, {"annotations_per_item": 21},
                {"annotations_per_item": 2.0}, {"overlap_fraction": 1.5},
                {"overlap_fraction": -0.1}, {"overlap_fraction": "0.5"},
                {"overlap_fraction": True}, {"overlap_seed": -1}):
        r = api.put("/api/settings", bad, as_="admin")
        assert r.status_code == 422 and next(iter(bad)) in r.json()["detail"], (bad, r.text)


def test_two_annotators_label_one_item_and_a_reviewer_breaks_the_tie(api):
    with_carol(api)
    overlap(api, 2)
    api.service.worker.run_once(force=True)  # a queue: its order decides who gets what
    a, b, c = api.next("alice"), api.next("bob"), api.next("carol")
    assert a["item_id"] == b["item_id"] != c["item_id"]  # rank 1 twice (k = 2), then rank 2
    x = a["item_id"]
    assert api.next("alice")["item_id"] == x  # a reload: the same lease
    assert api.label(x, "red", as_="alice").json()["kind"] == "label"
    assert api.next("alice")["item_id"] != x  # never twice to the same annotator
    assert export(api)[x]["status"] == "pending"
    r = api.label(x, "blue", as_="carol")  # carol holds no lease on x
    assert r.status_code == 409 and "no lease" in r.json()["detail"]
    assert api.label(x, "blue", as_="bob").json()["kind"] == "label"
    row = export(api)[x]
    assert (row["label"], row["status"], row["annotator"]) == ("", "unresolved", "")
    r = api.label(x, "blue", as_="carol")
    assert r.status_code == 403 and "already labeled" in r.json()["detail"]
    stats = api.get("/api/stats").json()
    assert stats["labeled"] == 0 and stats["unlabeled"] == 40  # a tie is no label yet

    queue = api.get("/api/review", as_="admin").json()
    assert queue["state"] == "open" and queue["total"] == 1
    item = queue["items"][0]
    assert item["item_id"] == x and item["status"] == "unresolved" and item["label"] is None
    assert [(v["annotator"], v["label"]) for v in item["votes"]] == [("alice", "red"), ("bob", "blue")]
    assert item["content_url"].startswith("/api/content?item_id=") and item["needed"] == 2

    r = review(api, x, "blue")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["kind"] == "review" and body["label"] == "blue" and not body["duplicate"]
    assert body["item"]["status"] == "reviewed" and body["item"]["decision"]["by"] == "admin"
    row = export(api)[x]
    assert (row["label"], row["status"], row["annotator"]) == ("blue", "reviewed", "admin")
    assert api.get("/api/review", as_="admin").json()["total"] == 0
    assert api.get("/api/review?state=reviewed", as_="admin").json()["items"][0]["item_id"] == x
    # a reviewer decides over annotators: bob may change his vote, not the decision
    assert api.label(x, "red", as_="bob").status_code == 403
    # undo, in the log: the tie is back; the general undo never takes back a review
    assert api.post("/api/undo", {"request_id": rid()}, as_="admin").status_code == 409
    r = api.post("/api/review/undo", {"request_id": rid()}, as_="admin")
    assert r.status_code == 200 and r.json()["kind"] == "undo"
    assert r.json()["undone_event_id"] == body["event_id"] and r.json()["item"]["status"] == "unresolved"
    assert export(api)[x]["status"] == "unresolved"
    assert api.post("/api/review/undo", {"request_id": rid()}, as_="admin").status_code == 409
    assert review(api, x, "red").json()["item"]["label"] == "red"
    history = api.get("/api/export?format=csv&history=true", as_="admin").text
    assert [r["kind"] for r in csv.DictReader(io.StringIO(history))] == [
        "label", "label", "review", "undo", "review"]


def test_export_rule_majority_agreed_pending(api):
    with_carol(api)
    overlap(api, 3)
    api.service.worker.run_once(force=True)
    votes = {"alice": ["red", "red", "blue"], "bob": ["red", "red", "red"],
             "carol": ["blue", "red"]}  # carol labels two of the three items
    items = []
    for who, labels in votes.items():
        for i, label in enumerate(labels):
            got = api.next(who)["item_id"]
            if who == "alice":
                items.append(got)
            assert got == items[i]  # the queue's order, the same three items for everyone
            assert api.label(got, label, as_=who).status_code == 200
    rows = export(api)
    assert (rows[items[0]]["label"], rows[items[0]]["status"]) == ("red", "majority")
    assert rows[items[0]]["annotator"] == "alice;bob"  # those who gave the label
    assert (rows[items[1]]["label"], rows[items[1]]["status"]) == ("red", "agreed")
    assert rows[items[1]]["annotator"] == "alice;bob;carol"
    assert (rows[items[2]]["label"], rows[items[2]]["status"]) == ("", "pending")  # 1 : 1 of 3
    # the model trains on resolved items only
    from activelab.service.queries import current_labels

    with api.service.runtime.store.read() as s:
        assert sorted(current_labels(s)) == sorted(
            api.service.runtime.by_id[i]["idx"] for i in items[:2])
    stats = api.get("/api/stats").json()
    assert stats["labeled"] == 2 and stats["per_annotator"] == {"alice": 2, "bob": 2, "carol": 1}
    # a majority is in the queue (its annotators disagree), after the ties; a reviewer may
    # overrule it
    queue = api.get("/api/review", as_="admin").json()
    assert [it["item_id"] for it in queue["items"]] == [items[0]]
    assert review(api, items[0], "blue").json()["item"]["label"] == "blue"
    assert export(api)[items[0]]["status"] == "reviewed"
    # the last vote of the pending item decides it
    assert api.next("carol")["item_id"] == items[2]
    api.label(items[2], "blue", as_="carol")
    assert (export(api)[items[2]]["label"], export(api)[items[2]]["status"]) == ("blue", "majority")


def test_a_fraction_of_the_items_needs_two(api):
    overlap(api, 2, 0.5, seed=3)
    runtime = api.service.runtime
    policy = Overlap(2, 0.5, 3)
    chosen = {it["item_id"] for it in runtime.items if policy.needed(overlap_key(it["item_id"])) == 2}
    assert 10 <= len(chosen) <= 30  # about half of 40
    done = set()
    while not (item := api.next("alice"))["done"]:  # alice labels everything she may
        done.add(item["item_id"])
        api.label(item["item_id"], truth_of_image(item["item_id"]), as_="alice")
    assert len(done) == 40
    seconds = set()
    while not (item := api.next("bob"))["done"]:  # bob only gets what needs a second label
        seconds.add(item["item_id"])
        api.label(item["item_id"], truth_of_image(item["item_id"]), as_="bob")
    assert seconds == chosen
    rows = export(api)
    assert {i for i, r in rows.items() if r["status"] == "agreed"} == chosen
    assert {r["status"] for i, r in rows.items() if i not in chosen} == {"labeled"}
    # a larger fraction keeps the items a smaller one chose; another seed chooses others
    assert chosen <= {i for i in runtime.by_id if Overlap(2, 0.8, 3).needed(overlap_key(i)) == 2}
    assert chosen != {i for i in runtime.by_id if Overlap(2, 0.5, 4).needed(overlap_key(i)) == 2}


def test_skips_undos_and_relabels_with_two_per_item(api):
    overlap(api, 2)
    api.service.worker.run_once(force=True)
    x = api.next("alice")["item_id"]
    assert api.next("bob")["item_id"] == x
    assert api.post("/api/skip", {"item_id": x, "request_id": rid()}, as_="bob").status_code == 200
    assert api.next("bob")["item_id"] != x  # skipped: never again to bob
    api.label(x, "red", as_="alice")
    assert api.label(x, "blue", as_="alice").json()["kind"] == "relabel"  # her own vote
    r = api.post("/api/skip", {"item_id": x, "request_id": rid()}, as_="alice")
    assert r.status_code == 409 and "already labeled" in r.json()["detail"]
    undo = api.post("/api/undo", {"request_id": rid()}, as_="alice").json()  # the relabel
    assert undo["undone_kind"] == "relabel" and undo["next"]["item_id"] != x
    undo = api.post("/api/undo", {"request_id": rid()}, as_="alice").json()  # the label
    assert undo["undone_kind"] == "label" and undo["next"]["item_id"] == x  # leased back
    assert export(api) == {}
    # an admin's relabel of someone else's label is a decision, as with one annotator per item
    api.label(x, "red", as_="alice")
    r = api.label(x, "blue", as_="admin")
    assert r.status_code == 200 and r.json()["kind"] == "relabel"
    row = export(api)[x]
    assert (row["label"], row["status"], row["annotator"]) == ("blue", "reviewed", "admin")
    assert api.next("bob")["item_id"] != x  # decided: it needs no second label


def test_agreement(api):
    from sklearn.metrics import cohen_kappa_score

    empty = api.get("/api/agreement", as_="admin").json()
    assert empty["items"] == 0 and empty["krippendorff_alpha"] is None and empty["per_pair"] == []
    overlap(api, 2)
    api.service.worker.run_once(force=True)
    pairs = [("red", "red"), ("blue", "blue"), ("red", "blue"), ("blue", "blue"), ("red", "red"),
             ("blue", "red")]
    for first, second in pairs:
        x = api.next("alice")["item_id"]
        assert api.next("bob")["item_id"] == x
        api.label(x, first, as_="alice")
        api.label(x, second, as_="bob")
    body = api.get("/api/agreement", as_="admin").json()
    a, b = zip(*pairs)
    assert body["items"] == 6 and body["pairs"] == 6 and body["observed"] == pytest.approx(4 / 6)
    (pair,) = body["per_pair"]
    assert (pair["a"], pair["b"], pair["items"]) == ("alice", "bob", 6)
    assert pair["cohen_kappa"] == pytest.approx(cohen_kappa_score(a, b))
    assert body["fleiss_kappa"] is not None and body["krippendorff_alpha"] is not None
    assert body["confusion"] == {"red": {"red": 2, "blue": 2}, "blue": {"red": 2, "blue": 2}}
    assert body["per_label"] == [{"label": "red", "pairs": 4, "agreement": 0.5},
                                 {"label": "blue", "pairs": 4, "agreement": 0.5}]
    assert body["statuses"] == {"agreed": 4, "unresolved": 2} and body["open_reviews"] == 2


def test_review_endpoints_are_for_admins(api):
    item = api.next("alice")["item_id"]
    api.label(item, "red", as_="alice")
    calls = [("GET", "/api/agreement", None), ("GET", "/api/review", None),
             ("POST", "/api/review", {"item_id": item, "label": "blue", "request_id": rid()}),
             ("POST", "/api/review/undo", {"request_id": rid()})]
    for method, path, body in calls:
        r = api.client.request(method, path, json=body, headers=api.headers("alice"))
        assert r.status_code == 403 and "admin" in r.json()["detail"], (path, r.text)
        assert api.client.request(method, path, json=body).status_code == 401
    assert api.get(f"/api/review?item_id={item}", as_="admin").json()["items"][0]["votes"][0][
        "annotator"] == "alice"
    assert api.get("/api/review?item_id=nope.png", as_="admin").status_code == 404
    assert api.get("/api/review?state=later", as_="admin").status_code == 422
    assert review(api, "nope.png", "red").status_code == 404
    assert review(api, item, "green").status_code == 422
    unlabeled = next(i for i in api.service.runtime.by_id if i != item)
    r = review(api, unlabeled, "red")
    assert r.status_code == 409 and "no annotator's label" in r.json()["detail"]
    request_id = rid()
    first = api.post("/api/review", {"item_id": item, "label": "blue", "request_id": request_id},
                     as_="admin").json()
    again = api.post("/api/review", {"item_id": item, "label": "blue", "request_id": request_id},
                     as_="admin").json()
    assert again["duplicate"] and again["event_id"] == first["event_id"]
    r = api.post("/api/review", {"item_id": item, "label": "red", "request_id": request_id},
                 as_="admin")
    assert r.status_code == 409 and "already used" in r.json()["detail"]


# -- migration 0006 ------------------------------------------------------------------------------


def _alembic(store, action: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from activelab.service.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with store.durable_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, action)(cfg, revision)


def test_migration_0006_keeps_labels_and_leases(empty_db_url):
    from sqlalchemy import text

    from activelab.service.db import Store

    store = Store(empty_db_url)
    try:
        _alembic(store, "upgrade", "0005")
        with store.durable_engine.begin() as conn:
            conn.execute(text("INSERT INTO items (idx, item_id, kind) VALUES "
                              "(0, 'a.png', 'image'), (1, 'b.png', 'image')"))
            conn.execute(text("INSERT INTO annotators (id, name, token_hash, is_admin, created_at)"
                              " VALUES (1, 'alice', 'h1', false, '2026-01-01'),"
                              " (2, 'bob', 'h2', true, '2026-01-01')"))
            conn.execute(text("INSERT INTO events (id, request_id, kind, item_idx, annotator_id, "
                              "label, created_at) VALUES (1, 'r1', 'label', 0, 1, 'red', "
                              "'2026-01-01'), (2, 'r2', 'undo', 0, 1, NULL, '2026-01-01'), "
                              "(3, 'r3', 'label', 0, 1, 'blue', '2026-01-01')"))
            conn.execute(text("UPDATE events SET target_event_id = 1 WHERE id = 2"))
            conn.execute(text("INSERT INTO leases VALUES (1, 2, '2026-01-01', '2099-01-01')"))
        _alembic(store, "upgrade", "0006")
        with store.durable_engine.begin() as conn:
            keys = dict(conn.execute(text("SELECT item_id, overlap_key FROM items")).all())
            assert keys == {"a.png": overlap_key("a.png"), "b.png": overlap_key("b.png")}
            assert conn.execute(text("SELECT count(*) FROM events")).scalar() == 3
            if store.dialect == "sqlite":  # the copied log still points at itself
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            # a second lease of the same item, another annotator: the new key allows it
            conn.execute(text("INSERT INTO leases VALUES (1, 1, '2026-01-01', '2098-01-01')"))
            conn.execute(text("INSERT INTO events (id, request_id, kind, item_idx, annotator_id, "
                              "label, created_at) VALUES (4, 'r4', 'review', 0, 2, 'red', "
                              "'2026-01-02')"))
        _alembic(store, "downgrade", "0005")
        with store.durable_engine.begin() as conn:
            kinds = conn.execute(text("SELECT kind FROM events ORDER BY id")).scalars().all()
            assert kinds == ["label", "undo", "label"]
            assert conn.execute(text("SELECT item_idx, annotator_id FROM leases")).all() == [(1, 2)]
        _alembic(store, "upgrade", "head")
    finally:
        store.dispose()


def test_review_page_and_malformed_bodies(api):
    from .test_api_contract import MALFORMED, _is_422

    for path in ("/api/review", "/api/review/undo"):
        for what, (content, media) in MALFORMED.items():
            headers = {**api.headers("admin"), **({"Content-Type": media} if media else {})}
            body = _is_422(api.client.post(path, content=content, headers=headers))
            assert body["detail"].startswith("invalid request — "), (path, what)
    page = api.get("/review", as_="admin")
    assert page.status_code == 200 and 'id="decide-buttons"' in page.text
    page = api.get("/review", as_="alice")  # annotators: the page that says why not
    assert page.status_code == 403 and "Admins only" in page.text
    r = api.client.get("/review", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert api.get("/static/review.js", as_="admin").status_code == 200
    assert api.client.get("/static/review.css").status_code == 401


def test_the_queue_is_not_dry_while_its_items_want_more_labels(api):
    api.put("/api/settings", {"queue_size": 2, "retrain_every": 50}, as_="admin")
    overlap(api, 2)
    worker = api.service.worker
    worker.run_once(force=True)
    for who in ("alice", "alice"):
        item = api.next(who)["item_id"]
        api.label(item, truth_of_image(item), as_=who)
    assert api.get("/api/stats").json()["queue_size"] == 2  # both still want a second label
    assert len(api.get("/api/progress").json()["queue_scores"]) == 2
    assert worker.run_once() is None  # not due: the queue has work for others
    for who in ("bob", "bob"):
        item = api.next(who)["item_id"]
        api.label(item, truth_of_image(item), as_=who)
    assert api.get("/api/stats").json()["queue_size"] == 0
    assert worker.run_once() is not None  # the queue ran dry: re-rank
