"""Fixtures of the labeling-service tests: data, projects, databases (SQLite always,
PostgreSQL when a server is available — required in CI), tokens and clients.

PostgreSQL comes from $ACTIVELAB_TEST_PG_URL, or from the file `.ci/services.sh` writes
($ACTIVELAB_SERVICES_DIR or $TMPDIR/activelab-services, file `pg_url`). Each test gets a
database of its own, dropped afterwards.
"""

from __future__ import annotations

import os
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


def new_pg_database(admin_url: str) -> tuple[str, str]:
    """Create an empty database; returns (its URL, its name)."""
    from sqlalchemy.engine import make_url

    name = "al_test_" + uuid.uuid4().hex[:12]
    with _pg_connect(admin_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return url, name


def drop_pg_database(admin_url: str, name: str) -> None:
    with _pg_connect(admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def db_url(backend, tmp_path, request):
    """A fresh, empty database of the test's backend."""
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
    import shutil

    dest = tmp_path / "proj"
    shutil.copytree(image_project_template, dest)
    return dest


class Api:
    """A TestClient with tokens: `api.get(path, as_="alice")`."""

    def __init__(self, client, tokens: dict[str, str], app) -> None:
        self.client = client
        self.tokens = tokens
        self.app = app

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


@pytest.fixture
def api(project_dir, db_url):
    """The app on a fresh database, worker not started (tests drive it), three tokens."""
    from fastapi.testclient import TestClient

    from activelab.service import Runtime, create_app
    from activelab.service.auth import add_annotator

    runtime = Runtime.open(project_dir, db_url)
    tokens = {
        "admin": add_annotator(runtime.store, "admin", admin=True),
        "alice": add_annotator(runtime.store, "alice"),
        "bob": add_annotator(runtime.store, "bob"),
    }
    app = create_app(runtime, start_worker=False)
    with TestClient(app) as client:
        yield Api(client, tokens, app)
    runtime.close()


@pytest.fixture
def init(capsys):
    """`activelab init DIR --data DATA --labels a,b [--db URL]`: (exit code, stderr)."""
    from activelab.service.commands import main

    def invoke(proj, data, *extra):
        capsys.readouterr()
        code = main(["init", str(proj), "--data", str(data), "--labels", "a,b", *extra])
        return code, capsys.readouterr().err

    return invoke
