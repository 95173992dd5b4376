"""`activelab init --features sentence | ssl | embed:FILE.npy`: what the service's model sees."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("fastapi")

from activelab.service.project import Project, ProjectError
from activelab.service.runtime import init_project

from ..service._data import make_images, make_jsonl, make_table


def test_sentence_features_for_jsonl_and_table_text(tmp_path):
    pytest.importorskip("sentence_transformers")
    data = make_jsonl(tmp_path / "t.jsonl", n=12)
    init_project(tmp_path / "p", data=data, labels="sport,science", features="sentence")
    X = Project.open(tmp_path / "p").load_features()
    assert X.shape == (12, 384) and X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    import pandas as pd

    pd.DataFrame({"id": ["a", "b"], "n": [1, 2], "note": ["good match", "cell theory"]}).to_csv(
        tmp_path / "t.csv", index=False)
    init_project(tmp_path / "q", data=tmp_path / "t.csv", labels="x,y", features="sentence:note")
    assert Project.open(tmp_path / "q").load_features().shape == (2, 384)


def test_ssl_features_for_images(tmp_path):
    pytest.importorskip("torch")
    images = make_images(tmp_path / "img", n=16, size=12)
    init_project(tmp_path / "p", data=images, labels="red,blue", features="ssl:8")
    project = Project.open(tmp_path / "p")
    assert project.config.features == "ssl:8"
    assert project.load_features().shape == (16, 128)


def test_embed_file_spec(tmp_path):
    images = make_images(tmp_path / "img", n=10, size=8)
    np.save(tmp_path / "e.npy", np.arange(30.0).reshape(10, 3))
    init_project(tmp_path / "p", data=images, labels="red,blue", features=f"embed:{tmp_path / 'e.npy'}")
    assert Project.open(tmp_path / "p").load_features().shape == (10, 3)


@pytest.mark.parametrize("kind, features, message", [
    ("images", "ssl:4", "ssl:N needs N between 8 and 64"),
    ("images", "sentence", "images take"),
    ("text", "ssl", "JSONL text takes"),
    ("table", "sentence:nope", "no column 'nope'"),
    ("table", "sentence:f1", "of type float, not text"),
])
def test_bad_specs_are_project_errors(tmp_path, kind, features, message):
    data = {"images": lambda: make_images(tmp_path / "img", n=4, size=8),
            "text": lambda: make_jsonl(tmp_path / "t.jsonl", n=4),
            "table": lambda: make_table(tmp_path / "t.csv", n=4)}[kind]()
    if "sentence:f1" in features:
        pytest.importorskip("sentence_transformers")
    with pytest.raises(ProjectError, match=message):
        init_project(tmp_path / "p", data=data, labels="a,b", features=features)
