"""Projects from images, CSV/Parquet tables and JSONL text; idempotent re-import; bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp

from activelab.service.project import Project, ProjectError
from activelab.service.runtime import Runtime, init_project

from ._data import make_images, make_jsonl, make_table


def test_images(tmp_path, image_dir):
    report = init_project(tmp_path / "p", data=image_dir, labels="red,blue")
    assert report.created and report.n_items == 40 and report.n_new == 40
    project = Project.open(tmp_path / "p")
    X = project.load_features()
    assert X.shape == (40, 3 * 16 * 16) and X.dtype == np.float32
    assert 0.0 <= X.min() and X.max() <= 1.0
    items = project.read_items()
    assert items[0] == {"idx": 0, "item_id": "blue/001.png", "kind": "image", "path": "blue/001.png"}
    assert project.config.data_kind == "images" and project.config.labels == ["red", "blue"]
    assert (tmp_path / "p" / "activelab.db").is_file()


def test_reimport_is_idempotent_and_appends_new_items(tmp_path):
    data = make_images(tmp_path / "imgs", n=10)
    init_project(tmp_path / "p", data=data, labels="red,blue")
    before = Project.open(tmp_path / "p").read_items()
    again = init_project(tmp_path / "p", data=data, labels="red,blue")
    assert not again.created and again.n_new == 0
    assert Project.open(tmp_path / "p").read_items() == before
    make_images(tmp_path / "more", n=14, seed=1)
    (tmp_path / "more" / "red" / "012.png").rename(data / "red" / "100.png")
    grown = init_project(tmp_path / "p", data=data, labels="red,blue", strategy="entropy")
    items = Project.open(tmp_path / "p").read_items()
    assert grown.n_new == 1 and items[:10] == before and items[10]["item_id"] == "red/100.png"
    assert Project.open(tmp_path / "p").config.strategy == "entropy"
    rt = Runtime.open(tmp_path / "p")
    try:
        assert rt.settings().strategy == "entropy" and rt.X.shape[0] == 11
    finally:
        rt.close()


def test_reimport_refuses_vanished_items_and_new_labels(tmp_path):
    data = make_images(tmp_path / "imgs", n=6)
    init_project(tmp_path / "p", data=data, labels="red,blue")
    with pytest.raises(ProjectError, match="label set"):
        init_project(tmp_path / "p", data=data, labels="red,green")
    (data / "red" / "000.png").unlink()
    with pytest.raises(ProjectError, match="no longer holds 1 item"):
        init_project(tmp_path / "p", data=data, labels="red,blue")


def test_csv_numeric_columns(tmp_path):
    csv = make_table(tmp_path / "t.csv")
    report = init_project(tmp_path / "p", data=csv, labels="a,b")
    project = Project.open(tmp_path / "p")
    assert report.n_items == 60 and project.load_features().shape == (60, 3)
    item = project.read_items()[0]
    assert item["item_id"] == "r0000" and item["kind"] == "row" and set(item["fields"]) == {"id", "f1", "f2", "f3"}


def test_csv_without_id_and_parquet(tmp_path):
    init_project(tmp_path / "p", data=make_table(tmp_path / "t.csv", with_id=False), labels="a,b")
    assert Project.open(tmp_path / "p").read_items()[5]["item_id"] == "row-5"
    init_project(tmp_path / "q", data=make_table(tmp_path / "t.parquet"), labels="a,b",
                 features="columns:f1,f2")
    assert Project.open(tmp_path / "q").load_features().shape == (60, 2)


def test_csv_text_column_gets_tfidf(tmp_path):
    import pandas as pd

    path = tmp_path / "t.csv"
    pd.DataFrame({"id": [1, 2, 3, 4], "text": ["good film", "bad film", "great", "awful"]}).to_csv(path, index=False)
    init_project(tmp_path / "p", data=path, labels="pos,neg")
    X = Project.open(tmp_path / "p").load_features()
    assert sp.issparse(X) and X.shape[0] == 4


def test_jsonl_text(tmp_path):
    path = make_jsonl(tmp_path / "docs.jsonl")
    init_project(tmp_path / "p", data=path, labels="sport,science", strategy="entropy")
    project = Project.open(tmp_path / "p")
    X = project.load_features()
    assert sp.issparse(X) and X.shape[0] == 40
    item = project.read_items()[0]
    assert item["item_id"] == "doc-0" and item["kind"] == "text" and item["text"]


def test_jsonl_other_field_and_line_ids(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(json.dumps({"body": f"word{i} common"}) for i in range(5)) + "\n")
    init_project(tmp_path / "p", data=path, labels="x,y", features="tfidf:body")
    assert Project.open(tmp_path / "p").read_items()[2]["item_id"] == "line-3"
    with pytest.raises(ProjectError, match="needs a string field 'text'"):
        init_project(tmp_path / "q", data=path, labels="x,y")


def test_user_embedding(tmp_path, image_dir):
    emb = tmp_path / "emb.npy"
    np.save(emb, np.arange(40 * 5, dtype=np.float64).reshape(40, 5))
    init_project(tmp_path / "p", data=image_dir, labels="red,blue", features=str(emb))
    assert Project.open(tmp_path / "p").load_features().shape == (40, 5)
    np.save(emb, np.zeros((39, 5)))
    with pytest.raises(ProjectError, match=r"needs \(40, n_dims\)"):
        init_project(tmp_path / "q", data=image_dir, labels="red,blue", features=str(emb))


@pytest.mark.parametrize("kwargs,match", [
    (dict(labels="onlyone"), "at least two"),
    (dict(labels="a,a"), "repeats"),
    (dict(labels="a,b", task="ranking"), "not supported"),
    (dict(labels="a,b", task="regression"), "regression project has no label set"),
    (dict(labels="a,b", strategy="nope"), "unknown strategy"),
    (dict(labels="a,b", model="nope"), "unknown model"),
    (dict(labels="a,b", features="pixels:1000"), "pixels:N"),
    (dict(labels="a,b", features="tfidf"), "images take"),
])
def test_bad_options(tmp_path, image_dir, kwargs, match):
    with pytest.raises(ProjectError, match=match):
        init_project(tmp_path / "p", data=image_dir, **kwargs)


def test_bad_data(tmp_path):
    with pytest.raises(ProjectError, match="does not exist"):
        init_project(tmp_path / "p", data=tmp_path / "missing", labels="a,b")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ProjectError, match="holds no images"):
        init_project(tmp_path / "p", data=tmp_path / "empty", labels="a,b")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(ProjectError, match="cannot tell what"):
        init_project(tmp_path / "p", data=tmp_path / "x.txt", labels="a,b")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "a.png").write_bytes(b"not a png")
    with pytest.raises(ProjectError, match="cannot read image 'a.png'"):
        init_project(tmp_path / "p", data=tmp_path / "broken", labels="a,b")
    with pytest.raises(ProjectError, match="not an activelab project"):
        Project.open(tmp_path)


def test_images_outside_the_folder_are_not_imported(tmp_path):
    data = make_images(tmp_path / "imgs", n=4)
    outside = make_images(tmp_path / "outside", n=2)
    (data / "escape.png").symlink_to(outside / "red" / "000.png")
    init_project(tmp_path / "p", data=data, labels="red,blue")
    ids = [it["item_id"] for it in Project.open(tmp_path / "p").read_items()]
    assert "escape.png" not in ids and len(ids) == 4
