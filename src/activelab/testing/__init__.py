"""The conformance kit: every strategy, ours or yours, held to one executable contract.

`check_strategy` runs every check on a Strategy class or instance and raises AssertionError
naming the strategy and each check it failed; `parametrize_with_checks` turns the same checks
into pytest cases (as scikit-learn's `parametrize_with_checks` does). A strategy author writes::

    @parametrize_with_checks([MyStrategy, MyStrategy(k=3)])
    def test_my_strategy(strategy, check):
        check(strategy)

or, outside pytest, ``check_strategy(MyStrategy)``. The checks, each ``check_*(strategy)``:

- metadata: name, family, reference, docstring, reports_scores, needs_model; family
  "adaptive" exactly when `update` is overridden; a registered name belongs to this class;
- init_stores_params: ``__init__`` stores each argument as given (the very object: no
  validation, no copy), sets nothing else, and every parameter has a default;
- clone: ``clone`` keeps every parameter and ``repr`` survives the round trip;
- contract: exactly batch_size distinct, in-range, unlabeled rows for batch sizes 1, 3 and the
  whole unlabeled pool; X, y, the context and the user's model (unfitted or fitted) untouched;
- determinism: the same seed gives the same rows and scores whatever the global RNGs hold;
- select_does_not_learn: ``select`` sets no attribute and changes no parameter;
- param_validation: ``_parameter_constraints`` names only parameters, and ``select`` rejects
  a nonsense value of any parameter with an activelab error that names it;
- cold_start: an exploration strategy (needs_model=False) selects from zero labels with no
  model; a model strategy raises ColdStartError there, with a message that says to label;
- rounds: four rounds through `ActiveLoop` with true labels (from zero labels for
  exploration strategies); an adaptive strategy holds learned state afterwards, reads it
  without changing it, names its arm in ``info["arm"]`` and repeats itself under a seed; any
  other strategy holds none;
- scores: "always" — one finite score per candidate, candidates = the unlabeled rows in
  increasing order, the chosen rows among them; "never" — None; "sometimes" — aligned when
  present.

The pools are small and generated here with fixed seeds; the model is a logistic regression.
Importing this module imports no test framework; `parametrize_with_checks` imports pytest.
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from threadpoolctl import threadpool_limits

from ..strategies import FAMILIES, SCORE_REPORTING, Strategy
from ._checks import (
    CHECKS,
    check_metadata,
    check_init_stores_params,
    check_clone,
    check_contract,
    check_determinism,
    check_select_does_not_learn,
    check_param_validation,
    check_cold_start,
    check_rounds,
    check_scores,
)
from ._pool import _same

__all__ = [
    "CHECKS",
    "FAMILIES",
    "SCORE_REPORTING",
    "check_clone",
    "check_cold_start",
    "check_contract",
    "check_determinism",
    "check_init_stores_params",
    "check_metadata",
    "check_param_validation",
    "check_rounds",
    "check_scores",
    "check_select_does_not_learn",
    "check_strategy",
    "parametrize_with_checks",
    "strategy_checks",
]


# -- running them --------------------------------------------------------------------------------


def _label(strategy) -> str:
    """`name` for a class, `name(param=value,...)` (non-default parameters) for an instance:
    a readable test id."""
    cls = strategy if isinstance(strategy, type) else type(strategy)
    name = cls.name or cls.__name__
    if strategy is cls or cls.__init__ is object.__init__:
        return name
    try:
        defaults = {p.name: p.default for p in inspect.signature(cls.__init__).parameters.values()}
        changed = [f"{k}={v!r}" for k, v in strategy.get_params(deep=False).items()
                   if k not in defaults or not _same(v, defaults[k])]
    except Exception:  # noqa: BLE001 -- a broken strategy still gets an id; its checks say why
        return name
    return f"{name}({','.join(changed)})" if changed else name


def _as_strategy(strategy) -> Strategy:
    """A fresh instance: the class built with defaults, or a deep copy of the instance."""
    if isinstance(strategy, type):
        return strategy()
    return copy.deepcopy(strategy)


def _check_is_strategy(strategy) -> None:
    is_class = isinstance(strategy, type) and issubclass(strategy, Strategy)
    if not (is_class or isinstance(strategy, Strategy)):
        raise TypeError(f"expected a Strategy subclass or instance; got {strategy!r}")


@dataclass(frozen=True)
class _Check:
    """One check, callable on a strategy class or instance; failures become AssertionErrors
    that name the check and the strategy."""

    name: str
    fn: Callable[[Strategy], None]

    def __call__(self, strategy) -> None:
        cls = strategy if isinstance(strategy, type) else type(strategy)
        who = f"strategy {_label(strategy)!r} ({cls.__name__})"
        try:
            with threadpool_limits(limits=1):  # tiny arrays: extra BLAS threads only contend
                self.fn(_as_strategy(strategy))
        except AssertionError as exc:
            raise AssertionError(f"{self.name} failed for {who}: {exc}") from exc
        except Exception as exc:
            raise AssertionError(
                f"{self.name} failed for {who}: {type(exc).__name__}: {exc}"
            ) from exc

    def __repr__(self) -> str:
        return self.name


_ALL = tuple(_Check(fn.__name__, fn) for fn in CHECKS)


def strategy_checks(strategy) -> Iterator[tuple[str, Callable[[], None]]]:
    """Every check bound to `strategy`, for running them one by one.

    Parameters
    ----------
    strategy : Strategy subclass or instance
        A class is built with its defaults; an instance is deep-copied for each check.

    Yields
    ------
    (str, callable)
        The check's name (``check_contract``, ...) and a function of no arguments that runs it
        and raises AssertionError naming the check and the strategy on failure.
    """
    _check_is_strategy(strategy)
    for check in _ALL:
        yield check.name, functools.partial(check, strategy)


def check_strategy(strategy) -> None:
    """Run every conformance check on `strategy`; raise one AssertionError listing the failures.

    Parameters
    ----------
    strategy : Strategy subclass or instance
        A class is built with its defaults; an instance is deep-copied for each check.

    Raises
    ------
    AssertionError
        Naming the strategy and each failed check with its reason; the first failure is chained.
    """
    failures = []
    for _, run in strategy_checks(strategy):
        try:
            run()
        except AssertionError as exc:
            failures.append(exc)
    if failures:
        lines = "\n".join(f"- {exc}" for exc in failures)
        count = f"{len(failures)} of {len(_ALL)} checks failed"
        raise AssertionError(f"{count}:\n{lines}") from failures[0]


def parametrize_with_checks(
    strategies: Iterable, *, expected_failed_checks: Mapping[str, Mapping[str, str]] | None = None,
):
    """A ``pytest.mark.parametrize`` over every (strategy, check) pair, ids ``name-check_name``.

    Parameters
    ----------
    strategies : iterable of Strategy subclasses or instances
    expected_failed_checks : mapping, optional
        ``{strategy name: {check name: reason}}``: these pairs are marked
        ``xfail(strict=True)``, so a fixed strategy turns its entry into an error to remove.

    Returns
    -------
    pytest.MarkDecorator
        For a test ``def test_x(strategy, check): check(strategy)``.
    """
    import pytest  # only here: importing activelab never imports a test framework

    expected = expected_failed_checks or {}
    params = []
    for strategy in strategies:
        _check_is_strategy(strategy)
        name = strategy.name if isinstance(strategy, type) else type(strategy).name
        reasons = expected.get(name, {})
        unknown = set(reasons) - {c.name for c in _ALL}
        if unknown:
            raise ValueError(f"expected_failed_checks names unknown checks {sorted(unknown)}")
        for check in _ALL:
            marks = [pytest.mark.xfail(strict=True, reason=reasons[check.name])] \
                if check.name in reasons else []
            params.append(pytest.param(strategy, check, id=f"{_label(strategy)}-{check.name}",
                                       marks=marks))
    return pytest.mark.parametrize(("strategy", "check"), params)

