"""Issue 16, admin pages — in headless Chromium (as test_browser.py): an admin changes a setting,
adds a label (the labeling page then offers it), invites someone and revokes a token, downloads
exports and retrains, seeing the run's result. Takes docs/images/admin.png."""

from __future__ import annotations

import json
import uuid

import httpx

from activelab.service import Runtime, create_app
from activelab.service.auth import add_annotator, list_annotators
from activelab.service.settings import read_settings

from ._data import truth_of_image
from ._server import ThreadServer
from .test_browser import browser_page, save_screenshot  # noqa: F401 - the fixture

N_LABELED = 8


def test_admin_pages_in_the_browser(project_dir, tmp_path, browser_page):  # noqa: F811
    import pyarrow.parquet as pq

    rt = Runtime.open(project_dir, f"sqlite:///{tmp_path / 'labels.db'}")
    admin = add_annotator(rt.store, "ada", admin=True)
    bob = add_annotator(rt.store, "bob")
    app = create_app(rt, start_worker=False)
    app.state.service.worker.run_once(force=True)  # a first (random) queue
    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())  # "Revoke bob's token …?"
    try:
        with ThreadServer(app) as server:
            _label_as(server.url, bob, N_LABELED)
            page.goto(f"{server.url}/login")
            page.fill("#token", admin)
            page.click("#sign-in")
            page.wait_for_url(f"{server.url}/")
            page.goto(f"{server.url}/progress")  # admins find the admin page in the menu
            page.click("#admin-link")
            page.wait_for_url(f"{server.url}/admin")
            page.wait_for_function("() => document.body.dataset.ready === '1'")
            assert page.inner_text("#annotator") == "ada"

            # settings: the choices are the API's; a change is saved at once
            options = page.eval_on_selector_all("#strategy option", "os => os.map(o => o.value)")
            assert "entropy" in options and "auto" in options
            assert page.eval_on_selector("#queue_size", "e => [e.min, e.max]") == ["1", "100000"]
            page.select_option("#strategy", "entropy")
            page.fill("#queue_size", "25")
            page.click("#save-settings")
            page.wait_for_selector("#settings-status.ok")
            saved = read_settings(rt.store, max_age=0)
            assert (saved.strategy, saved.queue_size) == ("entropy", 25)

            # the label set grows; a duplicate is refused with the reason
            page.fill("#new-label", "green")
            page.click("#add-label")
            page.wait_for_selector("#label-list li[data-label='green']")
            assert "added by ada" in page.inner_text("#label-list li[data-label='green']")
            page.fill("#new-label", "Green")
            page.click("#add-label")
            page.wait_for_selector("#label-status.error")
            assert "already" in page.inner_text("#label-status")

            # people: an invitation code, shown once; bob's token revoked
            page.fill("#invite-name", "carol")
            page.click("#invite")
            page.wait_for_selector("#invite-result:not([hidden])")
            code = page.inner_text("#invite-code")
            assert code.startswith("inv_") and "carol" in page.inner_text("#invite-who")
            page.wait_for_selector("#people tr[data-name='carol']")
            page.click("button[data-revoke='bob']")
            page.wait_for_selector("#people tr[data-name='bob'][data-state='revoked']")
            assert page.query_selector("button[data-revoke='ada']") is None  # not oneself
            assert httpx.get(f"{server.url}/api/me",
                             headers={"Authorization": f"Bearer {bob}"}).status_code == 401

            # exports: download links of each format
            with page.expect_download() as download:
                page.click("a[data-format='parquet']")
            assert download.value.suggested_filename == "proj-labels.parquet"
            assert pq.read_table(download.value.path()).num_rows == N_LABELED
            with page.expect_download() as download:
                page.click("a[data-format='labelstudio']")
            tasks = json.loads(open(download.value.path(), encoding="utf-8").read())
            assert len(tasks) == N_LABELED and tasks[0]["annotations"][0]["result"][0]["type"] == "choices"
            page.check("#export-history")
            assert page.get_attribute("a[data-format='csv']", "href").endswith("history=true")
            assert page.get_attribute("a[data-format='labelstudio']", "aria-disabled") == "true"
            page.uncheck("#export-history")

            # retrain: the run's outcome is shown
            page.click("#retrain")
            page.wait_for_selector("#retrain-status[data-run]", timeout=60_000)
            status = page.inner_text("#retrain-status")
            assert f"on {N_LABELED} labels" in status and "entropy" in status, status
            page.evaluate("() => window.scrollTo(0, 0)")
            save_screenshot(page, "admin.png", tmp_path, full_page=True)

            # a phone's width: nothing sticks out of the page (the people table scrolls in its card)
            page.set_viewport_size({"width": 390, "height": 800})
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
            page.set_viewport_size({"width": 1100, "height": 720})

            # the labeling page offers the new label
            page.goto(f"{server.url}/")
            page.wait_for_selector("button[data-label='green']")
    finally:
        names = [(a.name, a.revoked_at is not None) for a in list_annotators(rt.store)]
        rt.close()
    assert names == [("ada", False), ("bob", True), ("carol", False)]


def _label_as(url: str, token: str, n: int) -> None:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:
        for _ in range(n):
            item = c.get("/api/next").json()
            r = c.post("/api/labels", json={"item_id": item["item_id"], "request_id": uuid.uuid4().hex,
                                            "label": truth_of_image(item["item_id"])})
            assert r.status_code == 200, r.text
