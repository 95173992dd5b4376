"""Browser test: headless Chromium (Debian's package, driven by Playwright through its executable
path — no browser download) signs in, labels with the mouse and with the keyboard, skips and
undoes; the labels are in the database. It takes the screenshots of docs/labeling.md (written to
docs/images/ when missing, or always with ACTIVELAB_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from activelab.service import Runtime, create_app
from activelab.service.auth import add_annotator
from activelab.service.tables import Annotator, Event, Item

from ._data import truth_of_image
from ._server import ThreadServer
from .conftest import require

CHROMIUM = os.environ.get("ACTIVELAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
KEYS = {"red": "1", "blue": "2"}


@pytest.fixture
def browser_page(tmp_path):
    if not Path(CHROMIUM).is_file():
        require("Chromium", f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require("Playwright", "the playwright package is not installed")
    profile = tmp_path / "chromium-profile"  # a new, empty --user-data-dir
    profile.mkdir()
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1100, "height": 720},
        )
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def save_screenshot(page, name: str, tmp_path: Path, full_page: bool = False) -> Path:
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=full_page)
    target = DOCS_IMAGES / name
    if os.environ.get("ACTIVELAB_UPDATE_SCREENSHOTS") == "1" or not target.exists():
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, target)
    return shot


def test_label_in_the_browser(project_dir, db_url, backend, browser_page, tmp_path):
    rt = Runtime.open(project_dir, db_url)
    token = add_annotator(rt.store, "alice")
    bob = add_annotator(rt.store, "bob")
    app = create_app(rt, start_worker=False)
    worker = app.state.service.worker
    worker.run_once(force=True)  # a first (random) queue
    page = browser_page
    expect_item_change = _waiter(page)
    try:
        with ThreadServer(app) as server:
            page.goto(f"{server.url}/login")
            page.fill("#token", token)
            page.click("#sign-in")
            page.wait_for_url(f"{server.url}/")
            first = expect_item_change(None)
            assert page.inner_text("#annotator") == "alice"

            # 1. the mouse: click the right label button
            page.click(f"button[data-label='{truth_of_image(first)}']")
            second = expect_item_change(first)
            assert "Saved" in page.inner_text("#status")
            assert page.inner_text("[data-testid=count]") == "1"

            # 2. the keyboard: 1 = red, 2 = blue
            page.keyboard.press(KEYS[truth_of_image(second)])
            third = expect_item_change(second)

            # 3. s skips, u brings the skipped item back, then label it with the keyboard
            page.keyboard.press("s")
            fourth = expect_item_change(third)
            page.keyboard.press("u")
            assert expect_item_change(fourth) == third
            assert "undo" in page.inner_text("#why")
            page.keyboard.press(KEYS[truth_of_image(third)])
            current = expect_item_change(third)

            # 4. retrain on these labels; the next items come ranked by the strategy
            page.keyboard.press(KEYS[truth_of_image(current)])
            current = expect_item_change(current)
            worker.run_once(force=True)
            page.click(f"button[data-label='{truth_of_image(current)}']")
            current = expect_item_change(current)
            assert "Chosen by margin" in page.inner_text("#why")
            assert page.inner_text("[data-testid=count]") == "5"
            page.wait_for_function("() => document.querySelector('#item img').complete")
            if backend == "sqlite":
                save_screenshot(page, "labeling.png", tmp_path)

            # a colleague labels through the API meanwhile: the progress page shows both
            _label_as(server.url, bob, 15, worker)
            page.goto(f"{server.url}/progress")
            page.wait_for_function(
                "() => document.querySelector('#updated').textContent.startsWith('Updated')")
            assert "20 of 40 labeled" in page.inner_text("#summary")
            assert "bob" in page.inner_text("#annotators")
            if backend == "sqlite":
                save_screenshot(page, "progress.png", tmp_path, full_page=True)

            # signing out ends the session
            page.click("#sign-out")
            page.wait_for_url(f"{server.url}/login")
            page.goto(f"{server.url}/")
            page.wait_for_url(f"{server.url}/login")
    finally:
        rt_store = rt.store
        with rt_store.read() as s:
            rows = s.execute(
                select(Event.kind, Item.item_id, Event.label, Annotator.name)
                .join(Item, Item.idx == Event.item_idx)
                .join(Annotator, Annotator.id == Event.annotator_id)
                .where(Annotator.name == "alice")
                .order_by(Event.id)
            ).all()
        rt.close()
    assert [r.kind for r in rows] == ["label", "label", "skip", "undo", "label", "label", "label"]
    assert [r.item_id for r in rows][:5] == [first, second, third, third, third]
    for r in rows:
        if r.kind == "label":
            assert r.label == truth_of_image(r.item_id)  # what the buttons and keys sent


def _waiter(page):
    """Wait until the page shows an item other than `previous`; return its id."""

    def wait(previous):
        page.wait_for_function(
            "([prev]) => document.body.dataset.busy === '0' && document.body.dataset.itemId"
            " && document.body.dataset.itemId !== prev",
            arg=[previous or ""], timeout=20_000,
        )
        return page.evaluate("() => document.body.dataset.itemId")

    return wait


def _label_as(url: str, token: str, n: int, worker) -> None:
    import uuid

    import httpx

    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:
        for i in range(n):
            item = c.get("/api/next").json()
            r = c.post("/api/labels", json={"item_id": item["item_id"], "request_id": uuid.uuid4().hex,
                                            "label": truth_of_image(item["item_id"])})
            assert r.status_code == 200, r.text
            if i % 5 == 4:
                worker.run_once(force=True)
