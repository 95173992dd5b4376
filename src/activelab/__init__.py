"""activelab: pool-based active learning — query strategies, a simulated loop, an experiment runner.

    >>> import activelab
    >>> idx = activelab.query(X, y, strategy="margin", batch_size=10, random_state=0)

The public names below are imported on first use (PEP 562), so ``import activelab`` — and every
tool built on it, such as the labeling server and the command line — does not pay for
scikit-learn until it needs it.
"""

import importlib as _importlib

from ._errors import (
    ActiveLabError,
    ActiveLabWarning,
    BatchSizeError,
    ColdStartError,
    InvalidInputError,
    UnknownNameError,
)

__version__ = "0.1.0"

# public name -> the submodule that defines it
_LAZY = {
    "UNLABELED": "_labels",
    "labeled_mask": "_labels",
    "ParquetPool": "pools",
    "propose": "_query",
    "query": "_query",
    "ActiveLoop": "loop",
    "build_context": "loop",
    "SimulationResult": "_simulate",
    "TaskResult": "_tasks",
    "simulate": "_simulate",
    "embed": "embeddings",
    "PoolContext": "strategies",
    "ScoreStrategy": "strategies",
    "Selection": "strategies",
    "Strategy": "strategies",
    "describe_strategies": "strategies",
    "make_strategy": "strategies",
    "register": "strategies",
    "strategy_names": "strategies",
}


#: The other settings' packages (issue 17): ``activelab.stream.run_stream(...)`` works after a
#: plain ``import activelab``, importing the package on first use.
_SUBPACKAGES = ("regression", "multilabel", "stream")


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        return _importlib.import_module(f".{name}", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ActiveLabError",
    "ActiveLoop",
    "ActiveLabWarning",
    "BatchSizeError",
    "ColdStartError",
    "InvalidInputError",
    "ParquetPool",
    "PoolContext",
    "ScoreStrategy",
    "Selection",
    "SimulationResult",
    "Strategy",
    "TaskResult",
    "UNLABELED",
    "UnknownNameError",
    "__version__",
    "build_context",
    "describe_strategies",
    "embed",
    "labeled_mask",
    "make_strategy",
    "propose",
    "query",
    "register",
    "simulate",
    "strategy_names",
]
