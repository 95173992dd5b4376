"""The exceptions activelab raises, all derived from one base class.

ActiveLabError
├── InvalidInputError (ValueError)      shapes, NaN/inf, bad parameter values, unreadable files
│   ├── BatchSizeError                 batch_size < 1 or larger than the unlabeled pool
│   └── ColdStartError                 a model-based strategy without enough labels
└── UnknownNameError (LookupError)      an unknown strategy, model or dataset name

Every message names the problem and, where there is one, the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ActiveLabError(Exception):
    """Base class of every error activelab raises on purpose."""


class InvalidInputError(ActiveLabError, ValueError):
    """The input cannot be used as given (shape, values, file contents, parameters)."""


class BatchSizeError(InvalidInputError):
    """The requested batch cannot be drawn from the unlabeled pool."""


class ColdStartError(InvalidInputError):
    """A strategy that needs a trained model was given too few labels to train one."""


class UnknownNameError(ActiveLabError, LookupError):
    """A name (strategy, model, dataset) that is not registered."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        known = sorted(known)
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        super().__init__(f"unknown {kind} {name!r}.{hint} Known: {', '.join(known)}.")
        self.kind = kind
        self.name = name
        self.close_matches = close

    def __str__(self) -> str:  # LookupError would otherwise repr() the message
        return str(self.args[0])


class ActiveLabWarning(UserWarning):
    """Something worked but likely not as the user meant (tests turn it into an error)."""
