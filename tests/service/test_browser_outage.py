"""The labeling page through a server outage (headless Chromium, Playwright): a label sent while
the server is down shows "reconnecting", waits out a 20-second outage and is saved once when the
server is back; a label the server committed but whose answer was lost is retried with the same
request_id and reported as saved, never as failed, and is in the log once."""

from __future__ import annotations

import time

from sqlalchemy import select

from activelab.service.auth import add_annotator
from activelab.service.project import Project
from activelab.service.runtime import open_store
from activelab.service.tables import Event, Item

from ._server import Server
from .test_browser import browser_page  # noqa: F401 - the fixture

OUTAGE_SECONDS = 20


def sign_in(page, url: str, token: str) -> str:
    page.goto(f"{url}/login")
    page.fill("#token", token)
    page.click("#sign-in")
    page.wait_for_url(f"{url}/")
    page.wait_for_function("() => document.body.dataset.itemId && document.body.dataset.busy === '0'")
    return page.evaluate("() => document.body.dataset.itemId")


def label_events(project_dir, item_id: str) -> list[tuple[str, str]]:
    store = open_store(Project.open(project_dir))
    try:
        with store.read() as s:
            rows = s.execute(select(Event.kind, Event.label).join(Item, Item.idx == Event.item_idx)
                             .where(Item.item_id == item_id)).all()
    finally:
        store.dispose()
    return [tuple(r) for r in rows]


def test_a_label_waits_out_a_server_outage(project_dir, browser_page):  # noqa: F811
    store = open_store(Project.open(project_dir))
    token = add_annotator(store, "alice")
    store.dispose()
    page = browser_page
    server = Server(project_dir).start()
    try:
        item = sign_in(page, server.url, token)
        server.kill()  # a crash: nothing answers at this port any more
        page.keyboard.press("1")  # label the shown item with the first label
        page.wait_for_selector("#connection:not([hidden])", timeout=10_000)
        assert page.evaluate("() => document.body.dataset.connection") == "reconnecting"
        time.sleep(OUTAGE_SECONDS)
        # still waiting, not failed: no error shown, the buttons stay locked
        assert page.get_attribute("#status", "class") != "error", page.inner_text("#status")
        assert page.evaluate("() => document.body.dataset.busy") == "1"
        assert page.is_visible("#connection")

        server.start()
        page.wait_for_function("() => document.body.dataset.connection === 'online'",
                               timeout=60_000)
        page.wait_for_function(
            "([prev]) => document.body.dataset.itemId && document.body.dataset.itemId !== prev",
            arg=[item], timeout=30_000)
        assert "Saved" in page.inner_text("#status") and item in page.inner_text("#status")
        assert page.is_hidden("#connection")
        labels = Project.open(project_dir).config.labels
        assert label_events(project_dir, item) == [("label", labels[0])]
    finally:
        server.stop()


def test_a_committed_label_whose_answer_is_lost_is_saved_once(project_dir, browser_page):  # noqa: F811
    store = open_store(Project.open(project_dir))
    token = add_annotator(store, "alice")
    store.dispose()
    page = browser_page
    lost = []

    def lose_first_answer(route):
        if not lost:
            route.fetch()  # the server commits the label ...
            lost.append(route.request.post_data_json["request_id"])
            route.abort("connectionreset")  # ... and the page never hears back
        else:
            route.continue_()

    with Server(project_dir) as server:
        item = sign_in(page, server.url, token)
        page.route("**/api/labels", lose_first_answer)
        sent = []
        page.on("request", lambda r: sent.append(r.post_data_json["request_id"])
                if r.url.endswith("/api/labels") else None)
        page.keyboard.press("2")
        page.wait_for_function(
            "([prev]) => document.body.dataset.itemId && document.body.dataset.itemId !== prev",
            arg=[item], timeout=30_000)
        status = page.inner_text("#status")
        assert "Saved" in status and item in status, status
        assert len(sent) >= 2 and set(sent) == set(lost)  # retried with the same request_id
        labels = Project.open(project_dir).config.labels
        assert label_events(project_dir, item) == [("label", labels[1])]
