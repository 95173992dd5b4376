"""The labeling page of a regression project (headless Chromium): a number box, focused on every
item, with the unit; Enter submits the number typed, s skips, u undoes; an answer outside the
range is refused on the page; once a model exists, its guess is shown and `a` accepts it (`g`
puts it in the box to adjust)."""

from __future__ import annotations

import httpx
import pytest

from activelab.service import Runtime, create_app, init_project
from activelab.service.auth import add_annotator

from ._data import make_table
from ._server import ThreadServer
from .test_browser import browser_page, save_screenshot  # noqa: F401 - the fixture
from .test_browser_outage import sign_in


@pytest.fixture
def regression_app(tmp_path):
    data = make_table(tmp_path / "pool.csv", n=30)
    init_project(tmp_path / "proj", data=data, task="regression", value_range="0,500",
                 unit="g")
    rt = Runtime.open(tmp_path / "proj")
    tokens = {name: add_annotator(rt.store, name) for name in ("alice", "bob")}
    app = create_app(rt, start_worker=False)
    yield app, tokens
    rt.close()


def _settled(page, item, same: bool):
    page.wait_for_function(
        f"([prev]) => document.body.dataset.busy === '0' && "
        f"document.body.dataset.itemId {'===' if same else '!=='} prev", arg=[item])


def _focused(page) -> str:
    return page.evaluate("() => document.activeElement && document.activeElement.id")


def test_the_number_page_by_keyboard(regression_app, browser_page, tmp_path):  # noqa: F811
    app, tokens = regression_app
    page = browser_page
    with ThreadServer(app) as server:
        item = sign_in(page, server.url, tokens["alice"])
        assert page.evaluate("() => document.body.dataset.task") == "regression"
        assert _focused(page) == "value-input"
        assert page.inner_text("#value-unit") == "g"
        assert page.is_hidden("#label-buttons") and page.is_hidden("#decide")
        assert page.is_hidden("#accept-guess")  # no model yet
        page.keyboard.type("12.5")
        page.keyboard.press("Enter")
        _settled(page, item, same=False)
        assert f"Saved “12.5 g” for {item}" in page.inner_text("#status")
        assert _focused(page) == "value-input" and page.input_value("#value-input") == ""
        second = page.evaluate("() => document.body.dataset.itemId")
        page.keyboard.type("600")  # outside 0..500: refused on the page, nothing sent
        page.keyboard.press("Enter")
        assert "outside the range" in page.inner_text("#value-note")
        assert page.evaluate("() => document.body.dataset.itemId") == second
        page.fill("#value-input", "40")
        page.keyboard.press("Enter")
        _settled(page, second, same=False)
        page.keyboard.press("u")
        _settled(page, second, same=True)
        assert f"Undid your value “40” on {second}" in page.inner_text("#status")
        page.keyboard.type("41")
        page.click("#submit-value")
        _settled(page, second, same=False)
        third = page.evaluate("() => document.body.dataset.itemId")
        page.keyboard.press("s")
        _settled(page, third, same=False)
        assert page.inner_text("#status").startswith("Skipped")
        assert page.inner_text("[data-testid=count]") == "2"

        # a model: its guess is shown, g puts it in the box, a accepts it
        bob = {"Authorization": f"Bearer {tokens['bob']}"}
        for k, value in enumerate((100, 150, 220, 310)):
            leased = httpx.get(f"{server.url}/api/next", headers=bob).json()["item_id"]
            r = httpx.post(f"{server.url}/api/labels", headers=bob, json={
                "item_id": leased, "value": value, "request_id": f"seed-value-{k:04d}"})
            assert r.status_code == 200, r.text
        assert app.state.service.worker.run_once(force=True).strategy == "igs"
        page.reload()
        page.wait_for_function("() => document.body.dataset.itemId && document.body.dataset.busy === '0'")
        item = page.evaluate("() => document.body.dataset.itemId")
        nxt = httpx.get(f"{server.url}/api/next", headers={
            "Authorization": f"Bearer {tokens['alice']}"}).json()
        assert nxt["item_id"] == item and nxt["predicted_value"] is not None
        guess = min(500.0, max(0.0, float(f"{nxt['predicted_value']:.6g}")))
        assert page.inner_text("#prediction").startswith("Model's guess:")
        assert page.is_visible("#accept-guess") and _focused(page) == "value-input"
        page.keyboard.press("g")
        assert float(page.input_value("#value-input")) == pytest.approx(guess)
        save_screenshot(page, "labeling-regression.png", tmp_path)
        page.keyboard.press("a")
        _settled(page, item, same=False)
        assert f"for {item}" in page.inner_text("#status")
        # the progress page speaks of R², not of classes or accuracy
        page.goto(f"{server.url}/progress")
        page.wait_for_function("() => document.getElementById('insights').textContent.includes('R²')")
        assert page.is_hidden("#balance-card")
        assert "cross-validated R²" in page.inner_text("#curve-title")
        assert "for classification projects" in page.inner_text("#insights")
    from sqlalchemy import select

    from activelab.service.tables import Event, Item

    store = app.state.service.runtime.store
    with store.read() as s:
        value = s.scalar(select(Event.value).join(Item, Item.idx == Event.item_idx)
                         .where(Item.item_id == item, Event.kind == "label"))
    assert value == pytest.approx(guess)
