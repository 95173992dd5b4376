"""The labeling page of a multilabel project (headless Chromium): a checkbox per label, keys 1–9
toggle them, Enter submits the ticked set, n "none of these", u undoes, s skips; once a model
exists, its guess (each label's probability ≥ 50 %) starts ticked."""

from __future__ import annotations

import math

import httpx
import pytest

from activelab.multilabel import DEFAULT_STRATEGY
from activelab.service import Runtime, create_app, init_project
from activelab.service.auth import add_annotator

from ._data import make_table
from ._server import ThreadServer
from .test_browser import browser_page, save_screenshot  # noqa: F401 - the fixture
from .test_browser_outage import sign_in

LABELS = ["a", "b", "c"]


@pytest.fixture
def multilabel_app(tmp_path):
    data = make_table(tmp_path / "pool.csv", n=30)
    init_project(tmp_path / "proj", data=data, labels=",".join(LABELS), task="multilabel")
    rt = Runtime.open(tmp_path / "proj")
    tokens = {name: add_annotator(rt.store, name) for name in ("alice", "bob")}
    app = create_app(rt, start_worker=False)
    yield app, tokens
    rt.close()


def _settled(page, item, same: bool):
    page.wait_for_function(
        f"([prev]) => document.body.dataset.busy === '0' && "
        f"document.body.dataset.itemId {'===' if same else '!=='} prev", arg=[item])


def _ticked(page) -> list[str]:
    return page.eval_on_selector_all("#label-buttons input:checked", "els => els.map(e => e.dataset.label)")


def test_the_checkbox_page_by_keyboard(multilabel_app, browser_page, tmp_path):  # noqa: F811
    app, tokens = multilabel_app
    page = browser_page
    with ThreadServer(app) as server:
        item = sign_in(page, server.url, tokens["alice"])
        assert page.evaluate("() => document.body.dataset.task") == "multilabel"
        assert page.eval_on_selector_all("#label-buttons input[type=checkbox]",
                                         "els => els.map(e => e.dataset.label)") == LABELS
        assert page.inner_text("label[data-label='c'] kbd") == "3"
        assert page.is_hidden("#decide") and page.is_visible("#none-of-these")
        assert _ticked(page) == []  # no model yet: nothing ticked
        page.keyboard.press("1")
        page.keyboard.press("3")
        page.keyboard.press("2")
        page.keyboard.press("2")  # toggled back off
        assert _ticked(page) == ["a", "c"]
        page.keyboard.press("Enter")
        _settled(page, item, same=False)
        assert f"Saved “a, c” for {item}" in page.inner_text("#status")
        assert _ticked(page) == []  # a new item starts empty again
        second = page.evaluate("() => document.body.dataset.itemId")
        page.keyboard.press("n")
        _settled(page, second, same=False)
        assert f"Saved “none of these” for {second}" in page.inner_text("#status")
        page.keyboard.press("u")
        _settled(page, second, same=True)
        assert f"Undid your labels “none of these” on {second}" in page.inner_text("#status")
        page.keyboard.press("2")
        page.click("#submit-set")
        _settled(page, second, same=False)
        assert f"Saved “b” for {second}" in page.inner_text("#status")
        third = page.evaluate("() => document.body.dataset.itemId")
        page.keyboard.press("s")
        _settled(page, third, same=False)
        assert page.inner_text("#status").startswith("Skipped")
        assert page.inner_text("[data-testid=count]") == "2"

        # a model: its guess starts ticked, and Enter accepts it as the answer
        bob = {"Authorization": f"Bearer {tokens['bob']}"}
        for k, labels in enumerate((["a"], ["a", "b"], ["c"], [])):
            leased = httpx.get(f"{server.url}/api/next", headers=bob).json()["item_id"]
            r = httpx.post(f"{server.url}/api/labels", headers=bob, json={
                "item_id": leased, "labels": labels, "request_id": f"seed-label-{k:04d}"})
            assert r.status_code == 200, r.text
        worker = app.state.service.worker
        assert worker.run_once(force=True).strategy == DEFAULT_STRATEGY
        page.reload()
        page.wait_for_function("() => document.body.dataset.itemId && document.body.dataset.busy === '0'")
        item = page.evaluate("() => document.body.dataset.itemId")
        shown = page.eval_on_selector_all(
            "#label-buttons .lp-prob", "els => els.map(e => parseInt(e.textContent))")
        assert len(shown) == 3
        # the rule is P ≥ 0.5 on the exact probabilities (a shown "50 %" may be 0.497): read
        # them from the API, where alice's held lease on this item comes back with them
        held = httpx.get(f"{server.url}/api/next",
                         headers={"Authorization": f"Bearer {tokens['alice']}"}).json()
        assert held["item_id"] == item
        exact = {p["label"]: p["probability"] for p in held["label_probabilities"]}
        assert [math.floor(100 * exact[lab] + 0.5) for lab in LABELS] == shown  # Math.round
        expected = [lab for lab in LABELS if exact[lab] >= 0.5]
        assert _ticked(page) == expected
        assert page.inner_text("#prediction").startswith("Model's guess (ticked):")
        save_screenshot(page, "labeling-multilabel.png", tmp_path)
        page.keyboard.press("Enter")
        _settled(page, item, same=False)
        said = ", ".join(expected) if expected else "none of these"
        assert f"Saved “{said}” for {item}" in page.inner_text("#status")
