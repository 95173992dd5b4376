"""The labeling page with ten labels (headless Chromium): key 0 labels with the tenth, the undo
message names the label taken back (it said "skip" before), and the API says what was undone."""

from __future__ import annotations

import pytest

from activelab.service import Runtime, create_app, init_project
from activelab.service.auth import add_annotator

from ._data import make_table
from ._server import ThreadServer
from .test_browser import browser_page  # noqa: F401 - the fixture
from .test_browser_outage import sign_in

LABELS = [f"c{i}" for i in range(10)]


@pytest.fixture
def ten_label_app(tmp_path):
    data = make_table(tmp_path / "pool.csv", n=30)
    init_project(tmp_path / "proj", data=data, labels=",".join(LABELS))
    rt = Runtime.open(tmp_path / "proj")
    token = add_annotator(rt.store, "alice")
    app = create_app(rt, start_worker=False)
    yield app, token
    rt.close()


def test_key_zero_and_the_undo_message(ten_label_app, browser_page):  # noqa: F811
    app, token = ten_label_app
    page = browser_page
    with ThreadServer(app) as server:
        sign_in(page, server.url, token)
        assert page.inner_text("button[data-label='c9'] kbd") == "0"
        item = page.evaluate("() => document.body.dataset.itemId")
        page.keyboard.press("0")
        page.wait_for_function("([prev]) => document.body.dataset.busy === '0' && "
                               "document.body.dataset.itemId !== prev", arg=[item])
        assert f"Saved “c9” for {item}" in page.inner_text("#status")
        page.keyboard.press("u")
        page.wait_for_function("([prev]) => document.body.dataset.busy === '0' && "
                               "document.body.dataset.itemId === prev", arg=[item])
        assert f"Undid your label “c9” on {item}" in page.inner_text("#status")
        page.click("#skip")
        page.wait_for_function("() => document.body.dataset.busy === '0' && "
                               "document.getElementById('status').textContent.startsWith('Skipped')")
        page.keyboard.press("u")
        page.wait_for_function("() => document.getElementById('status').textContent.startsWith('Undid')")
        assert page.inner_text("#status").startswith("Undid your skip on")


def test_undo_says_what_it_took_back(api):
    item = api.next()
    assert api.label(item["item_id"], "red").status_code == 200
    r = api.post("/api/undo", {"request_id": "undo-label-0001"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["undone_kind"], body["undone_label"], body["kind"]) == ("label", "red", "undo")
    again = body["next"]
    r = api.post("/api/skip", {"item_id": again["item_id"], "request_id": "skip-00000001"})
    assert r.status_code == 200, r.text
    body = api.post("/api/undo", {"request_id": "undo-skip-0001"}).json()
    assert (body["undone_kind"], body["undone_label"]) == ("skip", None)


def test_the_page_shows_the_model_and_highlights_its_guess(ten_label_app, browser_page):  # noqa: F811
    app, token = ten_label_app
    worker = app.state.service.worker
    page = browser_page
    with ThreadServer(app) as server:
        sign_in(page, server.url, token)
        for key in "1212":  # two classes, so a model can be trained
            page.wait_for_function("() => document.body.dataset.itemId && "
                                   "document.body.dataset.busy === '0'")
            item = page.evaluate("() => document.body.dataset.itemId")
            page.keyboard.press(key)
            page.wait_for_function("([prev]) => document.body.dataset.busy === '0' && "
                                   "document.body.dataset.itemId !== prev", arg=[item])
        page.keyboard.press("s")  # skip the item leased before the retrain
        page.wait_for_function("() => document.getElementById('status').textContent.startsWith('Skipped')")
        assert worker.run_once(force=True).status == "ok"
        page.reload()
        page.wait_for_function("() => document.body.dataset.itemId && document.body.dataset.busy === '0'")
        page.wait_for_function("() => document.getElementById('prediction').textContent.startsWith('Model: ')")
        highlighted = page.locator("#label-buttons button.predicted")
        assert highlighted.count() == 1
        guess = page.inner_text("#prediction").removeprefix("Model: ").split(" ")[0]
        assert highlighted.get_attribute("data-label") == guess


def test_phone_width_has_no_horizontal_overflow(ten_label_app, browser_page):  # noqa: F811
    """At 390 px the header wraps: nothing overflows sideways and 'Sign out' stays on screen,
    on the labeling page and on the progress page (ten labels in the class-balance chart)."""
    app, token = ten_label_app
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 800})
    with ThreadServer(app) as server:
        sign_in(page, server.url, token)
        for path in ("/", "/progress"):
            page.goto(server.url + path)
            page.wait_for_load_state("networkidle")
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, path
            box = page.locator("#sign-out").bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (path, box)
