"""A SIGKILL check shared by the multilabel and regression projects' tests: annotators answer
through a real `activelab serve` until it is killed mid-stream; after the restart every request
left without an answer is retried twice; the stored label events and finished runs are read back
for the test's own assertions (test_crash.py is the classification original and shares
`annotate_until_cut`)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from ._server import Server


@dataclass
class KillOutcome:
    acked: dict  # request_id -> body, for every 200 (before the kill and the retries after it)
    events: dict  # request_id -> its stored label Event
    doubled: list  # request_ids stored more than once
    strategies: set  # strategies of the finished runs
    log: str  # the server's log


def annotate_until_cut(url: str, token: str, answer: Callable[[dict], dict], acked: dict,
                       in_doubt: list, lock: threading.Lock,
                       stop: threading.Event | None = None) -> None:
    """One annotator: GET /api/next → `answer(item)` → POST /api/labels with a fresh request_id,
    until nothing is left, `stop` is set or the server stops answering. A 200 goes to `acked`
    (request_id → body); a POST that got no answer goes to `in_doubt` as (token, body), for the
    caller to retry after a restart."""
    import httpx

    with httpx.Client(base_url=url, timeout=10,
                      headers={"Authorization": f"Bearer {token}"}) as c:
        while stop is None or not stop.is_set():
            try:
                item = c.get("/api/next").json()
            except httpx.HTTPError:
                return
            if item["done"]:
                return
            body = {"item_id": item["item_id"], **answer(item), "request_id": uuid.uuid4().hex}
            try:
                r = c.post("/api/labels", json=body)
            except httpx.HTTPError:
                with lock:
                    in_doubt.append((token, body))
                return
            assert r.status_code == 200, r.text
            with lock:
                acked[body["request_id"]] = body


def label_through_a_kill(root, db_url, answer: Callable[[dict], dict], *, strategy: str,
                         clients: int = 3, kill_after: int = 10) -> KillOutcome:
    """`answer(item)` → the body fields for a /api/next item (e.g. {"value": 1.5}); the server is
    killed once `kill_after` answers were acknowledged, restarted, the in-doubt requests retried
    (each twice: the second must say duplicate), then waited on until a run of `strategy`
    finished (a worker process ranked with the model)."""
    import httpx
    from sqlalchemy import func, select

    from activelab.service.auth import add_annotator
    from activelab.service.db import Store
    from activelab.service.project import Project
    from activelab.service.runtime import open_store
    from activelab.service.tables import Event, Run

    store = open_store(Project.open(root), db_url)
    tokens = [add_annotator(store, f"ann{i}") for i in range(clients)]
    store.dispose()
    acked, in_doubt, lock = {}, [], threading.Lock()
    server = Server(root, db_url).start()

    def annotate(token):
        annotate_until_cut(server.url, token, answer, acked, in_doubt, lock)

    def ranked() -> bool:
        s_ = Store(db_url)
        try:
            with s_.read() as s:
                return s.scalar(select(Run.id).where(Run.strategy == strategy)) is not None
        finally:
            s_.dispose()

    threads = [threading.Thread(target=annotate, args=(t,)) for t in tokens]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while len(acked) < kill_after and time.monotonic() < deadline:
            time.sleep(0.01)
        server.kill()
        for t in threads:
            t.join(30)
        assert len(acked) >= kill_after, server.log_text()
        server.start()
        for token, body in in_doubt:
            for _ in range(2):  # the retry, and a retry of the retry
                r = httpx.post(server.url + "/api/labels", json=body, timeout=10,
                               headers={"Authorization": f"Bearer {token}"})
                assert r.status_code == 200, r.text
            assert r.json()["duplicate"]
            acked[body["request_id"]] = body
        deadline = time.monotonic() + 90
        while not ranked() and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        server.stop()
    store = open_store(Project.open(root), db_url)
    try:
        with store.read() as s:
            events = {e.request_id: e for e in s.scalars(select(Event).where(Event.kind == "label"))}
            doubled = [r[0] for r in s.execute(select(Event.request_id).group_by(Event.request_id)
                                               .having(func.count() > 1)).all()]
            strategies = {r.strategy for r in s.scalars(select(Run).where(Run.status == "ok"))}
    finally:
        store.dispose()
    return KillOutcome(acked, events, doubled, strategies, server.log_text())
