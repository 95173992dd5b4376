"""Issue 16, long texts: the words that drove a linear model's guess on TF-IDF features. The
retrain worker stores them with each queued prediction, `GET /api/next` returns them in
`highlights` (present for TF-IDF + logistic regression, absent otherwise), the OpenAPI document
says so, and each weight is the term's tf-idf value times the predicted class's coefficient."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from activelab.models.sklearn import SklearnFitted
from activelab.service.highlights import driving_terms

from ._data import make_jsonl
from .conftest import Api

def truth_of_doc(item_id: str) -> str:
    return "sport" if int(item_id.split("-")[1]) % 2 == 0 else "science"


def text_api(tmp_path, db_url, model="logreg"):
    """(Api, runtime) on a JSONL text project (TF-IDF features), worker not started."""
    from fastapi.testclient import TestClient

    from activelab.service import Runtime, create_app, init_project
    from activelab.service.auth import add_annotator

    init_project(tmp_path / "p", data=make_jsonl(tmp_path / "d.jsonl"), labels="sport,science",
                 strategy="margin", model=model, db_url=db_url)
    rt = Runtime.open(tmp_path / "p", db_url)
    tokens = {"alice": add_annotator(rt.store, "alice"),
              "admin": add_annotator(rt.store, "admin", admin=True)}
    app = create_app(rt, start_worker=False)
    return Api(TestClient(app), tokens, app), rt


def label_docs(api, n: int) -> None:
    for _ in range(n):
        item = api.next()
        assert api.label(item["item_id"], truth_of_doc(item["item_id"])).status_code == 200


def test_tfidf_and_logreg_name_the_words_behind_the_guess(tmp_path, db_url):
    api, rt = text_api(tmp_path, db_url)
    try:
        assert len(rt.project.load_terms()) == rt.X.shape[1]  # init recorded the vocabulary
        api.service.worker.run_once(force=True)
        assert api.next()["highlights"] is None  # cold start: no model, no prediction
        label_docs(api, 8)
        assert api.service.worker.run_once(force=True).status == "ok"
        est = api.service.worker.loop.loop.fitted.estimator  # the model that ranked the queue
        vocab = rt.project.load_terms()
        named = 0
        for _ in range(5):
            item = api.next()
            terms = item["highlights"]  # [] when only the intercept favours the guess
            assert terms is not None, item
            named += bool(terms)
            weights = [t["weight"] for t in terms]
            assert len(terms) <= 5 and all(w > 0 for w in weights)
            assert weights == sorted(weights, reverse=True)
            words = set(item["text"].split())
            for t in terms:  # words (or two-word phrases) of the item
                assert set(t["term"].split()) <= words, (t, item["text"])
            # each weight: tf-idf value × the coefficient of the predicted label
            row = rt.X[int(item["item_id"].split("-")[1])]
            sign = 1 if item["prediction"][0]["label"] == "science" else -1  # code 1: science
            for t in terms:
                j = vocab.index(t["term"])
                assert np.isclose(t["weight"], row[0, j] * sign * est.coef_[0, j], rtol=1e-3)
            assert api.label(item["item_id"], truth_of_doc(item["item_id"])).status_code == 200
        assert named >= 3
        schema = api.get("/api/openapi.json").json()["components"]["schemas"]
        field = schema["NextOut"]["properties"]["highlights"]
        assert "TF-IDF" in field["description"]
        assert {"$ref": "#/components/schemas/TermOut"} == field["anyOf"][0]["items"]
        assert set(schema["TermOut"]["required"]) == {"term", "weight"}
        assert schema["TermOut"]["properties"]["weight"]["exclusiveMinimum"] == 0
    finally:
        api.client.close()
        rt.close()


def test_no_highlights_for_a_model_that_is_not_linear(tmp_path):
    api, rt = text_api(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", model="random_forest")
    try:
        label_docs(api, 8)
        assert api.service.worker.run_once(force=True).status == "ok"
        item = api.next()
        assert item["prediction"] and item["highlights"] is None
    finally:
        api.client.close()
        rt.close()


def test_no_highlights_on_image_pixels(api):
    from .test_worker import label_n

    assert api.service.runtime.project.load_terms() is None
    api.service.worker.run_once(force=True)
    label_n(api, 8)
    assert api.service.worker.run_once(force=True).status == "ok"
    item = api.next()
    assert item["prediction"] and item["highlights"] is None


# -- driving_terms against the definition --------------------------------------------------


def _pool(seed=0, n=60, d=12, classes=3):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.4, random_state=seed, format="csr", dtype=np.float64)
    y = rng.integers(0, classes, size=n)
    X = (X + sp.csr_matrix(np.eye(classes)[y] @ rng.random((classes, d)) * 0.5)).tocsr()
    return X, y, [f"w{j}" for j in range(d)]


def _reference(coef_rows, X, pred, terms, k):
    out = []
    for r, c in enumerate(pred):
        x = X[r].toarray().ravel()
        share = x * coef_rows[c]
        order = np.argsort(-share, kind="stable")
        out.append([(terms[j], share[j]) for j in order[:k] if x[j] != 0 and share[j] > 0])
    return out


@pytest.mark.parametrize("classes", [2, 3])
def test_contributions_are_tfidf_times_the_predicted_class_coefficient(classes):
    X, y, terms = _pool(classes=classes)
    est = LogisticRegression(max_iter=1000).fit(X, y)
    fitted = SklearnFitted(est, np.arange(classes + 1))  # one label never seen by the model
    pred = np.argmax(fitted.predict_proba(X), axis=1)
    coef = est.coef_ if classes > 2 else np.vstack([-est.coef_[0], est.coef_[0]])
    got = driving_terms(fitted, X, pred, terms, k=4)
    want = _reference(coef, X, pred, terms, 4)
    assert [[t for t, _ in row] for row in got] == [[t for t, _ in row] for row in want]
    assert np.allclose([w for row in got for _, w in row], [w for row in want for _, w in row])
    # the contributions and the intercept make the model's decision score
    score = est.decision_function(X[:1])
    share = X[0].toarray().ravel() * coef[pred[0]]
    expected = score[0] if classes == 2 and pred[0] == 1 else (
        -score[0] if classes == 2 else score[0][pred[0]])
    intercept = est.intercept_[0] if classes == 2 else est.intercept_[pred[0]]
    sign = 1 if classes > 2 or pred[0] == 1 else -1
    assert np.isclose(share.sum() + sign * intercept, expected)


def test_a_scaler_in_a_pipeline_is_applied_before_the_coefficients():
    X, y, terms = _pool(classes=2)
    est = make_pipeline(StandardScaler(with_mean=False), LogisticRegression(max_iter=1000)).fit(X, y)
    fitted = SklearnFitted(est, np.arange(2))
    pred = np.argmax(fitted.predict_proba(X), axis=1)
    Z = est[:-1].transform(X)
    coef = est[-1].coef_[0]
    want = _reference(np.vstack([-coef, coef]), Z, pred, terms, 3)
    got = driving_terms(fitted, X, pred, terms, k=3)
    assert [[t for t, _ in row] for row in got] == [[t for t, _ in row] for row in want]


def test_nothing_where_it_would_not_be_exact():
    X, y, terms = _pool(classes=2)
    lr = SklearnFitted(LogisticRegression(max_iter=1000).fit(X, y), np.arange(2))
    forest = SklearnFitted(RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y),
                           np.arange(2))
    pred = np.zeros(X.shape[0], dtype=int)
    assert driving_terms(forest, X, pred, terms) is None  # not linear
    assert driving_terms(lr, X.toarray(), pred, terms) is None  # dense: not TF-IDF
    assert driving_terms(lr, X, pred, None) is None  # no vocabulary recorded
    assert driving_terms(lr, X, pred, terms[:-1]) is None  # a vocabulary of other columns
