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
