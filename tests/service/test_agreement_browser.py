"""Two annotators per item, in headless Chromium (as test_browser.py): alice and bob label the
same items through the API and disagree on one; an admin opens the review page, sees both
labels and the agreement, decides, takes the decision back, decides again — and the export
follows. Takes docs/images/review.png."""

from __future__ import annotations

import csv
import io
import uuid

import httpx

from activelab.service import Runtime, create_app
from activelab.service.auth import add_annotator
from activelab.service.settings import write_settings

from ._server import ThreadServer
from .test_browser import browser_page, save_screenshot  # noqa: F401 - the fixture


def _label(client: httpx.Client, label: str) -> str:
    item = client.get("/api/next").json()["item_id"]
    r = client.post("/api/labels", json={"item_id": item, "label": label,
                                         "request_id": uuid.uuid4().hex})
    assert r.status_code == 200, r.text
    return item


def test_a_reviewer_resolves_a_disagreement(project_dir, tmp_path, browser_page):  # noqa: F811
    rt = Runtime.open(project_dir, f"sqlite:///{tmp_path / 'labels.db'}")
    admin = add_annotator(rt.store, "ada", admin=True)
    tokens = {name: add_annotator(rt.store, name) for name in ("alice", "bob")}
    write_settings(rt.store, {"annotations_per_item": 2})
    app = create_app(rt, start_worker=False)
    app.state.service.worker.run_once(force=True)  # a queue: both get its items in order
    page = browser_page
    try:
        with ThreadServer(app) as server:
            clients = {name: httpx.Client(base_url=server.url, timeout=30,
                                          headers={"Authorization": f"Bearer {token}"})
                       for name, token in tokens.items()}
            plan = [("red", "red"), ("red", "blue"), ("blue", "blue")]
            items = []
            for first, second in plan:  # the same item to both, one after the other
                items.append(_label(clients["alice"], first))
                assert _label(clients["bob"], second) == items[-1]
            tie = items[1]

            page.goto(f"{server.url}/login")
            page.fill("#token", admin)
            page.click("#sign-in")
            page.wait_for_url(f"{server.url}/")
            page.goto(f"{server.url}/progress")  # admins find the review page in the menu
            page.click("#review-link")
            page.wait_for_url(f"{server.url}/review")
            shown = _waiter(page)
            assert shown(tie) == tie  # the only disagreement, shown first
            votes = page.eval_on_selector_all(
                "#votes li", "ls => ls.map(l => [l.dataset.annotator, l.querySelector('strong').textContent])")
            assert votes == [["alice", "red"], ["bob", "blue"]]
            assert "No label" in page.inner_text("#current")
            assert page.inner_text("#queue-count") == "(1)"
            summary = page.inner_text("#agreement-summary")
            assert "3 items labeled by two or more annotators" in summary and "67 %" in summary
            assert "alice · bob" in page.inner_text("#pairs")
            page.wait_for_function("() => document.querySelector('#item img').complete")
            save_screenshot(page, "review.png", tmp_path, full_page=True)

            page.click("#decide-buttons button[data-label='blue']")
            page.wait_for_function("() => document.body.dataset.busy === '0' && "
                                   "document.querySelector('#status').textContent.startsWith('Decided')")
            assert page.inner_text("#queue-count") == "(0)"
            assert _export(server.url, admin)[tie] == ("blue", "reviewed")

            page.click("#undo-review")  # back in the queue, a tie again
            page.wait_for_function("() => document.body.dataset.busy === '0' && "
                                   "document.querySelector('#status').textContent.startsWith('Took back')")
            assert shown(tie) == tie and page.inner_text("#queue-count") == "(1)"
            assert _export(server.url, admin)[tie] == ("", "unresolved")

            page.click("#decide-buttons button[data-label='red']")
            page.wait_for_function("() => document.querySelector('#queue-count').textContent === '(0)'")
            page.click(".rv-tabs button[data-state='reviewed']")
            assert shown(tie) == tie
            assert "Current label: red" in page.inner_text("#current")
            rows = _export(server.url, admin)
            assert rows == {items[0]: ("red", "agreed"), tie: ("red", "reviewed"),
                            items[2]: ("blue", "agreed")}
            for client in clients.values():
                client.close()
    finally:
        rt.close()


def _waiter(page):
    """Wait until the page shows item `item_id` (and is idle); return the item it shows."""

    def wait(item_id):
        page.wait_for_function(
            "([want]) => document.body.dataset.busy === '0' && document.body.dataset.itemId === want",
            arg=[item_id], timeout=20_000)
        return page.evaluate("() => document.body.dataset.itemId")

    return wait


def _export(url: str, token: str) -> dict[str, tuple[str, str]]:
    text = httpx.get(url + "/api/export?format=csv", headers={"Authorization": f"Bearer {token}"}).text
    return {r["item_id"]: (r["label"], r["status"]) for r in csv.DictReader(io.StringIO(text))}
