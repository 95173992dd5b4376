"""Fixtures of the labeling-service tests: data, projects, databases (SQLite always,
PostgreSQL when a server is available — required in CI), tokens and clients.

PostgreSQL comes from $ACTIVELAB_TEST_PG_URL, or from the file `.ci/services.sh` writes
($ACTIVELAB_SERVICES_DIR or $TMPDIR/activelab-services, file `pg_url`). Each test gets a
database of its own, dropped afterwards: `db_url` a copy of one migrated once per session (the
migrations cost more than the rest of most tests), `empty_db_url` one without tables, for the
tests of the migrations and of `activelab init` on a new database.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from ._data import make_images  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
LABELS = "red,blue"


def services_dir() -> Path:
    return Path(os.environ.get("ACTIVELAB_SERVICES_DIR")
                or Path(tempfile.gettempdir()) / "activelab-services")


def pg_admin_url() -> str | None:
    url = os.environ.get("ACTIVELAB_TEST_PG_URL")
    if not url:
        f = services_dir() / "pg_url"
        url = f.read_text().strip() if f.is_file() else None
    return url or None


def require(what: str, why_missing: str):
    """Skip locally, fail in CI: the service's tests must run against the real thing there."""
    msg = f"{what} is not available ({why_missing}); run `. .ci/services.sh` to install and start it."
    if IN_CI:
        pytest.fail(msg)
    pytest.skip(msg)


def _pg_connect(url: str):
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                           autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def pg_server() -> str:
    url = pg_admin_url()
    if not url:
        require("PostgreSQL", "no ACTIVELAB_TEST_PG_URL")
    try:
        with _pg_connect(url) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # psycopg.OperationalError and friends
        require("PostgreSQL", f"cannot connect to {url}: {str(exc).splitlines()[0]}")
    return url


def new_pg_database(admin_url: str, template: str | None = None) -> tuple[str, str]:
    """Create an empty database, or a copy of the database `template`; returns (its URL, its
    name)."""
    from sqlalchemy.engine import make_url

    name = "al_test_" + uuid.uuid4().hex[:12]
    with _pg_connect(admin_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return url, name


def drop_pg_database(admin_url: str, name: str) -> None:
    with _pg_connect(admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


def _migrate(url: str) -> None:
    from activelab.service.db import Store

    store = Store(url)
    try:
        store.upgrade()
    finally:
        store.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite database file migrated to the newest schema, nothing else in it."""
    path = tmp_path_factory.mktemp("sqlite-template") / "labels.db"
    _migrate(f"sqlite:///{path}")
    assert not path.with_name(path.name + "-wal").exists()  # all in the one file we copy
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server):
    """The name of a PostgreSQL database migrated to the newest schema, nothing else in it."""
    url, name = new_pg_database(pg_server)
    try:
        _migrate(url)
        yield name
    finally:
        drop_pg_database(pg_server, name)


class PgCopies:
    """Copies of template databases, each made one ahead on a thread, and dropped on another:
    CREATE and DROP DATABASE mostly wait on the disk (fsync), which the tests' work overlaps
    (and a copy is never made behind a queue of drops). `take` hands out a copy no test has
    seen; a test's copy is dropped after it (`drop`)."""

    def __init__(self, admin_url: str) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.admin_url = admin_url
        self._creates = ThreadPoolExecutor(1, thread_name_prefix="pg-copies")
        self._drops_thread = ThreadPoolExecutor(1, thread_name_prefix="pg-drops")
        self._ahead: dict[str, object] = {}  # template -> Future of (url, name)
        self._drops: list = []

    def take(self, template: str) -> tuple[str, str]:
        ahead = self._ahead.pop(template, None)
        url_name = ahead.result() if ahead else new_pg_database(self.admin_url, template)
        self._ahead[template] = self._creates.submit(new_pg_database, self.admin_url, template)
        return url_name

    def drop(self, name: str) -> None:
        self._drops.append(self._drops_thread.submit(drop_pg_database, self.admin_url, name))

    def close(self) -> None:
        for ahead in self._ahead.values():
            self.drop(ahead.result()[1])
        self._creates.shutdown(wait=True)
        self._drops_thread.shutdown(wait=True)
        for done in self._drops:
            done.result()  # a failed DROP shows here


@pytest.fixture(scope="session")
def pg_copies(pg_server):
    copies = PgCopies(pg_server)
    yield copies
    copies.close()


def _copy_database(backend: str, tmp_path: Path, request, template) -> tuple[str, str | None]:
    """A new database of `backend`, a copy of `template` (a SQLite file, a PostgreSQL database's
    name): (its URL, the PostgreSQL database's name to drop — `_drop_copy` — or None)."""
    if backend == "sqlite":
        path = tmp_path / "labels.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}", None
    return request.getfixturevalue("pg_copies").take(template)


def _drop_copy(request, pg_name: str | None) -> None:
    if pg_name is not None:
        request.getfixturevalue("pg_copies").drop(pg_name)


def _template_of(backend: str, request):
    return request.getfixturevalue("sqlite_template" if backend == "sqlite" else "pg_template")


@pytest.fixture
def db_url(backend, tmp_path, request):
    """A fresh database of the test's backend, migrated to the newest schema and otherwise
    empty: a copy of the session's template (`Store.upgrade` on it is a no-op)."""
    url, pg_name = _copy_database(backend, tmp_path, request, _template_of(backend, request))
    yield url
    _drop_copy(request, pg_name)


@pytest.fixture
def empty_db_url(backend, tmp_path, request):
    """A fresh database of the test's backend without any table (what the migrations and
    `activelab init` meet on a new database)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'labels.db'}"
        return
    admin = request.getfixturevalue("pg_server")
    url, name = new_pg_database(admin)
    yield url
    drop_pg_database(admin, name)


@pytest.fixture(scope="session")
def image_dir(tmp_path_factory) -> Path:
    return make_images(tmp_path_factory.mktemp("images") / "data")


@pytest.fixture(scope="session")
def image_project_template(tmp_path_factory, image_dir) -> Path:
    """An image project folder (features computed once); tests copy it."""
    from activelab.service import init_project

    root = tmp_path_factory.mktemp("template") / "proj"
    init_project(root, data=image_dir, labels=LABELS, strategy="margin", model="logreg")
    (root / "activelab.db").unlink()
    for extra in root.glob("activelab.db-*"):
        extra.unlink()
    return root


@pytest.fixture
def project_dir(image_project_template, tmp_path) -> Path:
    dest = tmp_path / "proj"
    shutil.copytree(image_project_template, dest)
    return dest


@pytest.fixture
def store(project_dir, db_url):
    """The image project's store on a fresh database of the test's backend."""
    from activelab.service.project import Project
    from activelab.service.runtime import open_store

    s = open_store(Project.open(project_dir), db_url)
    yield s
    s.dispose()


class Api:
    """A TestClient with tokens: `api.get(path, as_="alice")`."""

    def __init__(self, client, tokens: dict[str, str], app, db_url: str | None = None) -> None:
        self.client = client
        self.tokens = tokens
        self.app = app
        self.db_url = db_url

    @property
    def service(self):
        return self.app.state.service

    def headers(self, who):
        return {} if who is None else {"Authorization": f"Bearer {self.tokens.get(who, who)}"}

    def get(self, path, as_="alice", **kw):
        return self.client.get(path, headers=self.headers(as_), **kw)

    def post(self, path, json=None, as_="alice", **kw):
        return self.client.post(path, json=json, headers=self.headers(as_), **kw)

    def put(self, path, json=None, as_="alice", **kw):
        return self.client.put(path, json=json, headers=self.headers(as_), **kw)

    def label(self, item_id, label, as_="alice", request_id=None):
        return self.post("/api/labels", {"item_id": item_id, "label": label,
                                         "request_id": request_id or uuid.uuid4().hex}, as_=as_)

    def next(self, as_="alice"):
        r = self.get("/api/next", as_=as_)
        assert r.status_code == 200, r.text
        return r.json()


API_ANNOTATORS = {"admin": True, "alice": False, "bob": False}  # name: is an admin


@pytest.fixture(scope="session")
def api_templates(image_project_template, tmp_path_factory):
    """Per backend, made on first use: (a database holding what `api` starts from — the image
    project's items and settings, the annotators of `API_ANNOTATORS` — their tokens). `api`
    copies it instead of syncing the items and adding the annotators for every test."""
    from activelab.service import Runtime
    from activelab.service.auth import add_annotator

    made: dict[str, tuple] = {}
    pg_names: list[tuple[str, str]] = []

    def get(backend: str, request) -> tuple:
        if backend not in made:
            root = tmp_path_factory.mktemp(f"api-{backend}")
            url, pg_name = _copy_database(backend, root, request, _template_of(backend, request))
            if pg_name is not None:
                pg_names.append((request.getfixturevalue("pg_server"), pg_name))
            shutil.copytree(image_project_template, root / "proj")
            runtime = Runtime.open(root / "proj", url)
            try:
                tokens = {name: add_annotator(runtime.store, name, admin=is_admin)
                          for name, is_admin in API_ANNOTATORS.items()}
            finally:
                runtime.close()
            made[backend] = (root / "labels.db" if pg_name is None else pg_name, tokens)
        return made[backend]

    yield get
    for admin, name in pg_names:
        drop_pg_database(admin, name)


@pytest.fixture
def api(project_dir, backend, tmp_path, request, api_templates):
    """The app on a fresh database (a copy of `api_templates`' for the backend), worker not
    started (tests drive it), three tokens; `api.db_url` is the database."""
    from fastapi.testclient import TestClient

    from activelab.service import Runtime, create_app

    template, tokens = api_templates(backend, request)
    db_url, pg_name = _copy_database(backend, tmp_path, request, template)
    runtime = Runtime.open(project_dir, db_url)
    app = create_app(runtime, start_worker=False)
    try:
        with TestClient(app) as client:
            yield Api(client, dict(tokens), app, db_url)
    finally:
        runtime.close()
        _drop_copy(request, pg_name)


@pytest.fixture
def init(capsys):
    """`activelab init DIR --data DATA --labels a,b [--db URL]`: (exit code, stderr)."""
    from activelab.service.commands import main

    def invoke(proj, data, *extra):
        capsys.readouterr()
        code = main(["init", str(proj), "--data", str(data), "--labels", "a,b", *extra])
        return code, capsys.readouterr().err

    return invoke
