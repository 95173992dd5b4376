"""`serve --backend`: the retrain worker ranks the pool through activelab.distributed — the same
queue as in memory for an exact strategy — and falls back to memory (with a warning) where the
strategy or the features cannot run there."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import scipy.sparse as sp

pytest.importorskip("pyarrow")

from activelab import UNLABELED  # noqa: E402
from activelab.service.modeling import ServiceLoop, rank_pool  # noqa: E402
from activelab.service.supervisor import WorkerProcess  # noqa: E402


def _pool(n=600, d=6, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    truth = (X @ rng.standard_normal((d, k))).argmax(axis=1)
    y = np.full(n, UNLABELED)
    lab = rng.choice(n, 30, replace=False)
    y[lab] = truth[lab]
    return X, y, k


@pytest.mark.parametrize("strategy", ["margin", "coreset", "badge"])
def test_local_backend_ranks_the_same_queue_as_memory(strategy):
    X, y, k = _pool()
    mem = rank_pool(ServiceLoop(X, k), y, strategy, "logreg", 25, seed=1)
    dist = rank_pool(ServiceLoop(X, k, backend="local"), y, strategy, "logreg", 25, seed=1)
    assert dist.strategy == mem.strategy == strategy
    np.testing.assert_array_equal(dist.idx, mem.idx)
    assert dist.proba is not None and dist.proba.shape == (25, k)


def test_a_strategy_that_is_not_distributed_ranks_in_memory_with_a_warning(caplog):
    X, y, k = _pool()
    loop = ServiceLoop(X, k, backend="local")
    with caplog.at_level(logging.WARNING, logger="activelab.service.modeling"):
        r = rank_pool(loop, y, "probcover", "logreg", 10, seed=1)
    assert r.idx.shape == (10,) and loop.loop.backend is None
    assert "ranking in memory" in caplog.text and "probcover" in caplog.text


def test_sparse_features_rank_in_memory_with_a_warning(caplog):
    X, y, k = _pool()
    loop = ServiceLoop(sp.csr_matrix(np.abs(X)), k, backend="local")
    with caplog.at_level(logging.WARNING, logger="activelab.service.modeling"):
        r = rank_pool(loop, y, "margin", "logreg", 10, seed=1)
    assert r.idx.shape == (10,) and "sparse" in caplog.text


def test_the_worker_process_is_started_with_the_backend(tmp_path):
    wp = WorkerProcess(store=None, project_root=tmp_path, backend="ray", ray_address="127.0.0.1:6379")
    cmd = wp._command()
    assert cmd[cmd.index("--backend") + 1] == "ray"
    assert cmd[cmd.index("--ray-address") + 1] == "127.0.0.1:6379"
    assert "--backend" not in WorkerProcess(store=None, project_root=tmp_path)._command()


def test_serve_refuses_a_bad_backend_before_opening_anything(tmp_path):
    from typer.testing import CliRunner

    from activelab.cli import app

    def error(*args):
        r = CliRunner().invoke(app, ["serve", str(tmp_path), *args])
        assert r.exit_code != 0
        return str(r.exception) + r.output

    assert "--backend must be memory, local or ray" in error("--backend", "spark")
    assert "--ray-address needs --backend ray" in error("--ray-address", "127.0.0.1:1")
    assert "no Ray cluster answers at 127.0.0.1:1" in error("--backend", "ray", "--ray-address",
                                                           "127.0.0.1:1")
