"""The offline streams: sizes, classes, and each stated order; the public surface."""

from __future__ import annotations

import numpy as np
import pytest

from activelab import InvalidInputError, UnknownNameError, stream
from activelab.stream import describe_streams, load_stream, stream_names


def test_public_surface():
    assert sorted(stream.__all__) == sorted(set(stream.__all__))
    for name in stream.__all__:
        assert hasattr(stream, name)
    assert {"run_stream", "StreamLearner", "make_selector", "stream_selector_names",
            "make_stream_model", "stream_model_names", "load_stream", "stream_names"} <= set(
        stream.__all__)


@pytest.mark.parametrize("name", ["phishing", "segment", "banana"])
def test_stationary_streams(name):
    info = {s.name: s for s in describe_streams()}[name]
    X, y = load_stream(name)
    assert X.shape == (info.n_items, info.n_features) and X.dtype == np.float64
    assert np.unique(y).size == info.n_classes and np.isfinite(X).all()
    Xs, ys = load_stream(name, seed=1)
    assert not np.array_equal(Xs, X)
    assert sorted(map(tuple, Xs.tolist())) == sorted(map(tuple, X.tolist()))  # a permutation
    Xs2, ys2 = load_stream(name, seed=1)
    assert np.array_equal(Xs, Xs2) and np.array_equal(ys, ys2)


def test_segment_phased_order():
    _, y = load_stream("segment_phased")
    n = y.size
    classes = np.unique(y)
    first = [int(np.flatnonzero(y == c)[0]) for c in classes]
    assert first == sorted(first) and first[0] == 0
    # the last class's arrival times start at 1/2: about 30 % of the items come before it
    assert first[-1] >= 0.25 * n
    _, y2 = load_stream("segment_phased", seed=None)
    assert np.array_equal(y, y2)
    assert not np.array_equal(y, load_stream("segment_phased", seed=5)[1])


def test_shuttle_time_order():
    X, _ = load_stream("shuttle_time")
    assert X.shape == (49097, 9)
    assert np.all(np.diff(X[:, 0]) >= 0)


def test_stream_name_errors():
    assert "segment_phased" in stream_names()
    with pytest.raises(UnknownNameError, match="Did you mean 'phishing'"):
        load_stream("phishng")
    with pytest.raises(InvalidInputError, match="seed"):
        load_stream("phishing", seed="a")
