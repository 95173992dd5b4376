"""The plain-words reason an item was handed out (`why`) matches what happened (issue 16: a
reloaded item said "the ranked queue is used up" with hundreds of items unlabeled)."""

from __future__ import annotations

from sqlalchemy import delete

from activelab.service.tables import QueueEntry


def test_a_reloaded_item_dropped_from_the_queue_says_so(api):
    api.service.worker.run_once(force=True)  # a queue (random at cold start)
    first = api.next()
    assert first["rank"] is not None
    with api.service.runtime.store.write() as s:  # a re-rank that no longer lists it
        s.execute(delete(QueueEntry).where(QueueEntry.rank >= 0))
    again = api.next()  # a page reload: the same lease
    assert again["item_id"] == first["item_id"] and again["rank"] is None
    assert again["why"].startswith("Still yours from before")
    assert "used up" not in again["why"]


def test_a_random_pick_says_why(api):
    item = api.next()  # no queue at all yet
    assert item["rank"] is None and item["why"].startswith("Random pick: every queued item")


def _label_both_classes(api, n=8):
    from .test_worker import label_n

    label_n(api, n)


def test_a_queued_item_shows_the_model_and_a_plain_reason(api):
    api.service.worker.run_once(force=True)
    _label_both_classes(api)
    run = api.service.worker.run_once(force=True)
    assert run.strategy == "margin"
    item = api.next()
    pred = item["prediction"]
    assert pred and len(pred) <= 3 and {p["label"] for p in pred} <= {"red", "blue"}
    probs = [p["probability"] for p in pred]
    assert probs == sorted(probs, reverse=True) and 0.99 <= sum(probs) <= 1.01  # two classes
    assert ("hesitates between" in item["why"] or "leans to" in item["why"]) and \
        "Chosen by margin" in item["why"]


def test_an_exploration_pick_says_it_covers_the_data(api):
    api.service.worker.run_once(force=True)
    _label_both_classes(api)
    api.put("/api/settings", {"strategy": "coreset"}, as_="admin")
    api.service.worker.run_once(force=True)
    item = api.next()
    assert item["why"].startswith("Unlike what is labeled so far") and item["prediction"]
