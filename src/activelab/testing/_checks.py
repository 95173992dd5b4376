"""The conformance checks, each ``check_*(strategy)`` on a fresh Strategy instance."""

from __future__ import annotations

import copy
import inspect
import random
from collections.abc import Callable

import numpy as np
from sklearn.base import clone

from .._errors import ActiveLabError
from .._labels import UNLABELED
from ..loop import ActiveLoop
from ..models import SklearnModel
from ..strategies import PoolContext, Strategy, strategy_class, strategy_names


from ..strategies import FAMILIES, SCORE_REPORTING
from ._pool import (
    _BATCH,
    _ROUNDS,
    _SEED,
    _Pool,
    _pool,
    _model,
    _context,
    _select,
    _is_adaptive,
    _learned,
    _assert_selection,
    _assert_scores_aligned,
    _same,
    _raises_cold_start,
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

