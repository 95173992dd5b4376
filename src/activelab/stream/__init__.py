"""Stream-based selective sampling: items arrive one at a time and a selector decides, under a
labeling *rate* budget, whether to buy each item's label.

    >>> from activelab.stream import load_stream, run_stream
    >>> X, y = load_stream("phishing", seed=0)
    >>> result = run_stream(X, y, selector="variable_uncertainty", model="sgd", budget=0.1)

Pieces: selectors (`make_selector`, `stream_selector_names`) each bound by a `BudgetManager`
(``spent(t) <= budget·t + allowance`` at every t); incremental models behind `StreamModel`
(`make_stream_model`, scikit-learn partial_fit or River); `StreamLearner`, which handles one
item (predict, decide, learn) for a service or a user's loop; `run_stream`, the prequential
(test-then-train) evaluation; and real offline streams (`load_stream`). See docs/stream.md.
"""

from ._budget import BudgetManager, check_budget
from ._density import BalancedQuantileFilter, DensityUncertainty
from ._learner import StreamLearner, StreamStep
from ._models import (
    RiverStreamModel,
    SklearnStreamModel,
    StreamModel,
    make_stream_model,
    stream_model_names,
)
from ._prequential import run_stream
from ._registry import make_selector, stream_selector_names
from ._selectors import (
    Decision,
    FixedUncertainty,
    RandomizedVariableUncertainty,
    RandomSelector,
    Split,
    StreamSelector,
    VariableUncertainty,
    least_confidence,
    margin_utility,
)
from ._streams import StreamInfo, describe_streams, load_stream, stream_names

__all__ = [
    "BalancedQuantileFilter",
    "BudgetManager",
    "Decision",
    "DensityUncertainty",
    "FixedUncertainty",
    "RandomSelector",
    "RandomizedVariableUncertainty",
    "RiverStreamModel",
    "SklearnStreamModel",
    "Split",
    "StreamInfo",
    "StreamLearner",
    "StreamModel",
    "StreamSelector",
    "StreamStep",
    "VariableUncertainty",
    "check_budget",
    "describe_streams",
    "least_confidence",
    "load_stream",
    "make_selector",
    "make_stream_model",
    "margin_utility",
    "run_stream",
    "stream_model_names",
    "stream_names",
    "stream_selector_names",
]
