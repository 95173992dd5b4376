"""Which strategies run on a `ParquetPool` (backend "local" or "ray"), how, and why the others
do not: the table `activelab strategies` and the README show."""

from __future__ import annotations

from typing import NamedTuple

from .._errors import InvalidInputError


class Support(NamedTuple):
    """How a strategy runs distributed: `method` (the driver's algorithm), whether the picks
    equal the in-memory ones (`exact`), and a line for users."""

    method: str
    exact: bool
    note: str


_SCORES = Support("scores", True, "per-block scores, exact global top-k merge")
_COMMITTEE = Support(
    "scores", True,
    "committee fitted once on the driver, per-block scores, exact top-k merge (MC-dropout "
    "samples are drawn per block: not the in-memory stream)")

SUPPORT: dict[str, Support] = {
    "random": Support("random", True, "positions drawn on the driver from the candidate count"),
    "least_confidence": _SCORES,
    "margin": _SCORES,
    "entropy": _SCORES,
    "qbc_vote": _COMMITTEE,
    "qbc_kl": _COMMITTEE,
    "bald": _COMMITTEE,
    "variation_ratios": _COMMITTEE,
    "coreset": Support(
        "kcenter", True,
        "k-center greedy: per-worker distances, global argmax each pick (one round trip per pick)"),
    "badge": Support(
        "badge", True,
        "k-means++ D² sampling over per-worker sums chained in order (one round trip per worker "
        "and pick); keeps p and the last-layer input of each candidate in worker memory"),
    "kmeans": Support(
        "kmeans", False,
        "distributed Lloyd passes from k-means++ on a uniform sample (in memory: scikit-learn's "
        "KMeans / MiniBatchKMeans), then each cluster's row closest to its center"),
    "typiclust": Support(
        "typiclust", False,
        "distributed Lloyd over the whole pool; typicality on a sample of at most "
        "max_cluster_rows rows of each cluster it visits, gathered only for those clusters"),
    "auto": Support(
        "auto", False,
        "the in-memory decision (from the labeled rows); then TypiClust or BADGE distributed, "
        "the outlier guard's quartiles from a 100,000-row sample"),
}

REFUSED: dict[str, str] = {
    "probcover": "its ball graph links every pair of rows within the radius (needs the whole pool)",
    "density_weighted": "its density term compares every candidate with every other",
    "eer": "expected error reduction refits the model for every candidate and label",
    "cluster_margin": "its hierarchical clustering of the uncertain candidates is sequential",
    "albl": "its bandit mixes strategies that are not all distributed",
    "ucb": "its arms are strategies that are not all distributed",
    "thompson": "its arms are strategies that are not all distributed",
}


def support_for(strategy) -> Support:
    """The Support of a strategy object, or an InvalidInputError saying why it cannot run on a
    ParquetPool and which strategies can."""
    name = getattr(strategy, "name", type(strategy).__name__)
    custom = getattr(strategy, "distributed", None)
    if custom == "scores":  # a user's ScoreStrategy declaring row-wise scores
        return _SCORES
    if name in SUPPORT:
        return SUPPORT[name]
    why = REFUSED.get(name, "it does not declare how to run distributed (see activelab.distributed)")
    raise InvalidInputError(
        f"strategy {name!r} cannot run on a ParquetPool: {why}. Strategies that can: "
        f"{', '.join(SUPPORT)}."
    )


def describe() -> dict[str, str]:
    """Strategy name -> one line on how it runs distributed (or why not), for the CLI."""
    out = {n: ("exact: " if s.exact else "approximate: ") + s.note for n, s in SUPPORT.items()}
    out.update({n: "not distributed: " + why for n, why in REFUSED.items()})
    return out
