"""Issue 13, a truthful API: request bodies are strict about types and refuse control
characters on both databases; a CSV's ids are kept exactly as written."""

from __future__ import annotations

import json
import uuid

import pytest

from activelab.service.project import Project, ProjectError
from activelab.service.runtime import init_project


def _rid() -> str:
    return uuid.uuid4().hex


def _post_raw(api, path: str, text: str, as_: str = "alice"):
    """POST JSON text as is (httpx cannot encode a lone surrogate itself)."""
    headers = {**api.headers(as_), "Content-Type": "application/json"}
    return api.client.post(path, content=text.encode("ascii"), headers=headers)


def _assert_422(r, field: str) -> None:
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["detail"].startswith("invalid request") and field in body["detail"]
    assert any(field in e["loc"] for e in body["errors"])


@pytest.mark.parametrize("value", [True, False, "7", "", 7.0, 7.5, [7], {"n": 7}])
def test_settings_integers_are_strict(api, value):
    before = api.get("/api/settings", as_="admin").json()
    _assert_422(api.put("/api/settings", {"queue_size": value}, as_="admin"), "queue_size")
    assert api.get("/api/settings", as_="admin").json() == before


def test_settings_json_native_types_still_work(api):
    r = api.put("/api/settings", {"queue_size": 7, "lease_seconds": 60, "strategy": "entropy"},
                as_="admin")
    assert r.status_code == 200, r.text
    assert r.json()["queue_size"] == 7 and r.json()["lease_seconds"] == 60
    _assert_422(api.put("/api/settings", {"strategy": 1}, as_="admin"), "strategy")
    _assert_422(api.put("/api/settings", {"model": True}, as_="admin"), "model")


@pytest.mark.parametrize("body, field", [
    ({"item_id": 1, "label": "red"}, "item_id"),
    ({"item_id": "red/000.png", "label": 1}, "label"),
    ({"item_id": "red/000.png", "label": True}, "label"),
    ({"item_id": ["red/000.png"], "label": "red"}, "item_id"),
])
def test_label_fields_are_strict(api, body, field):
    _assert_422(api.post("/api/labels", {**body, "request_id": _rid()}), field)


def test_request_id_is_strict(api):
    item = api.next()
    _assert_422(api.post("/api/skip", {"item_id": item["item_id"], "request_id": 12345678901}),
                "request_id")
    _assert_422(api.post("/api/undo", {"request_id": 12345678901}), "request_id")


@pytest.mark.parametrize("bad", ["\u0000", "\u0001", "\n", "\t", "\u001f", "\u007f"])
def test_control_characters_are_refused(api, bad):
    item = api.next()
    iid = item["item_id"]
    _assert_422(api.label(iid + bad, "red"), "item_id")
    _assert_422(api.label(bad + iid, "red"), "item_id")
    _assert_422(api.label(iid, "red" + bad), "label")
    _assert_422(api.post("/api/skip", {"item_id": iid + bad, "request_id": _rid()}), "item_id")
    _assert_422(api.post("/api/skip", {"item_id": iid, "request_id": _rid() + bad}), "request_id")
    _assert_422(api.post("/api/undo", {"request_id": _rid() + bad}), "request_id")
    _assert_422(api.put("/api/settings", {"strategy": "margin" + bad}, as_="admin"), "strategy")
    # nothing was written: the item is still there to label
    assert api.label(iid, "red").status_code == 200


def test_lone_surrogates_are_refused(api):
    iid = api.next()["item_id"]
    r = _post_raw(api, "/api/labels", json.dumps(
        {"item_id": iid, "label": "red", "request_id": _rid()}).replace(iid, iid + "\\ud800"))
    _assert_422(r, "item_id")
    r = _post_raw(api, "/api/skip", json.dumps(
        {"item_id": "\\udc00", "request_id": _rid()}).replace("\\\\udc00", "\\udc00"))
    _assert_422(r, "item_id")


def test_unicode_text_is_still_accepted(api):
    iid = api.next()["item_id"]
    r = api.label(iid + "é✓", "red")  # a well-formed id the project does not hold
    assert r.status_code == 404 and "unknown item" in r.json()["detail"], r.text


def _csv(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def _rows(ids: list[str]) -> str:
    return "id,f1,f2\n" + "".join(f"{i},{k}.5,{k % 2}\n" for k, i in enumerate(ids))


def test_csv_ids_are_kept_as_written(tmp_path, init):
    ids = ["001", "2", "10", "1e3", "NA", "nan", " 7"]
    code, err = init(tmp_path / "p", _csv(tmp_path / "t.csv", _rows(ids)))
    assert code == 0, err
    project = Project.open(tmp_path / "p")
    items = project.read_items()
    assert [it["item_id"] for it in items] == ids
    assert [it["fields"]["id"] for it in items] == ids
    assert project.load_features().shape == (len(ids), 2)


def test_csv_integer_ids_with_a_gap_stay_integers(tmp_path, init):
    # a gap in the id column used to turn the column into floats: "1.0", "3.0"
    code, err = init(tmp_path / "p", _csv(tmp_path / "t.csv", _rows(["1", "", "3"])))
    assert code == 2 and "row 2 of t.csv has no 'id'" in err, err
    assert not (tmp_path / "p" / "items.jsonl").exists()
    # a gap in another column leaves the ids alone
    csv = _csv(tmp_path / "u.csv", "id,f1,f2\n1,0.5,1\n3,,0\n4,1.5,1\n")
    code, err = init(tmp_path / "q", csv, "--features", "columns:f2")
    assert code == 0, err
    assert [it["item_id"] for it in Project.open(tmp_path / "q").read_items()] == ["1", "3", "4"]


def test_csv_missing_id_names_the_row(tmp_path):
    csv = _csv(tmp_path / "t.csv", _rows(["1", "", "3"]))
    with pytest.raises(ProjectError, match=r"row 2 of t\.csv has no 'id'"):
        init_project(tmp_path / "p", data=csv, labels="a,b")


def test_csv_duplicate_ids_are_refused_as_written(tmp_path):
    with pytest.raises(ProjectError, match="repeats the id '2'"):
        init_project(tmp_path / "p", data=_csv(tmp_path / "t.csv", _rows(["1", "2", "2"])),
                     labels="a,b")
    # "01" and "1" are two ids, not one
    init_project(tmp_path / "q", data=_csv(tmp_path / "u.csv", _rows(["01", "1"])), labels="a,b")
    assert [it["item_id"] for it in Project.open(tmp_path / "q").read_items()] == ["01", "1"]


def test_parquet_missing_id_names_the_row(tmp_path):
    import pandas as pd

    path = tmp_path / "t.parquet"
    pd.DataFrame({"item_id": ["a", None, "c"], "f1": [0.5, 1.5, 2.5]}).to_parquet(path)
    with pytest.raises(ProjectError, match=r"row 2 of t\.parquet has no 'item_id'"):
        init_project(tmp_path / "p", data=path, labels="a,b")


def test_ids_with_control_characters_are_refused_at_import(tmp_path):
    csv = _csv(tmp_path / "t.csv", 'id,f1\n"a\tb",0.5\nc,1.5\n')
    with pytest.raises(ProjectError, match="control character"):
        init_project(tmp_path / "p", data=csv, labels="a,b")


@pytest.mark.parametrize("bad", [None, "", 1.5, True, ["a"]])
def test_jsonl_ids_must_be_strings_or_integers(tmp_path, init, bad):
    path = tmp_path / "t.jsonl"
    lines = [{"id": "a", "text": "good film"}, {"id": bad, "text": "bad film"}, {"id": 3, "text": "great film"}]
    path.write_text("".join(json.dumps(obj) + "\n" for obj in lines), encoding="utf-8")
    code, err = init(tmp_path / "p", path)
    assert code == 2 and "t.jsonl line 2 has the id" in err, err
    lines[1]["id"] = 2
    path.write_text("".join(json.dumps(obj) + "\n" for obj in lines), encoding="utf-8")
    code, err = init(tmp_path / "q", path)
    assert code == 0, err
    assert [it["item_id"] for it in Project.open(tmp_path / "q").read_items()] == ["a", "2", "3"]
