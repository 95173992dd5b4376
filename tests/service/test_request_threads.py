"""How many requests do their database work at once: `create_app(request_threads=N)` and
`activelab serve --threads N` size the thread pool the sync routes run in."""

from __future__ import annotations

import threading
import time

import anyio.to_thread
import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from activelab.service import Runtime, create_app
from activelab.service.app import REQUEST_THREADS


def _limit(client: TestClient) -> int:
    return client.portal.call(lambda: anyio.to_thread.current_default_thread_limiter().total_tokens)


@pytest.mark.parametrize("backend", ["sqlite"])  # the pool is the app's, not the database's
def test_the_app_runs_requests_in_its_own_number_of_threads(project_dir, db_url, backend):
    runtime = Runtime.open(project_dir, db_url)
    try:
        with TestClient(create_app(runtime, start_worker=False)) as client:
            assert _limit(client) == REQUEST_THREADS
        app = create_app(runtime, start_worker=False, request_threads=3)
        with TestClient(app) as client:
            assert _limit(client) == 3
    finally:
        runtime.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_no_more_requests_than_threads_run_at_once(project_dir, db_url, backend):
    """Six concurrent requests to a blocking route of an app with two threads: never more than
    two inside the route at the same time, and all six answered."""
    runtime = Runtime.open(project_dir, db_url)
    inside, most, lock = [0], [0], threading.Lock()
    router = APIRouter()

    @router.get("/slow")
    def slow() -> dict:
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.2)
        with lock:
            inside[0] -= 1
        return {"ok": True}

    try:
        app = create_app(runtime, start_worker=False, request_threads=2)
        app.include_router(router)
        with TestClient(app) as client:
            answers = []
            threads = [threading.Thread(target=lambda: answers.append(client.get("/slow")))
                       for _ in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
        assert [r.status_code for r in answers] == [200] * 6
        assert most[0] == 2
    finally:
        runtime.close()


@pytest.mark.parametrize("bad", [0, -1, 1025, 2.5, True, "8"])
def test_a_bad_thread_count_is_refused(bad):
    with pytest.raises(ValueError, match="request_threads must be an integer from 1 to 1024"):
        create_app(None, request_threads=bad)  # checked before the runtime is touched
