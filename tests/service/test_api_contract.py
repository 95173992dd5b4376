"""Issue 13, a truthful API: the OpenAPI document lists every status each operation answers,
with the bodies it sends (`ErrorOut`, `ValidationErrorOut`) and the project's label set; a
malformed body is a 422 (never a 400 or a 500); OPTIONS and a wrong method name the path's
methods; `activelab init` refuses bad ids and labels before writing, and a failure leaves no
project folder behind, or an existing project as it was. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid

import pytest

from activelab.service.schemas import ErrorOut, ValidationErrorOut

from ._data import make_images

LABELS = ["red", "blue"]
# operation -> the refusals it documents besides 401 and 413 (which every operation documents)
REFUSALS = {
    "GET /api/next": set(),
    "POST /api/labels": {403, 404, 409, 422},
    "POST /api/skip": {404, 409, 422},
    "POST /api/undo": {409, 422},
    "GET /api/stats": set(),
    "GET /api/progress": set(),
    "GET /api/export": {403, 422},
    "GET /api/settings": {403},
    "PUT /api/settings": {403, 422},
    "POST /api/retrain": {403},
    "GET /api/me": set(),
    "GET /api/content": {403, 404, 422},
    "GET /api/label-set": {403},
    "POST /api/label-set": {403, 409, 422},
    "GET /api/annotators": {403},
    "POST /api/annotators/revoke": {403, 404, 409, 422},
    "POST /api/invitations": {403, 409, 422},
    "GET /api/agreement": {403},
    "GET /api/review": {403, 404, 422},
    "POST /api/review": {403, 404, 409, 422},
    "POST /api/review/undo": {403, 409, 422},
}
WITH_BODY = {"POST /api/labels": {"item_id": "red/000.png", "label": "red", "request_id": "r" * 10},
             "POST /api/skip": {"item_id": "red/000.png", "request_id": "r" * 10},
             "POST /api/undo": {"request_id": "r" * 10},
             "PUT /api/settings": {"queue_size": 7}}
# the admin pages' operations (test_admin_api.py sends them the malformed bodies, on one app)
ADMIN_BODIES = {"POST /api/label-set": {"label": "green"},
                "POST /api/annotators/revoke": {"name": "bob"},
                "POST /api/invitations": {"name": "carol"}}


def _rid() -> str:
    return uuid.uuid4().hex


def _operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield f"{method.upper()} {path}", op


def _ref(response: dict) -> str:
    return response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]


def _is_422(r) -> dict:
    assert r.status_code == 422, (r.status_code, r.text)
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    ValidationErrorOut.model_validate(body)
    assert set(body) == {"detail", "errors"} and body["errors"]
    assert all(set(e) == {"loc", "msg"} for e in body["errors"])
    return body


# -- the document --------------------------------------------------------------------------


def test_every_operation_documents_what_it_answers(api):
    doc = api.get("/api/openapi.json").json()
    ops = dict(_operations(doc))
    assert set(ops) == set(REFUSALS)
    for name, op in ops.items():
        statuses = {int(s) for s in op["responses"]}
        success = {s for s in statuses if s < 300}
        assert statuses - success == {401, 413} | REFUSALS[name], name
        for status in statuses - success:
            model = "ValidationErrorOut" if status == 422 else "ErrorOut"
            assert _ref(op["responses"][str(status)]) == model, (name, status)
            assert list(op["responses"][str(status)]["content"]) == ["application/json"]
    assert "HTTPValidationError" not in json.dumps(doc)
    schemas = doc["components"]["schemas"]
    assert schemas["ErrorOut"]["required"] == ["detail"]
    assert set(schemas["ValidationErrorOut"]["required"]) == {"detail", "errors"}


def test_the_label_set_is_an_enum(api):
    doc = api.get("/api/openapi.json").json()
    s = doc["components"]["schemas"]
    assert s["LabelIn"]["properties"]["label"]["enum"] == LABELS
    assert {"type": "string", "enum": LABELS} in s["EventOut"]["properties"]["label"]["anyOf"]
    assert s["NextOut"]["properties"]["labels"]["items"]["enum"] == LABELS
    assert s["MeOut"]["properties"]["labels"]["items"]["enum"] == LABELS
    assert s["StatsOut"]["properties"]["per_class"]["propertyNames"]["enum"] == LABELS
    assert "x-activelab" not in json.dumps(doc)
    # settings name what they take
    strategy = s["SettingsIn"]["properties"]["strategy"]["anyOf"][0]
    assert "margin" in strategy["enum"]
    assert s["SettingsIn"]["properties"]["queue_size"]["anyOf"][0]["minimum"] == 1
    # the request schemas show the characters a Name refuses
    assert s["SkipIn"]["properties"]["item_id"]["pattern"] == r"^[^\u0000-\u001f\u007f]*$"
    assert s["SkipIn"]["properties"]["request_id"]["pattern"] == r"^[A-Za-z0-9._:-]+$"
    # the document is built once
    assert api.app.openapi() is api.app.openapi()


def test_a_label_outside_the_set_is_a_422_like_any_other(api):
    iid = api.next()["item_id"]
    body = _is_422(api.label(iid, "green"))
    assert body["errors"] == [{"loc": ["body", "label"], "msg": body["detail"]}]
    assert "not in this project's label set" in body["detail"]
    assert api.label(iid, "red").status_code == 200


# -- the statuses it documents are the ones it sends ------------------------------------------


# both refusals come before any query: one database is enough (suite time)
@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_413_and_401_on_every_operation(api, name):
    method, path = name.split(" ")
    big = b"x" * (64 * 1024 + 1)
    r = api.client.request(method, path, content=big, headers=api.headers("admin"))
    assert r.status_code == 413
    ErrorOut.model_validate(r.json())
    r = api.client.request(method, path, json=WITH_BODY.get(name, ADMIN_BODIES.get(name)))
    assert r.status_code == 401
    ErrorOut.model_validate(r.json())


def test_403_404_409_as_documented(api):
    for path in ("/api/export", "/api/settings"):
        assert api.get(path, as_="alice").status_code == 403
    assert api.post("/api/retrain", as_="alice").status_code == 403
    assert api.put("/api/settings", {"queue_size": 5}, as_="alice").status_code == 403
    assert api.label("no/such.png", "red").status_code == 404
    assert api.post("/api/skip", {"item_id": "no/such.png", "request_id": _rid()}).status_code == 404
    assert api.get("/api/content", params={"item_id": "no/such.png"}).status_code == 404
    leased = api.next("alice")["item_id"]
    r = api.label(leased, "red", as_="bob")  # bob holds no lease on it
    assert r.status_code == 409
    ErrorOut.model_validate(r.json())
    assert api.post("/api/skip", {"item_id": leased, "request_id": _rid()}, as_="bob").status_code == 409
    assert api.post("/api/undo", {"request_id": _rid()}, as_="bob").status_code == 409
    assert api.label(leased, "red", as_="alice").status_code == 200
    assert api.label(leased, "blue", as_="bob").status_code == 403  # someone else's label


# -- malformed bodies ------------------------------------------------------------------------


MALFORMED = {
    "a 5,000-digit integer": (b'{"queue_size": ' + b"9" * 5000 + b"}", "application/json"),
    "invalid UTF-8": (b'{"item_id": "\xff\xfe", "request_id": "abcdefgh"}', "application/json"),
    "20,000-deep nesting": (b"[" * 20000 + b"]" * 20000, "application/json"),
    "deep nesting in a field": (b'{"item_id": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                                "application/json"),
    "an empty body": (b"", "application/json"),
    "no body and no type": (None, None),
    "not JSON": (b"label=red", "application/json"),
    "a form": (b"label=red", "application/x-www-form-urlencoded"),
    "text": (b"red", "text/plain"),
    "a JSON string": (b'"red"', "application/json"),
    "NaN": (b'{"queue_size": NaN}', "application/json"),
    "a lone surrogate as a key": (b'{"\\ud800": 1}', "application/json"),
    "a lone surrogate in UTF-8": (b'{"item_id": "\xed\xa0\x80"}', "application/json"),
    "a BOM then garbage": (b"\xef\xbb\xbf{", "application/json"),
}


# the body is refused before any query, so one database is enough (suite time)
@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("what", sorted(MALFORMED))
@pytest.mark.parametrize("name", sorted(WITH_BODY))
def test_malformed_bodies_are_422(api, name, what):
    method, path = name.split(" ")
    content, media = MALFORMED[what]
    headers = {**api.headers("admin"), **({"Content-Type": media} if media else {})}
    r = api.client.request(method, path, content=content, headers=headers)
    body = _is_422(r)
    assert body["detail"].startswith("invalid request — ")


def test_malformed_body_reasons_are_named(api):
    def detail(content):
        return _is_422(api.client.put("/api/settings", content=content, headers={
            **api.headers("admin"), "Content-Type": "application/json"}))["detail"]

    assert "more than 4300 digits" in detail(b'{"queue_size": ' + b"9" * 5000 + b"}")
    assert "nested too deeply" in detail(b"[" * 20000 + b"]" * 20000)
    assert "not valid UTF-8" in detail(b'{"strategy": "\xff"}')
    assert "not valid JSON" in detail(b"{nope")
    assert "7.0" not in detail(b'{"queue_size": 7.0}')  # strict: 7.0 is not an integer
    # integers that parse still fail inside their limits, with no 500
    assert "queue_size" in detail(b'{"queue_size": ' + b"9" * 4000 + b"}")


# -- methods ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path, allow", [
    ("/api/settings", "GET, PUT, OPTIONS"),
    ("/api/labels", "POST, OPTIONS"),
    ("/api/me", "GET, OPTIONS"),
    ("/login", None),  # a page: whatever its methods are, they are named in full
])
def test_options_and_wrong_methods_name_every_method_of_the_path(api, path, allow):
    r = api.client.options(path)
    assert r.status_code == 204, r.text
    if allow is not None:
        assert r.headers["allow"] == allow
    assert "OPTIONS" in r.headers["allow"]
    named = [m.strip() for m in r.headers["allow"].split(",")]
    for method in named:
        if method != "OPTIONS":
            got = api.client.request(method, path, headers=api.headers("admin"))
            assert got.status_code != 405, (method, path)
    r = api.client.request("DELETE", path, headers=api.headers("admin"))
    assert r.status_code == 405
    assert r.headers["allow"] == ", ".join(named)
    ErrorOut.model_validate(r.json())


def test_options_on_an_unknown_path_is_404(api):
    assert api.client.options("/api/nothing-here").status_code == 404


# -- activelab init --------------------------------------------------------------------------


def _csv(path, ids: list[str]):
    path.write_bytes(("id,f1,f2\n" + "".join(f'"{i}",{k}.5,{k % 2}\n' for k, i in enumerate(ids)))
                     .encode("utf-8"))
    return path


def _snapshot(folder) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _items_in(db_url: str) -> list[str]:
    """The item ids a database holds ([] when it has no tables)."""
    from sqlalchemy import inspect, select

    from activelab.service.db import Store
    from activelab.service.tables import Item

    store = Store(db_url)
    try:
        with store.engine.connect() as conn:
            if not inspect(conn).has_table(Item.__tablename__):
                return []
            return list(conn.scalars(select(Item.item_id).order_by(Item.idx)))
    finally:
        store.dispose()


@pytest.mark.parametrize("bad", ["\x00", "\x01", "\t", "\n", "\x1f", "\x7f"])
def test_init_refuses_control_characters_in_ids_before_writing(tmp_path, init, empty_db_url, bad):
    csv = _csv(tmp_path / "t.csv", ["a", f"b{bad}c", "d"])
    code, err = init(tmp_path / "deep" / "p", csv, "--db", empty_db_url)
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("error: ") and "control character" in err
    assert not (tmp_path / "deep").exists()
    assert _items_in(empty_db_url) == []  # the database was not touched (or is empty)


def test_init_refuses_control_characters_in_image_paths_and_labels(tmp_path, init):
    images = make_images(tmp_path / "imgs", n=4)
    (images / "red" / "000.png").rename(images / "red" / "a\tb.png")
    code, err = init(tmp_path / "p", images)
    assert code == 2 and "control character" in err, err
    assert not (tmp_path / "p").exists()
    from activelab.service.project import ProjectError
    from activelab.service.runtime import init_project

    with pytest.raises(ProjectError, match="control character"):
        init_project(tmp_path / "q", data=_csv(tmp_path / "t.csv", ["a", "b"]), labels="a\x00,b")
    assert not (tmp_path / "q").exists()


def test_a_failure_after_writing_leaves_no_project_folder(tmp_path, init, empty_db_url):
    csv = _csv(tmp_path / "t.csv", ["a", "b", "c"])
    assert init(tmp_path / "other", csv, "--db", empty_db_url)[0] == 0
    # the database belongs to `other`: refused only once the folder is written
    code, err = init(tmp_path / "new" / "p", csv, "--db", empty_db_url)
    assert code == 2 and "belongs to project 'other'" in err, err
    assert err.count("\n") == 1
    assert not (tmp_path / "new").exists()
    # a folder that existed (empty) is left as it was: empty
    (tmp_path / "mine").mkdir()
    code, err = init(tmp_path / "mine", csv, "--db", empty_db_url)
    assert code == 2, err
    assert list((tmp_path / "mine").iterdir()) == []
    # and with the default SQLite database in the folder
    bad = _csv(tmp_path / "bad.csv", ["a", "b\x00"])
    assert init(tmp_path / "p2", bad)[0] == 2
    assert not (tmp_path / "p2").exists()


def test_a_failed_reimport_leaves_the_project_as_it_was(tmp_path, init, empty_db_url):
    proj = tmp_path / "p"
    assert init(proj, _csv(tmp_path / "t.csv", ["a", "b", "c"]), "--db", empty_db_url)[0] == 0
    before = _snapshot(proj)
    # bad data: refused before anything is written
    code, err = init(proj, _csv(tmp_path / "bad.csv", ["a", "b", "c", "d\x00"]), "--db", empty_db_url)
    assert code == 2 and "control character" in err, err
    assert _snapshot(proj) == before
    # good data (one new item), but a database that refuses, after the files were rewritten
    other_db = f"sqlite:///{tmp_path / 'other.db'}"
    assert init(tmp_path / "other", _csv(tmp_path / "o.csv", ["x", "y"]), "--db", other_db)[0] == 0
    more = _csv(tmp_path / "more.csv", ["a", "b", "c", "d"])
    code, err = init(proj, more, "--db", other_db, "--strategy", "entropy")
    assert code == 2 and "belongs to project 'other'" in err, err
    assert _snapshot(proj) == before
    assert _items_in(empty_db_url) == ["a", "b", "c"]
    # the same re-import into its own database works, and appends
    code, err = init(proj, more, "--db", empty_db_url)
    assert code == 0, err
    assert _items_in(empty_db_url) == ["a", "b", "c", "d"]
