"""Multi-label active learning: an (n, L) 0/1 label matrix, one row per pool item.

A row is labeled (every entry 0 or 1; all zeros = no label applies) or unlabeled (every entry
`activelab.UNLABELED`, −1); partially known rows are refused.

    >>> from activelab.multilabel import load_multilabel_dataset, simulate_multilabel
    >>> X, Y, names = load_multilabel_dataset("yeast")
    >>> run = simulate_multilabel(X[:1600], Y[:1600], X[1600:], Y[1600:], random_state=0)
    >>> run.metrics["micro_f1"][-1]
"""

from __future__ import annotations

from ._validation import check_ground_truth, check_label_matrix
from .context import MultilabelContext
from .datasets import INFO as MULTILABEL_DATASETS
from .datasets import load_multilabel_dataset, multilabel_dataset_names
from .loop import MultilabelLoop, MultilabelRound
from .models import (
    BinaryRelevance,
    MultilabelForest,
    PlattLinearSVC,
    default_multilabel_model,
    make_multilabel_model,
    multilabel_model_names,
)
from .simulate import (
    DEFAULT_STRATEGY,
    METRICS,
    multilabel_metrics,
    query_multilabel,
    simulate_multilabel,
)
from .strategies import (
    MultilabelStrategy,
    make_multilabel_strategy,
    multilabel_strategy_names,
)

__all__ = [
    "DEFAULT_STRATEGY",
    "METRICS",
    "MULTILABEL_DATASETS",
    "BinaryRelevance",
    "MultilabelContext",
    "MultilabelForest",
    "MultilabelLoop",
    "MultilabelRound",
    "MultilabelStrategy",
    "PlattLinearSVC",
    "check_ground_truth",
    "check_label_matrix",
    "default_multilabel_model",
    "load_multilabel_dataset",
    "make_multilabel_model",
    "make_multilabel_strategy",
    "multilabel_dataset_names",
    "multilabel_metrics",
    "multilabel_model_names",
    "multilabel_strategy_names",
    "query_multilabel",
    "simulate_multilabel",
]
