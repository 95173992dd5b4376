"""Database connections: SQLite in the project folder by default, PostgreSQL (psycopg 3) when
given a ``postgresql://`` URL. Same schema and migrations on both.

SQLite runs in WAL mode with foreign keys on. Writes to the label log are ``synchronous=FULL``
(`Store.write(durable=True)`: an acknowledged label survives a crash of the process or of the
machine); other writes (leases, the queue) are ``synchronous=NORMAL``, which survives a crash of
the process. Write transactions start with ``BEGIN IMMEDIATE`` so concurrent writers queue on the
database lock instead of failing halfway; reads use their own connections and never wait for
writers. On PostgreSQL every commit is durable (the server's default); reads run in autocommit
(no BEGIN/ROLLBACK round trips; under READ COMMITTED every statement takes its own snapshot either
way) and a pooled connection is pinged only when it sat idle for `IDLE_PING_SECONDS`, so a busy
server spends its round trips on queries.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .project import ProjectError
from .tables import Setting

MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK_KEY = 0x61637476  # advisory lock taken while migrating ("actv")
IDLE_PING_SECONDS = 1.0  # a PostgreSQL connection idle this long is pinged before it is used
POOL_SIZE = 40  # PostgreSQL connections kept open per store (made on demand; 10 more at a peak)


def utcnow() -> datetime:
    """Now, as a naive UTC datetime (what every timestamp column stores)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def normalize_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` → the psycopg 3 driver; SQLite passes through."""
    url = str(url).strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def redact(url: str) -> str:
    """The URL with its password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable URL>"


class Store:
    """Engines and sessions for one project database."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        try:
            parsed = make_url(self.url)
        except ArgumentError:
            raise ProjectError(
                f"--db {url!r} is not a database URL; use postgresql://USER:PASS@HOST/DB or "
                "sqlite:///PATH."
            ) from None
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            db_path = parsed.database
            if not db_path or db_path == ":memory:":
                raise ProjectError("the SQLite database must be a file (sqlite:///PATH).")
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
            self.engine = _sqlite_engine(self.url, immediate=False, sync="NORMAL")
            self.write_engine = _sqlite_engine(self.url, immediate=True, sync="NORMAL")
            self.durable_engine = _sqlite_engine(self.url, immediate=True, sync="FULL")
        elif self.dialect == "postgresql":
            # Up to POOL_SIZE connections stay open once made: the request threads
            # (`app.REQUEST_THREADS`), the auth lookups and the worker each keep one instead of
            # opening and closing overflow connections.
            self.engine = create_engine(self.url, pool_size=POOL_SIZE, max_overflow=10,
                                        pool_timeout=30)
            _ping_when_idle(self.engine, IDLE_PING_SECONDS)
            self.write_engine = self.durable_engine = self.engine
        else:
            raise ProjectError(
                f"unsupported database {self.dialect!r}; use SQLite (default) or postgresql://…"
            )
        # SQLite has one writer at a time. Queue this process's writers on a lock rather than on
        # SQLite's busy handler, whose sleep-and-retry adds seconds of latency under load.
        self._write_lock = threading.Lock() if self.dialect == "sqlite" else contextlib.nullcontext()
        self._reads = (self.engine.execution_options(isolation_level="AUTOCOMMIT")
                       if self.dialect == "postgresql" else self.engine)
        self._read = sessionmaker(self._reads, expire_on_commit=False)
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)
        self._durable = sessionmaker(self.durable_engine, expire_on_commit=False)

    @contextmanager
    def read(self):
        """A session for reading (never for writing: on PostgreSQL it runs in autocommit, each
        statement on its own); rolled back at the end."""
        with self._read() as session:
            yield session

    @contextmanager
    def connect(self):
        """A Core connection for reading, like `read` without the ORM session (cheaper, for the
        request hot path: prebuilt statements, rows back)."""
        with self._reads.connect() as conn:
            yield conn

    @contextmanager
    def write(self, durable: bool = False):
        """A session in one write transaction: committed on success, rolled back on error.
        `durable`: the commit reaches the disk before returning (use for the label log)."""
        factory = self._durable if durable else self._write
        with self._write_lock, factory() as session, session.begin():
            yield session

    def upgrade(self) -> None:
        """Apply the packaged migrations up to the newest (no-op when up to date)."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.durable_engine.begin() as conn:
                if self.dialect == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except OperationalError as exc:
            raise ProjectError(
                f"cannot open the database {redact(self.url)}: {_first_line(exc)}"
            ) from None

    def get_settings(self, session: Session) -> dict:
        return {s.key: json.loads(s.value) for s in session.scalars(select(Setting))}

    def put_settings(self, session: Session, values: dict) -> None:
        for key, value in values.items():
            row = session.get(Setting, key)
            if row is None:
                session.add(Setting(key=key, value=json.dumps(value)))
            else:
                row.value = json.dumps(value)

    def dispose(self) -> None:
        for engine in {self.engine, self.write_engine, self.durable_engine}:
            engine.dispose()


def _sqlite_engine(url: str, immediate: bool, sync: str):
    engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA synchronous={sync}")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _ping_when_idle(engine, idle_seconds: float) -> None:
    """Pessimistic disconnect handling, paid only by idle connections: a pooled connection
    unused for `idle_seconds` is pinged at checkout (one round trip), and a dead one is replaced
    (the pool retries the checkout). `pool_pre_ping` would ping on every checkout, several times
    a request under load, where a connection used a moment ago is as good as a pinged one."""

    @event.listens_for(engine.pool, "checkout")
    def _on_checkout(dbapi_conn, record, _proxy):
        last = record.info.get("last_used")
        if last is not None and time.monotonic() - last < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # any failure: drop it and connect afresh
            raise DisconnectionError(f"stale connection: {exc}") from exc

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_conn, record):
        if record is not None:
            record.info["last_used"] = time.monotonic()


def _first_line(exc: Exception) -> str:
    msg = str(getattr(exc, "orig", exc)) or type(exc).__name__
    return msg.strip().splitlines()[0]
