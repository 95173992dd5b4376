"""Concurrency: 24 annotators on one pool never get the same item while its lease is valid, and
the final label count equals the number of acknowledged labels."""

from __future__ import annotations

import threading
import uuid

import httpx

from activelab.service import Runtime, create_app
from activelab.service.auth import add_annotator

from ._server import ThreadServer

N_ANNOTATORS = 24


def test_annotators_never_share_a_leased_item(tmp_path, db_url):
    from activelab.service import init_project

    from ._data import make_table

    data = make_table(tmp_path / "pool.csv", n=120)
    init_project(tmp_path / "p", data=data, labels="a,b")
    rt = Runtime.open(tmp_path / "p", db_url)
    tokens = [add_annotator(rt.store, f"ann{i:02d}") for i in range(N_ANNOTATORS)]
    app = create_app(rt, poll_seconds=0.5)

    holder: dict[str, int] = {}  # item_id -> annotator currently holding its lease
    violations: list[str] = []
    acked_labels: list[str] = []
    acked_skips: list[str] = []
    labeled: set[str] = set()
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(N_ANNOTATORS)

    def annotate(i: int) -> None:
        h = {"Authorization": f"Bearer {tokens[i]}"}
        with httpx.Client(base_url=server.url, headers=h, timeout=60) as c:
            start.wait()
            n = 0
            while True:
                r = c.get("/api/next")
                if r.status_code != 200:
                    errors.append(r.text)
                    return
                item = r.json()
                if item["done"]:
                    return
                iid = item["item_id"]
                with lock:
                    other = holder.get(iid)
                    if other is not None and other != i:
                        violations.append(f"{iid} handed to {i} while {other} holds it")
                    if iid in labeled:
                        violations.append(f"{iid} handed to {i} after it was labeled")
                    holder[iid] = i
                n += 1
                if n % 10 == 3:
                    with lock:  # a skip gives the lease back: others may get it from now on
                        del holder[iid]
                    r = c.post("/api/skip", json={"item_id": iid, "request_id": uuid.uuid4().hex})
                    done = acked_skips
                else:
                    label = "a" if int(iid[1:]) % 2 == 0 else "b"
                    r = c.post("/api/labels", json={"item_id": iid, "label": label,
                                                     "request_id": uuid.uuid4().hex})
                    done = acked_labels
                if r.status_code != 200:
                    errors.append(r.text)
                    return
                with lock:
                    holder.pop(iid, None)  # a label releases it only once confirmed
                    done.append(iid)
                    if done is acked_labels:
                        labeled.add(iid)

    try:
        with ThreadServer(app) as server:
            threads = [threading.Thread(target=annotate, args=(i,)) for i in range(N_ANNOTATORS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(300)
            stats = httpx.get(server.url + "/api/stats", timeout=30,
                              headers={"Authorization": f"Bearer {tokens[0]}"}).json()
    finally:
        rt.close()
    assert not errors, errors[:3]
    assert not violations, violations[:5]
    assert len(acked_labels) == len(set(acked_labels))  # no item labeled twice
    assert stats["labeled"] == len(acked_labels)
    assert stats["items"] == 120 and len(acked_labels) + stats["unlabeled"] == 120
    assert sum(stats["per_annotator"].values()) == len(acked_labels)
    assert len(stats["per_annotator"]) >= N_ANNOTATORS // 2  # the work was really shared
