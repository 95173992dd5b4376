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
import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from ._errors import ActiveLabError, ColdStartError
from ._labels import UNLABELED
from .loop import ActiveLoop, build_context
from .models import SklearnModel
from .strategies import PoolContext, Selection, Strategy, strategy_class, strategy_names

__all__ = ["check_strategy", "parametrize_with_checks", "strategy_checks"]

# the values `activelab.register` accepts (kept in step with activelab.strategies)
FAMILIES = ("baseline", "exploitation", "exploration", "hybrid", "adaptive")
SCORE_REPORTING = ("always", "never", "sometimes")

_N, _N_FEATURES, _N_CLASSES, _PER_CLASS = 30, 4, 3, 2
_BATCH, _ROUNDS, _SEED = 3, 4, 0


# -- data and helpers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pool:
    X: np.ndarray
    y_true: np.ndarray
    y: np.ndarray  # _PER_CLASS labels of every class
    y_cold: np.ndarray  # no label at all
    y_one_class: np.ndarray  # labels of a single class
    classes: np.ndarray


def _pool(seed: int = _SEED) -> _Pool:
    """A 30-row, 3-class pool; a fresh copy each call, so a check may compare against it."""
    X, y_true = make_classification(
        n_samples=_N, n_features=_N_FEATURES, n_informative=3, n_redundant=0,
        n_classes=_N_CLASSES, n_clusters_per_class=1, random_state=seed,
    )
    seed_idx = np.concatenate([np.flatnonzero(y_true == c)[:_PER_CLASS] for c in range(_N_CLASSES)])
    y = np.full(_N, UNLABELED)
    y[seed_idx] = y_true[seed_idx]
    y_one = np.full(_N, UNLABELED)
    y_one[seed_idx[:_PER_CLASS]] = y_true[seed_idx[:_PER_CLASS]]
    return _Pool(X, y_true, y, np.full(_N, UNLABELED), y_one, np.arange(_N_CLASSES))


def _model() -> LogisticRegression:
    return LogisticRegression(max_iter=200)


def _context(strategy: Strategy, pool: _Pool, model=None, seed: int = _SEED) -> PoolContext:
    return build_context(pool.X, pool.y, strategy=strategy, classes=pool.classes,
                         model=_model() if model is None else model, random_state=seed)


def _select(strategy: Strategy, ctx: PoolContext, batch_size: int, seed: int = _SEED) -> Selection:
    return strategy.select(ctx, batch_size, np.random.default_rng(seed))


def _is_adaptive(cls: type) -> bool:
    return cls.update is not Strategy.update


def _learned(obj) -> list[str]:
    """Public attributes ending in ``_``: learned state, by scikit-learn's convention."""
    return sorted(a for a in vars(obj) if a.endswith("_") and not a.startswith("_"))


def _assert_selection(sel, ctx: PoolContext, batch_size: int) -> np.ndarray:
    assert isinstance(sel, Selection), f"select returned {type(sel).__name__}, not a Selection"
    idx = np.asarray(sel.idx)
    assert idx.dtype.kind in "iu", f"idx must hold integer row positions; got dtype {idx.dtype}"
    assert idx.shape == (batch_size,), f"asked for {batch_size} rows, got idx of shape {idx.shape}"
    assert np.unique(idx).size == batch_size, f"idx repeats rows: {idx.tolist()}"
    n = ctx.n_samples
    assert ((idx >= 0) & (idx < n)).all(), f"idx outside [0, {n}): {idx.tolist()}"
    assert not ctx.labeled[idx].any(), f"idx holds labeled rows {idx[ctx.labeled[idx]].tolist()}"
    return idx


def _assert_scores_aligned(sel: Selection, ctx: PoolContext) -> None:
    scores = np.asarray(sel.scores)
    assert sel.candidate_idx is not None, "scores without candidate_idx"
    cand = np.asarray(sel.candidate_idx)
    assert np.array_equal(cand, ctx.candidate_idx), (
        "candidate_idx must be the unlabeled rows in increasing order (ctx.candidate_idx)"
    )
    assert scores.shape == cand.shape, f"scores of shape {scores.shape}, {cand.shape[0]} candidates"
    assert scores.dtype.kind in "fiu", f"scores must be real numbers; got dtype {scores.dtype}"
    assert np.isfinite(scores).all(), "scores hold NaN or inf"
    assert np.isin(np.asarray(sel.idx), cand).all(), "chosen rows are not all candidates"


def _same(a, b) -> bool:
    """Deep equality of parameter values (arrays, estimators, containers, plain objects)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, BaseEstimator):
        return _same(a.get_params(deep=False), b.get_params(deep=False))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, z) for x, z in zip(a, b))
    if isinstance(a, float) and np.isnan(a) and np.isnan(b):
        return True
    if type(a).__eq__ is object.__eq__ and hasattr(a, "__dict__"):
        return _same(vars(a), vars(b))
    return bool(a == b)


def _raises_cold_start(strategy: Strategy, ctx: PoolContext, what: str) -> None:
    try:
        _select(strategy, ctx, _BATCH)
    except ColdStartError as exc:
        assert "label" in str(exc).lower(), (
            f"the ColdStartError for {what} should say what to label; got {str(exc)!r}"
        )
    else:
        raise AssertionError(
            f"needs_model=True, yet select worked with {what} and no model; raise ColdStartError "
            "(ctx.require_model does) or declare needs_model=False"
        )


# -- the checks ----------------------------------------------------------------------------------


def check_metadata(strategy: Strategy) -> None:
    """Class facts the registry, the CLI and the loop read are set and consistent."""
    cls = type(strategy)
    assert isinstance(cls.name, str) and cls.name, "set the class attribute name"
    assert cls.family in FAMILIES, f"family must be one of {FAMILIES}; got {cls.family!r}"
    assert isinstance(cls.reference, str) and cls.reference, "set reference (the paper)"
    assert (cls.__doc__ or "").strip(), "the class needs a docstring (its first line is listed)"
    assert cls.reports_scores in SCORE_REPORTING, (
        f"reports_scores must be one of {SCORE_REPORTING}; got {cls.reports_scores!r}"
    )
    for flag in ("needs_model", "needs_factory"):
        assert isinstance(getattr(cls, flag), bool), f"{flag} must be a bool"
    assert cls.select is not Strategy.select, "implement select"
    assert (cls.family == "adaptive") == _is_adaptive(cls), (
        "family 'adaptive' goes with overriding update (the loop calls update exactly then)"
    )
    if cls.name in strategy_names():
        owner = strategy_class(cls.name)
        assert owner is cls, f"the name {cls.name!r} is registered to {owner.__qualname__}"


class _Sentinel:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<sentinel {self.name}>"


def _stored_as_given(given, stored) -> bool:
    if stored is given:
        return True
    primitive = (bool, int, float, complex, str, bytes, type(None))
    return isinstance(given, primitive) and type(stored) is type(given) and _same(stored, given)


def check_init_stores_params(strategy: Strategy) -> None:
    """``__init__`` only stores its keyword arguments (scikit-learn's rule), so get_params,
    set_params, clone and repr work; validation belongs in select."""
    cls = type(strategy)
    init = cls.__init__
    params = [] if init is object.__init__ else [
        p for p in inspect.signature(init).parameters.values() if p.name != "self"
    ]
    for p in params:
        assert p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD), (
            f"__init__ takes *{p.name}; name every parameter"
        )
        assert p.default is not p.empty, f"parameter {p.name!r} needs a default"
    names = [p.name for p in params]
    for label, given in (("the defaults", {p.name: p.default for p in params}),
                         ("this instance's parameters", strategy.get_params(deep=False)),
                         ("arbitrary objects", {n: _Sentinel(n) for n in names})):
        try:
            obj = cls(**given)
        except Exception as exc:
            raise AssertionError(
                f"__init__ raised with {label} ({exc!r}); validate in select"
            ) from exc
        for n in names:
            assert hasattr(obj, n), f"__init__ does not store {n!r} as self.{n}"
            assert _stored_as_given(given[n], getattr(obj, n)), (
                f"__init__ changed {n!r} ({given[n]!r} -> {getattr(obj, n)!r}); store it as given"
            )
        extra = sorted(set(vars(obj)) - set(names))
        assert not extra, f"__init__ sets attributes that are not parameters: {extra}"
    obj = cls()
    obj.set_params(**{n: _Sentinel(n) for n in names})
    assert all(isinstance(getattr(obj, n), _Sentinel) for n in names), "set_params did not store"


def check_clone(strategy: Strategy) -> None:
    """``clone`` gives an equal, fresh strategy and ``repr`` is stable across the round trip."""
    twin = clone(strategy)
    assert type(twin) is type(strategy), f"clone gave {type(twin).__name__}"
    assert twin is not strategy
    before, after = strategy.get_params(deep=False), twin.get_params(deep=False)
    assert before.keys() == after.keys(), f"clone changed the parameter names {sorted(after)}"
    changed = [k for k in before if not _same(before[k], after[k])]
    assert not changed, f"clone changed parameters {changed}"
    assert repr(twin) == repr(strategy), f"repr differs after clone: {strategy!r} vs {twin!r}"
    assert _learned(twin) == [], f"a clone holds learned state {_learned(twin)}"


def check_contract(strategy: Strategy) -> None:
    """batch_size distinct unlabeled in-range rows (1, 3, the whole unlabeled pool); the
    inputs, the context and the user's model are never changed."""
    pool = _pool()
    X0, y0 = pool.X.copy(), pool.y.copy()
    model = _model()
    model_params = copy.deepcopy(model.get_params())
    ctx = _context(strategy, pool, model=model)
    n_unlabeled = int((~ctx.labeled).sum())
    for batch_size in (1, _BATCH, n_unlabeled):
        sel = _select(strategy, ctx, batch_size)
        idx = _assert_selection(sel, ctx, batch_size)
        if batch_size == n_unlabeled:
            whole = np.flatnonzero(y0 == UNLABELED)
            assert np.array_equal(np.sort(idx), whole), "the whole pool, yet not every row"
    assert np.array_equal(pool.X, X0), "select changed X in place"
    assert np.array_equal(pool.y, y0) and np.array_equal(ctx.y, y0), "select changed y in place"
    assert np.array_equal(ctx.labeled, y0 != UNLABELED), "select changed ctx.labeled"
    assert not hasattr(model, "coef_"), "the user's unfitted model was fitted in place"
    assert _same(model.get_params(), model_params), "the user's model parameters changed"
    lab = np.flatnonzero(y0 != UNLABELED)
    fitted = _model().fit(pool.X[lab], pool.y[lab])
    coef = fitted.coef_.copy()
    sel = _select(strategy, _context(strategy, pool, model=fitted), _BATCH)
    _assert_selection(sel, ctx, _BATCH)
    assert np.array_equal(fitted.coef_, coef), "the user's fitted model was refitted in place"


def check_determinism(strategy: Strategy) -> None:
    """The same seed gives the same rows and scores; the global RNGs play no part."""
    pool = _pool()
    runs = []
    saved = np.random.get_state(), random.getstate()
    try:
        for global_seed in (1, 2):  # a strategy drawing from np.random or random differs here
            np.random.seed(global_seed)
            random.seed(global_seed)
            runs.append(_select(strategy, _context(strategy, pool, seed=7), 4, seed=7))
    finally:
        np.random.set_state(saved[0])
        random.setstate(saved[1])
    a, b = runs
    assert np.array_equal(np.asarray(a.idx), np.asarray(b.idx)), (
        f"same seed, different rows: {np.asarray(a.idx).tolist()} vs {np.asarray(b.idx).tolist()}; "
        "draw only from the rng passed to select"
    )
    assert (a.scores is None) == (b.scores is None), "same seed, scores present only once"
    if a.scores is not None:
        assert _same(np.asarray(a.scores), np.asarray(b.scores)), "same seed, different scores"


def check_select_does_not_learn(strategy: Strategy) -> None:
    """``select`` sets no attribute (learned state comes from update) and leaves every
    parameter as it was, the same object with the same content."""
    params = strategy.get_params(deep=False)
    snapshot = copy.deepcopy(params)
    attrs = set(vars(strategy))
    _select(strategy, _context(strategy, _pool()), _BATCH)
    new = sorted(set(vars(strategy)) - attrs)
    assert not new, f"select set attributes {new}; a strategy learns only in update"
    for name, value in params.items():
        assert getattr(strategy, name) is value, f"select replaced parameter {name!r}"
        assert _same(value, snapshot[name]), f"select changed parameter {name!r} in place"


def check_param_validation(strategy: Strategy) -> None:
    """Parameters are checked when the strategy runs: a nonsense value of any of them makes
    select raise an activelab error that names it (not a TypeError deep inside)."""
    constraints = getattr(type(strategy), "_parameter_constraints", {})
    params = strategy.get_params(deep=False)
    unknown = sorted(set(constraints) - set(params))
    assert not unknown, f"_parameter_constraints names non-parameters {unknown}"
    ctx = _context(strategy, _pool())
    for name in params:
        bad = clone(strategy).set_params(**{name: _Sentinel(name)})
        try:
            _select(bad, ctx, _BATCH)
        except ActiveLabError as exc:
            assert name in str(exc), f"the error for a bad {name!r} does not name it: {exc}"
        except Exception as exc:
            raise AssertionError(
                f"{name}=<object> raised {type(exc).__name__}: {exc}; declare the parameter in "
                "_parameter_constraints (checked by self._validate_params() in select)"
            ) from exc
        else:
            raise AssertionError(
                f"select accepted {name}=<object>; declare the parameter in "
                "_parameter_constraints and call self._validate_params() in select"
            )


def check_cold_start(strategy: Strategy) -> None:
    """With no label, an exploration strategy selects without a model; a model strategy
    raises ColdStartError (also with a single class labeled)."""
    pool = _pool()
    if not type(strategy).needs_model:
        ctx = PoolContext(X=pool.X, y=pool.y_cold, classes=pool.classes)
        _assert_selection(_select(strategy, ctx, _BATCH), ctx, _BATCH)
        return
    factory = SklearnModel(_model())
    for y, what in ((pool.y_cold, "no label"), (pool.y_one_class, "a single class labeled")):
        _raises_cold_start(strategy, PoolContext(X=pool.X, y=y, classes=pool.classes,
                                                 factory=factory), what)


def _run_rounds(strategy: Strategy, pool: _Pool, y0: np.ndarray) -> ActiveLoop:
    loop = ActiveLoop(pool.X, y0, strategy=strategy, model=_model(), classes=pool.classes,
                      random_state=_SEED)
    for _ in range(_ROUNDS):
        sel = loop.propose(_BATCH)
        loop.teach(sel.idx, pool.y_true[sel.idx])
    loop.fit()  # hands the last round's feedback to an adaptive strategy
    return loop


def check_rounds(strategy: Strategy) -> None:
    """Four rounds through ActiveLoop with true labels, from zero labels when the strategy
    needs no model; adaptive strategies learn, read their state without changing it, and
    repeat themselves under a seed; others hold no state."""
    pool = _pool()
    cold = not type(strategy).needs_model
    y0 = pool.y_cold if cold else pool.y
    loop = _run_rounds(strategy, pool, y0)
    assert len(loop.history) == _ROUNDS, f"{len(loop.history)} rounds recorded, not {_ROUNDS}"
    assert int(loop.labeled.sum()) == int((y0 != UNLABELED).sum()) + _ROUNDS * _BATCH
    live = loop.strategy
    if not _is_adaptive(type(strategy)):
        assert _learned(live) == [], f"a non-adaptive strategy learned {_learned(live)}"
        return
    assert _learned(live), "an adaptive strategy holds no learned state (ending in _) after rounds"
    missing = [i for i, r in enumerate(loop.history) if "arm" not in r.selection.info]
    assert not missing, f"rounds {missing}: adaptive strategies name their arm in info['arm']"
    state = copy.deepcopy({a: getattr(live, a) for a in _learned(live)})
    _select(live, loop.context(), _BATCH)
    changed = [a for a in state if not _same(state[a], getattr(live, a))]
    assert not changed, f"select changed learned state {changed}"
    again = _run_rounds(strategy, pool, y0)
    picks = [[np.asarray(r.selection.idx).tolist() for r in lp.history] for lp in (loop, again)]
    assert picks[0] == picks[1], f"same seed, different rounds: {picks[0]} vs {picks[1]}"


def check_scores(strategy: Strategy) -> None:
    """Selection.scores keeps the promise of reports_scores, with an exploration strategy's
    cold start included."""
    pool = _pool()
    contexts = [_context(strategy, pool)]
    if not type(strategy).needs_model:
        contexts.append(PoolContext(X=pool.X, y=pool.y_cold, classes=pool.classes))
    promise = type(strategy).reports_scores
    for ctx in contexts:
        sel = _select(strategy, ctx, 4)
        where = f"with {int(ctx.labeled.sum())} labels"
        if promise == "never":
            assert sel.scores is None, f"reports_scores='never' but scores were returned {where}"
            continue
        if promise == "always":
            assert sel.scores is not None, f"reports_scores='always' but scores is None {where}"
        if sel.scores is not None:
            try:
                _assert_scores_aligned(sel, ctx)
            except AssertionError as exc:
                raise AssertionError(f"{exc} {where}") from None


CHECKS: tuple[Callable[[Strategy], None], ...] = (
    check_metadata, check_init_stores_params, check_clone, check_contract, check_determinism,
    check_select_does_not_learn, check_param_validation, check_cold_start, check_rounds,
    check_scores,
)


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
