"""Issue 16, the annotator's page in headless Chromium (Debian's, through Playwright): the accept /
reject mode, keys and search on a 12-label project, the annotator's own hotkeys, image zoom, pan
and contrast, the words behind a TF-IDF guess highlighted, and a 390 px viewport.

One browser and one server per project serve the whole module (the tests run in file order: the
12-label project is labeled by hand before its model exists, then with one)."""

from __future__ import annotations

import shutil
import uuid

import httpx
import pytest
from sqlalchemy import select

from activelab.service import Runtime, create_app, init_project
from activelab.service.auth import add_annotator
from activelab.service.tables import Event, Item

from ._data import make_jsonl, make_table
from ._server import ThreadServer
from .conftest import require
from .test_browser import CHROMIUM, CHROMIUM_FLAGS, save_screenshot
from .test_browser_outage import sign_in

FRUITS = ["apple", "apricot", "banana", "blueberry", "cherry", "date", "fig", "grape", "kiwi",
          "lemon", "mango", "orange"]
IDLE = "() => document.body.dataset.busy === '0' && document.body.dataset.itemId"


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    from pathlib import Path

    if not Path(CHROMIUM).is_file():
        require("Chromium", f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require("Playwright", "the playwright package is not installed")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1100, "height": 720})
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


class Served:
    """A project served in this process: runtime, app (worker driven by hand), server, tokens."""

    def __init__(self, root, data, labels, **init):
        init_project(root, data=data, labels=",".join(labels), **init)
        self.rt = Runtime.open(root)
        self.token = add_annotator(self.rt.store, "alice")
        self.bot = add_annotator(self.rt.store, "bot")
        self.app = create_app(self.rt, start_worker=False)
        self.worker = self.app.state.service.worker
        self.server = ThreadServer(self.app).__enter__()
        self.url = self.server.url

    def label_as_bot(self, n: int, truth) -> None:
        """`n` labels through the API by another annotator, then a retrain: a model, a queue
        with its predictions."""
        with httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.bot}"}) as c:
            for _ in range(n):
                item = c.get("/api/next").json()
                r = c.post("/api/labels", json={"item_id": item["item_id"], "label": truth(item),
                                                "request_id": uuid.uuid4().hex})
                assert r.status_code == 200, r.text
        assert self.worker.run_once(force=True).status == "ok"

    def events(self, item_id: str) -> list[tuple[str, str | None]]:
        with self.rt.store.read() as s:
            rows = s.execute(select(Event.kind, Event.label).join(Item, Item.idx == Event.item_idx)
                             .where(Item.item_id == item_id).order_by(Event.id)).all()
        return [tuple(r) for r in rows]

    def close(self):
        self.server.__exit__(None, None, None)
        self.rt.close()


@pytest.fixture(scope="module")
def text_project(tmp_path_factory):
    """Two labels, JSONL text (TF-IDF features), logistic regression, trained on 16 labels."""
    root = tmp_path_factory.mktemp("text")
    served = Served(root / "news", make_jsonl(root / "d.jsonl"), ["sport", "science"],
                    strategy="margin", model="logreg")
    served.label_as_bot(16, lambda it: "sport" if int(it["item_id"].split("-")[1]) % 2 == 0
                        else "science")
    yield served
    served.close()


@pytest.fixture(scope="module")
def fruit_project(tmp_path_factory):
    """Twelve labels, a numeric table, no model yet."""
    root = tmp_path_factory.mktemp("fruit")
    served = Served(root / "fruit", make_table(root / "t.csv", n=40), FRUITS, strategy="margin")
    yield served
    served.close()


@pytest.fixture(scope="module")
def image_project(tmp_path_factory, image_project_template):
    root = tmp_path_factory.mktemp("image") / "p"
    shutil.copytree(image_project_template, root)
    rt = Runtime.open(root)
    token = add_annotator(rt.store, "alice")
    app = create_app(rt, start_worker=False)
    with ThreadServer(app) as server:
        yield server.url, token
    rt.close()


def press_and_wait(page, key: str) -> str:
    """Press `key` on the shown item; wait for the next one; return the pressed item's id."""
    item = page.evaluate("() => document.body.dataset.itemId")
    page.keyboard.press(key)
    page.wait_for_function("([prev]) => document.body.dataset.busy === '0' && "
                           "document.body.dataset.itemId !== prev", arg=[item])
    return item


def set_mode(page, on: bool) -> None:
    if page.is_checked("#decide-mode") != on:
        page.click("#decide-mode")
    page.evaluate("() => document.activeElement.blur()")  # keys go to the page again


# -- accept / reject on two labels, words behind the guess -------------------------------------


def test_accept_and_reject_on_a_binary_project(page, text_project, tmp_path):
    p = text_project
    sign_in(page, p.url, p.token)
    assert page.evaluate("() => document.body.dataset.mode") == "buttons"
    set_mode(page, True)
    assert page.evaluate("() => document.body.dataset.mode") == "decide"
    assert page.is_visible("#decide") and page.is_hidden("#label-buttons")

    # the words that drove the guess are marked in the text, which is shown whole
    def shown_item():  # the same lease, through the API
        return httpx.get(p.url + "/api/next", headers={"Authorization": f"Bearer {p.token}"}).json()

    item = shown_item()
    for _ in range(5):  # an item whose guess no word favours (only the intercept) marks nothing
        if item["highlights"]:
            break
        press_and_wait(page, "s")
        item = shown_item()
    assert page.evaluate("() => document.body.dataset.itemId") == item["item_id"]
    guess = page.inner_text("#decide-label")
    assert guess == item["prediction"][0]["label"]
    marks = page.eval_on_selector_all("#item .text mark", "ms => ms.map(m => m.textContent)")
    words = {w for t in item["highlights"] for w in t["term"].split()}
    assert marks and set(marks) <= words and set(marks) <= set(item["text"].split()), (marks, item)
    assert f"towards “{guess}”" in page.inner_text("#highlight-note")
    assert page.evaluate("() => document.querySelector('#item .text').textContent") == item["text"]
    save_screenshot(page, "labeling-accept.png", tmp_path)

    # a accepts: the guess is recorded as a normal label
    item = press_and_wait(page, "a")
    assert p.events(item) == [("label", guess)]
    assert f"Saved “{guess}”" in page.inner_text("#status")

    # x rejects: on two labels, that records the other one
    guess = page.inner_text("#decide-label")
    item = press_and_wait(page, "x")
    assert p.events(item) == [("label", "science" if guess == "sport" else "sport")]

    # Enter accepts too, and an answer lost on the way is retried with the same request_id
    guess = page.inner_text("#decide-label")
    sent, lost = [], []

    def lose_first_answer(route):
        sent.append(route.request.post_data_json["request_id"])
        if not lost:
            route.fetch()  # the server records the label, and the page never hears back
            lost.append(sent[-1])
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/labels", lose_first_answer)
    item = press_and_wait(page, "Enter")
    page.unroute("**/api/labels")
    assert len(sent) >= 2 and set(sent) == set(lost)
    assert p.events(item) == [("label", guess)]

    # the mode is remembered in this browser
    page.reload()
    page.wait_for_function(IDLE)
    assert page.is_checked("#decide-mode") and page.is_visible("#decide")
    set_mode(page, False)
    assert page.is_visible("#label-buttons") and page.is_hidden("#decide")


# -- twelve labels: key 0, search, hotkeys, then reject with a model -------------------------


def test_key_zero_and_search_on_twelve_labels(page, fruit_project):
    p = fruit_project
    sign_in(page, p.url, p.token)
    # cold start: accept / reject mode falls back to the buttons, with a note
    set_mode(page, True)
    assert page.is_visible("#label-buttons") and page.is_hidden("#decide")
    assert "No model guess" in page.inner_text("#decide-note")
    set_mode(page, False)

    assert page.inner_text("button[data-label='lemon'] kbd.num") == "0"
    assert page.is_hidden("button[data-label='mango'] kbd.num")  # the 11th label has no key
    item = press_and_wait(page, "0")
    assert p.events(item) == [("label", "lemon")]

    page.keyboard.press("/")  # focuses the search box
    page.keyboard.type("AN")  # case-insensitive: banana, mango, orange
    visible = page.eval_on_selector_all(
        "#label-buttons button:not([hidden])", "bs => bs.map(b => b.dataset.label)")
    assert visible == ["banana", "mango", "orange"]
    assert "first-match" in page.get_attribute("button[data-label='banana']", "class").split()
    assert page.inner_text("button[data-label='mango'] kbd.num") == "2"
    assert page.inner_text("#search-count") == "3 of 12"
    item = press_and_wait(page, "2")  # keys number the matches
    assert p.events(item) == [("label", "mango")]

    page.fill("#label-search", "ap")  # apple, apricot, grape
    item = press_and_wait(page, "Enter")  # the first match
    assert p.events(item) == [("label", "apple")]

    page.fill("#label-search", "zz")
    assert page.inner_text("#search-count") == "no label matches “zz”"
    page.keyboard.press("Escape")
    assert page.input_value("#label-search") == ""
    assert page.locator("#label-buttons button:not([hidden])").count() == 12


def test_user_hotkeys(page, fruit_project):
    p = fruit_project
    sign_in(page, p.url, p.token)
    page.click("#hotkeys-open")
    fig = "#hotkeys input[data-label='fig']"
    for refused, why in (("s", "built-in"), ("7", "built-in"), ("x", "built-in")):
        page.fill(fig, refused)
        assert why in page.inner_text("#hotkey-msg") and page.input_value(fig) == ""
    page.fill(fig, "F")
    assert page.input_value(fig) == "f" and "“f” now labels “fig”" in page.inner_text("#hotkey-msg")
    page.fill("#hotkeys input[data-label='date']", "f")
    assert "already labels “fig”" in page.inner_text("#hotkey-msg")
    page.click("#hotkeys-close")
    assert page.inner_text("button[data-label='fig'] kbd.hk") == "f"
    item = press_and_wait(page, "f")
    assert p.events(item) == [("label", "fig")]
    page.reload()  # kept in this browser
    page.wait_for_function(IDLE)
    assert page.inner_text("button[data-label='fig'] kbd.hk") == "f"


def test_reject_on_many_labels_reveals_the_buttons_and_search(page, fruit_project):
    p = fruit_project
    p.label_as_bot(8, lambda it: "apple" if int(it["item_id"][1:]) % 2 == 0 else "banana")
    sign_in(page, p.url, p.token)
    page.click("#skip")  # the item leased before the retrain has no guess
    page.wait_for_function("() => document.getElementById('status').textContent.startsWith('Skipped')")
    page.wait_for_function(IDLE)
    set_mode(page, True)
    assert page.is_visible("#decide") and page.is_hidden("#search-row")
    guess = page.inner_text("#decide-label")
    item = page.evaluate("() => document.body.dataset.itemId")
    page.keyboard.press("x")
    page.wait_for_selector("#search-row:not([hidden])")
    assert page.evaluate("() => document.body.dataset.itemId") == item  # the item stays
    assert p.events(item) == []  # nothing recorded yet
    assert page.is_visible("#label-buttons") and page.is_hidden("#decide")
    assert page.evaluate("() => document.activeElement.id") == "label-search"
    assert "rejected" in page.get_attribute(f"button[data-label='{guess}']", "class")
    page.keyboard.type("cher")
    press_and_wait(page, "Enter")
    assert p.events(item) == [("label", "cherry")]
    assert page.is_visible("#decide")  # the next item is back to accept / reject
    set_mode(page, False)


# -- images -------------------------------------------------------------------------------


def test_image_zoom_pan_contrast_and_reset(page, image_project):
    url, token = image_project
    sign_in(page, url, token)
    assert page.is_visible("#image-tools")
    style = "() => { const i = document.querySelector('#viewer img'); " \
            "return [i.style.transform, i.style.filter]; }"
    assert page.evaluate(style) == ["translate(0px, 0px) scale(1)",
                                    "contrast(100%) brightness(100%)"]
    page.click("#zoom-in")
    page.keyboard.press("+")
    assert "scale(1.5625)" in page.evaluate(style)[0]
    page.keyboard.press("-")
    assert "scale(1.25)" in page.evaluate(style)[0]
    box = page.locator("#viewer").bounding_box()
    page.mouse.move(box["x"] + 100, box["y"] + 100)
    page.mouse.wheel(0, -100)  # wheel up zooms in
    page.wait_for_function("() => document.querySelector('#viewer img').style.transform"
                           ".includes('scale(1.5625)')")
    page.mouse.down()
    page.mouse.move(box["x"] + 130, box["y"] + 80)
    page.mouse.up()
    assert page.evaluate(style)[0].startswith("translate(30px, -20px)")
    page.fill("#contrast", "200")  # a range input: fill sets its value and fires input
    page.fill("#brightness", "150")
    assert page.evaluate(style)[1] == "contrast(200%) brightness(150%)"
    page.click("#image-reset")
    assert page.evaluate(style) == ["translate(0px, 0px) scale(1)",
                                    "contrast(100%) brightness(100%)"]
    page.mouse.move(box["x"] + 100, box["y"] + 100)  # unzoomed, a drag does not move it
    page.mouse.down()
    page.mouse.move(box["x"] + 150, box["y"] + 150)
    page.mouse.up()
    assert page.evaluate(style)[0] == "translate(0px, 0px) scale(1)"


# -- phone width ----------------------------------------------------------------------------


def test_phone_width_keeps_the_new_controls_on_screen(page, image_project, fruit_project, text_project):
    page.set_viewport_size({"width": 390, "height": 800})
    try:
        checks = [(image_project[0], image_project[1], False, None),  # image tools
                  (text_project.url, text_project.token, True, None),  # big guess, accept, reject
                  (fruit_project.url, fruit_project.token, True, "x")]  # search and 12 buttons
        for url, token, decide, key in checks:
            sign_in(page, url, token)
            set_mode(page, decide)
            if key:
                page.keyboard.press(key)
                page.wait_for_selector("#search-row:not([hidden])")
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, url
            for sel in ("#decide-mode", "#hotkeys-open", "#skip", "#undo", "#image-reset",
                        "#accept", "#reject", "#label-search", "#label-buttons button:last-child"):
                if page.is_visible(sel):
                    b = page.locator(sel).bounding_box()
                    assert b["x"] >= 0 and b["x"] + b["width"] <= 390, (url, sel, b)
            page.click("#hotkeys-open")
            b = page.locator("#hotkeys").bounding_box()
            assert b["x"] >= 0 and b["x"] + b["width"] <= 390, b
            page.click("#hotkeys-close")
            set_mode(page, False)
    finally:
        page.set_viewport_size({"width": 1100, "height": 720})
