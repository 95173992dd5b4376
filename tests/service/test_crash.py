"""Crash test: annotators label concurrently, the server is killed with SIGKILL mid-stream and
restarted; every label whose POST was acknowledged is in the database exactly once, and retried
requests are not counted twice."""

from __future__ import annotations

import threading
import time

import httpx
from sqlalchemy import func, select

from activelab.service.auth import add_annotator
from activelab.service.project import Project
from activelab.service.queries import current_labels
from activelab.service.runtime import open_store
from activelab.service.tables import Event

from ._data import truth_of_image
from ._kill import annotate_until_cut
from ._server import Server

N_CLIENTS = 6
KILL_AFTER_ACKS = 15


def test_sigkill_loses_no_acknowledged_label(project_dir, db_url):
    store = open_store(Project.open(project_dir), db_url)
    tokens = [add_annotator(store, f"ann{i}") for i in range(N_CLIENTS)]
    store.dispose()

    acked: dict[str, dict] = {}  # request_id -> body, for every 200 response
    in_doubt: list[tuple[str, dict]] = []  # sent, no answer: retried after the restart
    lock = threading.Lock()
    stop = threading.Event()
    server = Server(project_dir, db_url).start()

    def annotate(token: str) -> None:
        annotate_until_cut(server.url, token,
                           lambda item: {"label": truth_of_image(item["item_id"])},
                           acked, in_doubt, lock, stop)

    threads = [threading.Thread(target=annotate, args=(t,)) for t in tokens]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 120
        while len(acked) < KILL_AFTER_ACKS and time.monotonic() < deadline:
            time.sleep(0.01)
        server.kill()  # mid-stream: requests are in flight
        acked_before_crash = len(acked)
        for t in threads:
            t.join(30)
        assert acked_before_crash >= KILL_AFTER_ACKS, server.log_text()

        server.start()  # same database, same port
        retried = 0
        for token, body in in_doubt:  # a client retries what it never heard back about
            r = httpx.post(server.url + "/api/labels", json=body, timeout=10,
                           headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200, r.text
            acked[body["request_id"]] = body
            retried += 1
            # and retrying once more never counts twice
            again = httpx.post(server.url + "/api/labels", json=body, timeout=10,
                               headers={"Authorization": f"Bearer {token}"})
            assert again.status_code == 200 and again.json()["duplicate"]
        # labeling goes on after the restart
        stop.clear()
        more = [threading.Thread(target=annotate, args=(t,)) for t in tokens[:2]]
        for t in more:
            t.start()
        time.sleep(1.0)
        stop.set()
        for t in more:
            t.join(30)
    finally:
        stop.set()
        server.stop()

    store = open_store(Project.open(project_dir), db_url)
    try:
        with store.read() as s:
            events = s.execute(select(Event.request_id, Event.item_idx, Event.label)
                               .where(Event.kind == "label")).all()
            per_request = dict(s.execute(
                select(Event.request_id, func.count()).group_by(Event.request_id)).all())
            labeled = current_labels(s)
    finally:
        store.dispose()
    print(f"acknowledged before the crash: {acked_before_crash}; in doubt, retried: {retried}; "
          f"acknowledged in all: {len(acked)}")
    by_request = {rid: (idx, label) for rid, idx, label in events}
    for rid, body in acked.items():
        assert per_request.get(rid) == 1, f"acknowledged label {rid} is missing or doubled"
        assert by_request[rid][1] == body["label"]
    assert len(events) == len(acked)  # nothing recorded that no client was told about
    assert len(labeled) == len(acked)  # and no item labeled twice
    assert len({idx for idx, _ in by_request.values()}) == len(events)
