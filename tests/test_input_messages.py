"""Clear messages for common input mistakes (issue 16): a text column in X, a y with no
unlabeled marker (string labels, or every row labeled), and a short Selection repr."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

import activelab
from activelab import BatchSizeError, InvalidInputError


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    perm = np.random.default_rng(0).permutation(len(y))
    return X[perm], y[perm]


@pytest.mark.parametrize("y_kind", ["strings", "all labeled"])
def test_y_without_unlabeled_rows_says_how_to_mark_them(iris, y_kind):
    X, y = iris
    labels = np.where(y == 0, "setosa", "other") if y_kind == "strings" else y
    with pytest.raises(BatchSizeError, match=r"no unlabeled rows.*UNLABELED \(-1\).*dtype=object"):
        activelab.query(X, labels, strategy="margin", batch_size=3)


def test_string_labels_with_none_work(iris):
    X, y = iris
    labels = np.where(y == 0, "setosa", np.where(y == 1, "versicolor", "virginica")).astype(object)
    labels[30:] = None
    idx = activelab.query(X, labels, strategy="margin", batch_size=3, random_state=0)
    assert len(set(idx)) == 3 and all(i >= 30 for i in idx)


@pytest.mark.parametrize("container", ["ndarray", "dataframe"])
def test_a_text_column_is_named(iris, container):
    X, y = iris
    y = y.copy()
    y[30:] = activelab.UNLABELED
    if container == "ndarray":
        X = X.astype(object)
        X[:, 2] = "petal"
        where = "column(s) 2"
    else:
        X = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(species_name="x")
        where = "column(s) species_name"
    with pytest.raises(InvalidInputError,
                       match=rf"needs numeric features.*{re.escape(where)}.*OneHotEncoder"):
        activelab.query(X, y, strategy="margin", batch_size=3)


def test_selection_repr_is_short(iris):
    X, y = iris
    y = y.copy()
    y[30:] = activelab.UNLABELED
    sel = activelab.propose(X, y, strategy="margin", batch_size=25, random_state=0)
    text = repr(sel)
    assert text.startswith("Selection(idx=[") and "(25 rows)" in text and "<120 scores>" in text
    assert len(text) < 200
