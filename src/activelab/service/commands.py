"""The service's commands, registered on the `activelab` Typer app by `add_commands`:

    activelab init PROJECT --data PATH --labels "a,b" [--task classification|multilabel] [--strategy margin]
                   [--model logreg] [--features auto] [--db URL]
    activelab init PROJECT --data PATH --task regression [--range MIN,MAX] [--unit kg] [...]
    activelab init PROJECT --task stream --labels "a,b" --dim N [--budget 0.1]
                   [--selector variable_uncertainty] [--model sgd] [--db URL]
    activelab serve PROJECT [--host 127.0.0.1] [--port 8000] [--db URL]
    activelab export PROJECT [--format csv|jsonl|parquet|labelstudio] [--out FILE] [--history]
                     [--image-root URL] [--db URL]
    activelab token add PROJECT NAME [--admin] [--expires 30d] [--db URL]
                                                  (prints the token as its last line)
    activelab token list PROJECT / activelab token revoke PROJECT NAME
    activelab invite add PROJECT NAME [--admin] [--expires 7d]   (a one-time sign-in code)
    activelab invite list PROJECT

`--expires` takes Nd, Nh, Nm (days, hours, minutes from now) or an ISO date (00:00 UTC) or
date-time (UTC unless it has an offset).

`--db` defaults to $ACTIVELAB_DB, then to SQLite in the project folder. Commands raise
`ActiveLabError`s; the `activelab` entry point (and `main` here) prints them as one line
(`error: …`) and exits with status 2.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import sys
from pathlib import Path
from typing import Optional

import typer

from .._errors import ActiveLabError

DB_HELP = "Database URL (postgresql://USER:PASS@HOST/DB); default: SQLite in the project folder."
DB_ENV = "ACTIVELAB_DB"


def _needs_extra(fn):
    """Turn a missing dependency of the serve extra into one of our errors (one line)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ImportError as exc:
            from .._errors import InvalidInputError

            raise InvalidInputError(
                f"the labeling service needs its extra ({exc}); install it with: "
                "pip install 'activelab[serve]'"
            ) from None

    return wrapper


def _db_option():
    return typer.Option(None, "--db", envvar=DB_ENV, help=DB_HELP, show_envvar=True)


def init(
    project: Path = typer.Argument(..., help="Project folder to create (or re-import into)."),
    data: Optional[Path] = typer.Option(None, "--data", help="A folder of PNG/JPEG images, a CSV/Parquet table, or JSONL text (not for --task stream)."),
    labels: Optional[str] = typer.Option(None, "--labels", help='Comma-separated label set, e.g. "benign,malignant" (not for --task regression).'),
    task: str = typer.Option("classification", "--task", help="classification (one label per item), multilabel (a set of labels per item, possibly none), regression (a number per item) or stream (items arrive through the API; the label of each is asked for, or not, at once)."),
    strategy: Optional[str] = typer.Option(None, "--strategy", help="Query strategy (default auto: TypiClust while labels are few, BADGE after; see `activelab strategies`)."),
    model: Optional[str] = typer.Option(None, "--model", help="Model (default logreg; see `activelab models`)."),
    features: Optional[str] = typer.Option(None, "--features", help="auto, pixels[:N], ssl[:N], tfidf[:COLUMN], sentence[:COLUMN], columns:A,B or a .npy embedding file."),
    value_range: Optional[str] = typer.Option(None, "--range", help='Regression: MIN,MAX every answer must fall in, e.g. "0,100".'),
    unit: Optional[str] = typer.Option(None, "--unit", help='Regression: the unit shown beside the number, e.g. "kg".'),
    budget: Optional[str] = typer.Option(None, "--budget", help="Stream: the labeling rate in (0, 1], the share of arriving items whose label may be bought (default 0.1)."),
    dim: Optional[str] = typer.Option(None, "--dim", help="Stream: how many features each arriving item has."),
    selector: Optional[str] = typer.Option(None, "--selector", help="Stream: the stream selector (default variable_uncertainty; see docs/stream.md)."),
    db: Optional[str] = _db_option(),
) -> None:
    """Create a labeling project from a data folder or file (re-running it re-imports, idempotently)."""
    from .runtime import init_project

    report = init_project(project, data=data, labels=labels, task=task, strategy=strategy,
                          model=model, features=features, db_url=db, value_range=value_range,
                          unit=unit, budget=budget, dim=dim, selector=selector)
    cfg = report.project.config
    verb = "created" if report.created else "updated"
    if cfg.task == "stream":
        typer.echo(f"{verb} stream project {cfg.name!r} at {report.project.root}: labels "
                   f"{', '.join(cfg.labels)}, {cfg.dim} features per item, budget {cfg.budget:g}, "
                   f"selector {cfg.strategy}, model {cfg.model}; items arrive through POST "
                   "/api/stream/items (admin token).")
        typer.echo(f"next: activelab token add {report.project.root} YOUR_NAME --admin, then "
                   f"activelab serve {report.project.root}")
        return
    if cfg.task == "regression":
        bounds = "any number" if cfg.value_range is None else (
            f"numbers from {cfg.value_range[0]:g} to {cfg.value_range[1]:g}")
        answers = f"regression ({bounds}{f' {cfg.unit}' if cfg.unit else ''})"
    else:
        answers = f"labels {', '.join(cfg.labels)}"
    typer.echo(f"{verb} project {cfg.name!r} at {report.project.root}: {report.n_items} items "
               f"({report.n_new} new), {cfg.data_kind}, {answers}, "
               f"strategy {cfg.strategy}, model {cfg.model}.")
    typer.echo(f"next: activelab token add {report.project.root} YOUR_NAME --admin, then "
               f"activelab serve {report.project.root}")


def serve(
    project: Path = typer.Argument(..., help="Project folder."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback unless you mean otherwise)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    db: Optional[str] = _db_option(),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
    backend: str = typer.Option("memory", "--backend", help="Where the retrain worker ranks the pool: memory, local (streamed in pieces) or ray (see `activelab strategies`)."),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Ray cluster (host:port or auto) for --backend ray; default: a local Ray in the worker."),
    threads: Optional[int] = typer.Option(None, "--threads", min=1, max=1024, help="Requests doing database work at once, the others waiting their turn (default 8: more only helps a database with cores to spare)."),
) -> None:
    """Serve the labeling pages and JSON API, with the retrain worker in a process of its own
    (restarted if it dies, stopped with the server). Ctrl-C stops both."""
    import logging

    import uvicorn

    from .app import REQUEST_THREADS, create_app
    from .auth import list_annotators
    from .heap import freeze_startup_heap
    from .runtime import Runtime
    from .supervisor import WorkerProcess

    from .._errors import InvalidInputError

    if backend not in ("memory", "local", "ray"):
        raise InvalidInputError(f"--backend must be memory, local or ray; got {backend!r}.")
    if ray_address is not None and backend != "ray":
        raise InvalidInputError("--ray-address needs --backend ray.")
    if ray_address is not None:
        from ..backends.ray import check_reachable

        check_reachable(ray_address)  # fail at start, not in the worker's log
    runtime = Runtime.open(project, db)
    if not _is_loopback(host):
        typer.echo(f"warning: binding {host}: other machines can reach this server; put it "
                   "behind a TLS reverse proxy, tokens travel in clear over plain HTTP.", err=True)
    if not list_annotators(runtime.store):
        typer.echo(f"no tokens yet: create one with `activelab token add {runtime.project.root} "
                   "NAME --admin`.", err=True)
    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"labeling {runtime.project.config.name!r} ({len(runtime.items)} items) at "
               f"http://{shown}:{port}/ — sign in at http://{shown}:{port}/login with a token or "
               "an invitation code.")
    if runtime.task == "stream":  # the learner lives in the API process (stream_service)
        from .stream_service import NoWorker

        worker = NoWorker()
    else:
        worker = WorkerProcess(runtime.store, runtime.project.root, db_url=db,
                               log_level="warning" if log_level in ("warning", "error",
                                                                    "critical") else "info",
                               backend=None if backend == "memory" else backend,
                               ray_address=ray_address)
    app = create_app(runtime, worker=worker,
                     request_threads=REQUEST_THREADS if threads is None else threads)
    freeze_startup_heap()  # full GC passes skip the startup heap: no 150 ms stalls (heap.py)
    try:
        uvicorn.run(app, host=host, port=port, log_level=log_level, workers=1,
                    timeout_graceful_shutdown=5)
    finally:
        runtime.close()


def export(
    project: Path = typer.Argument(..., help="Project folder."),
    format: str = typer.Option("csv", "--format", help="csv, jsonl, parquet, or labelstudio (Label Studio's JSON tasks)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write here instead of standard output."),
    history: bool = typer.Option(False, "--history", help="Every event of the log, not just current labels."),
    image_root: Optional[str] = typer.Option(None, "--image-root", help="labelstudio: put before each image's path (e.g. a URL); default: the image's absolute path."),
    db: Optional[str] = _db_option(),
) -> None:
    """Export the labels (current labels, or the whole history) as CSV, JSONL, Parquet or Label
    Studio tasks."""
    from . import export as exporting
    from .errors import LabelError
    from .project import Project

    if format not in exporting.FORMATS:
        raise LabelError(f"--format must be one of {', '.join(exporting.FORMATS)}; got {format!r}.")
    if format == "parquet" and out is None and sys.stdout.isatty():
        raise LabelError("Parquet is binary; write it to a file with --out FILE.parquet.")
    opened = Project.open(project)
    items = {it["item_id"]: it for it in opened.read_items()} if format == "labelstudio" else {}
    with _store(project, db) as store:
        fields, rows = exporting.export_rows(store, history=history, task=opened.config.task)
    body = exporting.encode(fields, rows, format, items=items, data_root=opened.data_root,
                            image_root=image_root)
    if out is None and format != "parquet":
        sys.stdout.write(body.decode("utf-8"))
    elif out is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
    else:
        out.write_bytes(body)
        typer.echo(f"wrote {len(rows)} {'tasks' if format == 'labelstudio' else 'rows'} to {out}",
                   err=True)


EXPIRES_HELP = "Nd, Nh or Nm (days, hours, minutes from now), or an ISO date or date-time (UTC)."


def _when(moment) -> str:
    return "never" if moment is None else moment.isoformat(timespec="seconds") + "Z"


def token_add(
    project: Path = typer.Argument(..., help="Project folder."),
    name: str = typer.Argument(..., help="Annotator name (unique)."),
    admin: bool = typer.Option(False, "--admin", help="May export and change settings."),
    expires: Optional[str] = typer.Option(None, "--expires", help="The token stops working then: " + EXPIRES_HELP),
    db: Optional[str] = _db_option(),
) -> None:
    """Create an annotator token. It is shown once (the last line); only its hash is stored."""
    from .auth import add_annotator, parse_expiry

    expires_at = None if expires is None else parse_expiry(expires)
    with _store(project, db) as store:
        token = add_annotator(store, name, admin=admin, expires_at=expires_at)
    role = "admin" if admin else "annotator"
    until = "" if expires_at is None else f" until {_when(expires_at)}"
    typer.echo(f"created {role} {name!r}{until}; keep this token secret, it is not stored and "
               "cannot be shown again:")
    typer.echo(token)


def token_list(project: Path = typer.Argument(..., help="Project folder."),
               db: Optional[str] = _db_option()) -> None:
    """List annotators: name, role (or revoked, expired), created, expires — never tokens."""
    from .auth import access_state, list_annotators
    from .db import utcnow

    with _store(project, db) as store:
        rows = list_annotators(store)
    now = utcnow()
    for row in rows:
        state = access_state(row, now)
        if state == "active":
            state = "admin" if row.is_admin else "annotator"
        typer.echo(f"{row.name}\t{state}\t{_when(row.created_at)}\texpires {_when(row.expires_at)}")


def token_revoke(project: Path = typer.Argument(..., help="Project folder."),
                 name: str = typer.Argument(..., help="Annotator name."),
                 db: Optional[str] = _db_option()) -> None:
    """Revoke an annotator's token and end their browser sessions (their labels stay)."""
    from .auth import revoke_annotator

    with _store(project, db) as store:
        revoke_annotator(store, name)
    typer.echo(f"revoked {name!r}")


def invite_add(
    project: Path = typer.Argument(..., help="Project folder."),
    name: str = typer.Argument(..., help="Annotator name: a new one is created; an existing one keeps their role."),
    admin: bool = typer.Option(False, "--admin", help="A new annotator is an admin (may export and change settings)."),
    expires: str = typer.Option("7d", "--expires", help="The code is refused after: " + EXPIRES_HELP),
    db: Optional[str] = _db_option(),
) -> None:
    """A one-time sign-in code for NAME (the last line): pasted at /login, it opens one browser
    session. Only its hash is stored."""
    from .auth import parse_expiry
    from .invitations import invite

    expires_at = parse_expiry(expires)
    with _store(project, db) as store:
        inv = invite(store, name, admin=admin, expires_at=expires_at)
    role = "admin" if inv.is_admin else "annotator"
    who = f"new {role}" if inv.new_annotator else f"existing {role}"
    typer.echo(f"invited {who} {inv.name!r}: the code below signs in once, until "
               f"{_when(inv.expires_at)}. They open /login on the server (e.g. "
               "http://127.0.0.1:8000/login) and paste it; it is not stored and cannot be shown "
               "again:")
    typer.echo(inv.code)


def invite_list(project: Path = typer.Argument(..., help="Project folder."),
                db: Optional[str] = _db_option()) -> None:
    """List invitations: name, role, pending/used/expired, created, expires — never codes."""
    from .db import utcnow
    from .invitations import list_invitations

    with _store(project, db) as store:
        rows = list_invitations(store)
    now = utcnow()
    for row in rows:
        role = "admin" if row.is_admin else "annotator"
        if row.used_at is not None:
            state = f"used {_when(row.used_at)}"
        else:
            state = "expired" if row.expires_at <= now else "pending"
        typer.echo(f"{row.name}\t{role}\t{state}\t{_when(row.created_at)}\t"
                   f"expires {_when(row.expires_at)}")


@contextlib.contextmanager
def _store(project: Path, db: str | None):
    """The project's database for one command, disposed of at the end."""
    from .project import Project
    from .runtime import open_store

    store = open_store(Project.open(project), db)
    try:
        yield store
    finally:
        store.dispose()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def add_commands(app: typer.Typer) -> None:
    """Register init, serve, export and the token and invite sub-apps on `app`."""
    app.command("init")(_needs_extra(init))
    app.command("serve")(_needs_extra(serve))
    app.command("export")(_needs_extra(export))
    token_app = typer.Typer(help="Annotator tokens: add, list, revoke.", no_args_is_help=True)
    token_app.command("add")(_needs_extra(token_add))
    token_app.command("list")(_needs_extra(token_list))
    token_app.command("revoke")(_needs_extra(token_revoke))
    app.add_typer(token_app, name="token")
    invite_app = typer.Typer(help="One-time sign-in codes: add, list.", no_args_is_help=True)
    invite_app.command("add")(_needs_extra(invite_add))
    invite_app.command("list")(_needs_extra(invite_list))
    app.add_typer(invite_app, name="invite")


def make_app() -> typer.Typer:
    """A stand-alone app with just these commands (`python -m activelab.service`)."""
    app = typer.Typer(add_completion=False, no_args_is_help=True,
                      help="activelab labeling service.")
    add_commands(app)
    return app


def main(argv: list[str] | None = None) -> int:
    """Run the stand-alone app: our errors print one line (`error: …`) and return 2; usage
    errors print the usage line and one message (status 2)."""
    from ..cli import show_usage_error

    try:
        rv = make_app()(args=argv, prog_name="activelab", standalone_mode=False)
    except ActiveLabError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        return 130
    except typer.exceptions.TyperException as exc:
        return show_usage_error(exc)
    return rv if isinstance(rv, int) else 0
