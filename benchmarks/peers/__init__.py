"""Adapters that run other libraries' query strategies on the arrays activelab sees.

Every implementation — a peer's, activelab's own, and the plain NumPy reference — has the same
signature::

    fn(pool: Pool, batch_size: int, seed: int) -> ndarray of int, shape (batch_size,)

returning global row positions of `pool.X`. The adapters only translate arguments (label
encoding, index spaces, a classifier that returns precomputed probabilities); the selection
itself is the peer's own code. Peers that are not installed are simply absent.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

#: Strategy names shared by every implementation (activelab's registry names).
STRATEGIES = ("margin", "entropy", "coreset", "badge", "typiclust", "density_weighted")

#: Peer library → adapter module (import name of the peer, module here).
PEERS = {
    "modal": ("modAL", "peers.modal_peer"),
    "skactiveml": ("skactiveml", "peers.skactiveml_peer"),
    "alipy": ("alipy", "peers.alipy_peer"),
}


@dataclass
class Pool:
    """One round's inputs, identical for every implementation.

    X : ndarray of shape (n, d)
        Features for geometry (also the last-layer input `h` of BADGE's gradient embedding).
    y : ndarray of int, shape (n,)
        Class positions 0..n_classes-1; -1 marks unlabeled rows.
    proba : ndarray of shape (n_candidates, n_classes)
        The fitted model's probabilities of the unlabeled rows (in increasing row order).
    """

    X: np.ndarray
    y: np.ndarray
    proba: np.ndarray
    n_classes: int
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def labeled_idx(self) -> np.ndarray:
        return np.flatnonzero(self.y >= 0)

    @property
    def candidate_idx(self) -> np.ndarray:
        return np.flatnonzero(self.y < 0)

    def y_nan(self) -> np.ndarray:
        """Labels as float with NaN for unlabeled (scikit-activeml's convention)."""
        out = self.y.astype(np.float64)
        out[self.y < 0] = np.nan
        return out


Impl = Callable[[Pool, int, int], np.ndarray]


def peer_available(lib: str) -> bool:
    try:
        importlib.import_module(PEERS[lib][0])
    except Exception:  # missing, or broken against this NumPy/scikit-learn
        return False
    return True


def available_peers() -> list[str]:
    return [lib for lib in PEERS if peer_available(lib)]


def implementations(lib: str) -> dict[str, Impl]:
    """strategy name → implementation, for 'activelab', 'numpy' (reference) or a peer."""
    if lib == "activelab":
        from .activelab_impl import IMPLEMENTATIONS
    elif lib == "numpy":
        from .reference import IMPLEMENTATIONS
    else:
        IMPLEMENTATIONS = importlib.import_module(PEERS[lib][1]).IMPLEMENTATIONS
    return dict(IMPLEMENTATIONS)


class PrecomputedProba:
    """A fitted-classifier stand-in whose predict_proba returns the pool's candidate
    probabilities, so every library selects from the same numbers and none re-runs the model
    inside the timed selection. Rows are matched by count (the candidates) — anything else is
    an adapter bug."""

    def __init__(self, proba: np.ndarray, n_classes: int) -> None:
        self.proba = proba
        self.classes_ = np.arange(n_classes)

    def predict_proba(self, X, **kwargs):
        if X.shape[0] != self.proba.shape[0]:
            raise RuntimeError(f"asked for {X.shape[0]} rows, have {self.proba.shape[0]} probabilities")
        return self.proba

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def fit(self, X, y, **kwargs):
        return self
