"""`activelab embed` and `activelab run --embedding` end to end on tiny data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from activelab.cli import main
from activelab.experiments.runner import ExperimentConfig

from ._shapes import shapes

TINY_RUN = ["run", "--dataset", "iris", "--initial", "6", "--batch-size", "3", "--rounds", "2",
            "--seeds", "0"]


def test_embed_csv_writes_npy(tmp_path, capsys):
    pytest.importorskip("sentence_transformers")
    (tmp_path / "t.csv").write_text("id,body\n1,A cat sat on the mat.\n2,Dogs bark loudly.\n"
                                    "3,The weather is nice today.\n")
    out = tmp_path / "sub" / "emb.npy"
    assert main(["embed", str(tmp_path / "t.csv"), "--out", str(out), "--text-column", "body"]) == 0
    E = np.load(out)
    assert E.shape == (3, 384) and E.dtype == np.float32
    assert "3 items × 384 dims" in capsys.readouterr().out
    assert [p.name for p in out.parent.iterdir()] == ["emb.npy"], "no temporary file left behind"


def test_embed_images_with_ssl(tmp_path):
    pytest.importorskip("torch")
    X, _ = shapes(24, 8)
    np.save(tmp_path / "x.npy", X)
    out = tmp_path / "e.npy"
    args = ["embed", str(tmp_path / "x.npy"), "--out", str(out), "--method", "ssl",
            "--epochs", "1", "--seed", "5"]
    assert main(args) == 0
    first = np.load(out)
    assert first.shape == (24, 128)
    assert main(args) == 0 and np.array_equal(np.load(out), first)


@pytest.mark.parametrize("args, message", [
    (["--out", "e.csv"], "--out must name an .npy file"),
    (["--out", "e.npy", "--method", "nope"], "unknown embedding method 'nope'"),
    (["--out", "e.npy", "--method", "ssl"], "images as"),
])
def test_embed_errors(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.csv").write_text("text\nhello\n")
    assert main(["embed", "t.csv", *args]) == 2
    assert message in capsys.readouterr().err.replace("\n", "")
    assert not (tmp_path / "e.npy").exists()


def test_run_with_embedding(tmp_path):
    from sklearn.datasets import load_iris

    X, _ = load_iris(return_X_y=True)
    emb = tmp_path / "iris.npy"
    np.save(emb, X[:, ::-1] * 2.0)  # 150 rows, dataset order
    out = tmp_path / "r"
    assert main(TINY_RUN + ["--strategy", "coreset", "--embedding", str(emb), "--out", str(out)]) == 0
    res = json.loads((out / "results.json").read_text())
    assert res["config"]["embedding"] == str(emb)
    assert res["runs"][0]["labels"] == [6, 9, 12]
    # the same experiment without the embedding is a different one
    assert main(TINY_RUN + ["--strategy", "coreset", "--out", str(out)]) == 2


def test_run_embedding_uses_the_pool_rows(tmp_path, monkeypatch):
    """The runner hands `simulate` the embedding rows of the pool, split like the dataset."""
    from sklearn.datasets import load_iris

    from activelab.experiments import runner

    X, _y = load_iris(return_X_y=True)
    np.save(tmp_path / "e.npy", np.arange(150.0)[:, None])  # row i holds i
    seen = {}
    real = runner.simulate

    def spy(X_pool, *args, embedding=None, **kwargs):
        seen["X_pool"], seen["embedding"] = X_pool, embedding
        return real(X_pool, *args, embedding=embedding, **kwargs)

    monkeypatch.setattr(runner, "simulate", spy)
    config = ExperimentConfig(dataset="iris", initial=6, batch_size=3, rounds=1, strategies=("coreset",),
                              seeds=(1,), scale="none", embedding=str(tmp_path / "e.npy"))
    runner.run_one(config, "coreset", 1)
    rows = seen["embedding"][:, 0].astype(int)
    assert seen["embedding"].shape == (112, 1)
    np.testing.assert_array_equal(X[rows], seen["X_pool"])


def test_run_embedding_row_mismatch_is_a_clear_error(tmp_path, capsys):
    np.save(tmp_path / "short.npy", np.zeros((100, 3)))
    out = tmp_path / "r"
    assert main(TINY_RUN + ["--embedding", str(tmp_path / "short.npy"), "--out", str(out)]) == 2
    err = capsys.readouterr().err.replace("\n", "")
    assert "has shape (100, 3)" in err and "(150, n_dims)" in err
    assert not out.exists(), "fails before creating the output folder"


def test_identity_has_embedding_only_when_set():
    assert "embedding" not in ExperimentConfig().identity()
    assert ExperimentConfig(embedding="e.npy").identity()["embedding"] == "e.npy"
