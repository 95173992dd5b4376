"""`method="module:function"`: the user's encoder, its output validated."""

from __future__ import annotations

import numpy as np
import pytest

import activelab
from activelab import InvalidInputError

from ._shapes import shapes

MOD = "tests.embed._shapes"


def test_user_encoder_is_called_with_the_data_and_options():
    X, _ = shapes(10, 8)
    E = activelab.embed(X, method=f"{MOD}:mean_pixels", scale=2.0)
    assert E.shape == (10, 2) and E.dtype == np.float32
    np.testing.assert_allclose(E[:, 0], 2 * X.reshape(10, -1).mean(1), rtol=1e-6)


def test_user_encoder_on_texts_of_a_file(tmp_path):
    (tmp_path / "t.jsonl").write_text('{"text": "a b c"}\n\n{"text": "hello"}\n')
    E = activelab.embed(tmp_path / "t.jsonl", method=f"{MOD}:text_lengths")
    assert E.tolist() == [[5, 2], [5, 0]]


@pytest.mark.parametrize("method, message", [
    (f"{MOD}:wrong_rows", r"returned shape \(9, 3\); it must return one row per item: \(10, n_dims\)"),
    (f"{MOD}:not_finite", "NaN or infinite values in 1 row"),
    (f"{MOD}:missing", "cannot import the encoder"),
    ("no_such_module_xyz:f", "cannot import the encoder"),
    (f"{MOD}:np", "not callable"),
])
def test_bad_encoders_are_clear_errors(method, message):
    X, _ = shapes(10, 8)
    with pytest.raises(InvalidInputError, match=message):
        activelab.embed(X, method=method)
