"""The labeling page of a stream project (headless Chromium): items arrive through the API, the
queried ones are labeled on the ordinary page with the ordinary keys (it says "Stream item" and
the labels bought against the budget), and the progress page's header shows the stream's counts
and the learner's prequential accuracy."""

from __future__ import annotations

import uuid

import httpx

from activelab.service import Runtime, create_app, init_project
from activelab.service.auth import add_annotator

from ._server import ThreadServer
from .test_browser import browser_page  # noqa: F401 - the fixture
from .test_browser_outage import sign_in
from .test_stream_service import DIM, LABELS, stream_rows


def test_stream_items_are_labeled_on_the_ordinary_page(tmp_path, browser_page):  # noqa: F811
    init_project(tmp_path / "proj", task="stream", labels=",".join(LABELS), budget="0.3",
                 dim=str(DIM))
    rt = Runtime.open(tmp_path / "proj")
    tokens = {name: add_annotator(rt.store, name, admin=name == "feeder")
              for name in ("feeder", "alice")}
    app = create_app(rt, start_worker=False)
    page = browser_page
    try:
        with ThreadServer(app) as server:
            feeder = {"Authorization": f"Bearer {tokens['feeder']}"}

            def arrive(t, x):
                r = httpx.post(f"{server.url}/api/stream/items", headers=feeder, json={
                    "item_id": f"s{t}", "features": x.tolist(), "request_id": uuid.uuid4().hex})
                assert r.status_code == 200, r.text
                return r.json()

            X = stream_rows(20)
            decided = [arrive(t, x) for t, x in enumerate(X)]
            queried = [out["item_id"] for out in decided if out["queried"]]
            assert len(queried) >= 2
            item = sign_in(page, server.url, tokens["alice"])
            assert item == queried[0]  # the oldest queried arrival first
            why = page.inner_text("#why")
            assert "Stream item" in why and "budget 0.3" in why
            page.keyboard.press("1")  # the first label's key, as on any one-label project
            page.wait_for_function(
                "([prev]) => document.body.dataset.busy === '0' && "
                "document.body.dataset.itemId !== prev", arg=[item])
            assert page.inner_text("[data-testid=count]") == "1"
            arrive(20, X[0] + 0.01)  # the next arrival: the label is learned before it
            page.goto(f"{server.url}/progress")
            page.wait_for_function(
                "() => document.querySelector('#updated').textContent.startsWith('Updated')")
            summary = page.inner_text("#summary")
            assert "stream: 21 items seen" in summary and "labels bought" in summary
            assert "budget 0.3" in summary
    finally:
        rt.close()
