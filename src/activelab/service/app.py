"""The FastAPI application: JSON API, browser pages, retrain worker, error mapping."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from .. import __version__
from . import pages
from .contract import install as install_contract
from .deps import Service
from .middleware import LimitsMiddleware
from .routes import api_router
from .runtime import Runtime

log = logging.getLogger("activelab.service")

REQUEST_THREADS = 8
"""How many requests run their (blocking) database work at once; the rest wait their turn on
the event loop. Enough to overlap the database's answers; few enough that the threads do not
fight over this process's GIL and the database's CPU: 200 annotators on 2 cores, before the
other fixes of 2026-12-02, answered with p99 0.3–1.3 s at 8 threads against 1–3 s at anyio's
default of 40 (docs/labeling.md, Load)."""


def create_app(runtime: Runtime, *, worker=None, start_worker: bool = True,
               poll_seconds: float = 1.0, request_threads: int = REQUEST_THREADS) -> FastAPI:
    """The app for an opened project. `worker` retrains and re-ranks: `activelab serve` passes a
    `supervisor.WorkerProcess` (a process of its own); by default a `worker.RetrainWorker` runs
    in a thread of this process. It starts and stops with the app (lifespan) unless
    `start_worker` is False (tests drive it by hand through `app.state.service.worker`).
    `request_threads`: how many requests do their database work at once (`REQUEST_THREADS`)."""
    if isinstance(request_threads, bool) or not isinstance(request_threads, int) \
            or not 1 <= request_threads <= 1024:
        raise ValueError(f"request_threads must be an integer from 1 to 1024; got "
                         f"{request_threads!r}.")
    stream = runtime.task == "stream"
    if stream:  # the learner lives in this process (stream_service); no retrain worker
        from .stream_service import NoWorker

        worker = NoWorker()
    if worker is None:
        from .worker import RetrainWorker  # imports the modeling stack (scikit-learn)

        worker = RetrainWorker(runtime.store, runtime.X, runtime.labels, poll_seconds=poll_seconds,
                               terms=runtime.project.load_terms(), task=runtime.task)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # The sync routes and dependencies run in anyio's default thread pool of this loop.
        anyio.to_thread.current_default_thread_limiter().total_tokens = request_threads
        if start_worker:
            worker.start()
            worker.trigger()
        try:
            yield
        finally:
            worker.stop()

    app = FastAPI(
        title=f"activelab labeling service — {runtime.project.config.name}",
        version=__version__,
        description="Label the items an active-learning strategy selects. Authenticate with "
                    "`Authorization: Bearer TOKEN` (tokens come from `activelab token add`).",
        docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan,
    )
    app.state.service = Service(runtime, worker)
    if stream:
        from .stream_service import StreamBook

        app.state.service.stream = StreamBook(runtime)
    app.include_router(api_router(runtime.task, runtime.project.config.dim))
    app.include_router(pages.router)
    app.add_middleware(LimitsMiddleware)

    install_contract(app, lambda: runtime.labels,  # the label set may grow (labelset.py)
                     task=runtime.task, value_range=runtime.value_range)
    return app
