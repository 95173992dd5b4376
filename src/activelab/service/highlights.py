"""The words that drove a linear model's prediction, for the labeling page to highlight.

On TF-IDF features (the project records the term of each column, `Project.load_terms`) a linear
model's decision score for class c is ``sum_j x_j * coef[c, j] + b_c``: term j's contribution to
the predicted class is its tf-idf value times that class's coefficient. `driving_terms` keeps,
for each queued row, the few terms with the largest positive contribution, strongest first.

Nothing is computed unless it is exact: the features must be sparse TF-IDF with one term per
column, and the fitted model linear (``coef_``, after any pipeline steps that keep the columns).
Otherwise the answer is None and the page shows the text without highlights.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

TERMS_PER_ITEM = 5


def linear_weights(fitted, n_features: int):
    """(the model's input transform, one weight row per label code) for a fitted model of the
    seam (`SklearnFitted`: `estimator`, `classes`), or None when it is not linear in these
    `n_features` columns. Row c holds the weights of the decision score of label code c (a
    binary model's single row is the score of its second class: the first gets its negative)."""
    from sklearn.pipeline import Pipeline

    estimator = getattr(fitted, "estimator", None)
    transform = None
    if isinstance(estimator, Pipeline):
        transform = estimator[:-1] if len(estimator.steps) > 1 else None
        estimator = estimator.steps[-1][1]
    try:
        coef = np.asarray(estimator.coef_, dtype=np.float64)  # an rbf SVM raises here
        model_classes = np.asarray(estimator.classes_).tolist()
    except (AttributeError, ValueError, TypeError):
        return None
    if coef.ndim != 2 or coef.shape[1] != n_features or not np.isfinite(coef).all():
        return None
    if coef.shape[0] == 1 and len(model_classes) == 2:
        coef = np.vstack([-coef[0], coef[0]])
    if coef.shape[0] != len(model_classes):
        return None
    n_codes = len(np.asarray(fitted.classes))
    weights = np.zeros((n_codes, n_features))
    for row, code in enumerate(model_classes):
        if not 0 <= int(code) < n_codes:
            return None
        weights[int(code)] = coef[row]
    return transform, weights


def driving_terms(fitted, X_rows, predicted, terms: list[str] | None,
                  k: int = TERMS_PER_ITEM) -> list[list[tuple[str, float]]] | None:
    """For each row of `X_rows` (sparse TF-IDF, shape (n, len(terms))), the up to `k` terms
    that pushed `fitted` most towards its predicted label code (`predicted`, shape (n,)), as
    (term, contribution > 0), strongest first; None when this cannot be said exactly (not
    TF-IDF, not a linear model, a transform that changes the columns)."""
    if not terms or not sp.issparse(X_rows) or X_rows.shape[1] != len(terms):
        return None
    found = linear_weights(fitted, len(terms))
    if found is None:
        return None
    transform, weights = found
    Z = X_rows if transform is None else transform.transform(X_rows)
    if not sp.issparse(Z) or Z.shape != X_rows.shape:
        return None
    Z = sp.csr_matrix(Z, dtype=np.float64)
    out = []
    for r, code in enumerate(np.asarray(predicted, dtype=np.intp)):
        cols = Z.indices[Z.indptr[r]:Z.indptr[r + 1]]
        share = Z.data[Z.indptr[r]:Z.indptr[r + 1]] * weights[code, cols]
        best = np.argsort(-share, kind="stable")[:k]
        out.append([(terms[cols[j]], float(share[j])) for j in best
                    if np.isfinite(share[j]) and share[j] > 0])
    return out
