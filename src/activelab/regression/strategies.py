"""Query strategies for regression and their registry (`make_regression_strategy`).

Each is an `activelab.strategies.Strategy` (``select(ctx, batch_size, rng) -> Selection``) that
reads a `PoolContext` whose `model` is a `FittedRegressor` and whose `factory` trains regressors,
so the shared `ActiveLoop` runs them. The label-free exploration strategies of the main registry
(`coreset`, `typiclust`, `kmeans`) and `random` are offered unchanged under the same names.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from .._errors import ColdStartError, InvalidInputError, UnknownNameError
from .._validation import take_rows
from ..strategies import PoolContext, Selection, Strategy, make_strategy, top_k
from ..strategies.params import Interval
from .models import FittedRegressor, SklearnRegressor, bootstrap_regressors, default_gp
from .scores import emc_scores, greedy_x, greedy_y, improved_greedy, variance_scores

#: Strategies of the main registry that need no labels (or no model) and serve regression as is.
SHARED_STRATEGIES = ("coreset", "kmeans", "random", "typiclust")


class RegressionStrategy(Strategy):
    """Base of the regression strategies: helpers to read the fitted regressor from the context."""

    def _model(self, ctx: PoolContext) -> FittedRegressor:
        model = ctx.model
        if model is None or not callable(getattr(model, "predict", None)):
            raise ColdStartError(
                f"{self.name} needs a fitted regressor; label rows with at least two different "
                "target values first, or start with 'random', 'coreset' or 'greedy_x'.")
        return model

    def _predict(self, ctx: PoolContext) -> np.ndarray:
        """The model's predictions for the candidates, shape (n_candidates,)."""
        return _predict_rows(self._model(ctx).predict, ctx.X, ctx.candidate_idx)

    def _committee(self, ctx: PoolContext, n_members: int) -> np.ndarray:
        """Predictions of a bootstrap committee of the context's model factory for the
        candidates, shape (n_members, n_candidates); the members are kept as ``ctx.members``."""
        factory = ctx.factory if ctx.factory is not None else SklearnRegressor()
        members = bootstrap_regressors(factory, ctx.X, ctx.y, ctx.labeled_idx, n_members,
                                       ctx.random_state)
        ctx.members = members
        return np.stack([_predict_rows(m.predict, ctx.X, ctx.candidate_idx) for m in members])

    def _top(self, scores: np.ndarray, ctx: PoolContext, batch_size: int, rng) -> Selection:
        cand = ctx.candidate_idx
        pos = top_k(scores, batch_size, rng)
        return Selection(idx=cand[pos], scores=scores, candidate_idx=cand)


#: Rows per predict call: the candidates' inputs are gathered a block at a time, never whole.
_PREDICT_ROWS = 65_536


def _predict_rows(fn, X, idx: np.ndarray) -> np.ndarray:
    """``fn(X[idx])`` as float64 of shape (len(idx),), a block of rows at a time."""
    out = np.empty(idx.shape[0], dtype=np.float64)
    for a in range(0, idx.shape[0], _PREDICT_ROWS):
        out[a:a + _PREDICT_ROWS] = np.asarray(fn(take_rows(X, idx[a:a + _PREDICT_ROWS])),
                                              dtype=np.float64).reshape(-1)
    return out


class Variance(RegressionStrategy):
    """Query by committee for regression: the candidates on whose prediction a bootstrap committee
    disagrees most (variance of the members' predictions).

    Parameters
    ----------
    n_members : int, default 5
        Committee size; members are the model trained on bootstrap resamples of the labeled rows.

    Reference: Burbidge, Rowland & King 2007, "Active Learning for Regression Based on Query by
    Committee" (IDEAL, LNCS 4881).
    """

    name = "variance"
    family = "exploitation"
    reference = ("Burbidge, Rowland & King 2007, Active Learning for Regression Based on Query "
                 "by Committee (IDEAL)")
    needs_model = False
    needs_factory = True
    _parameter_constraints: ClassVar[dict] = {"n_members": [Interval("int", 2)]}

    def __init__(self, n_members: int = 5) -> None:
        self.n_members = n_members

    def select(self, ctx: PoolContext, batch_size: int, rng: np.random.Generator) -> Selection:
        self._validate_params()
        return self._top(variance_scores(self._committee(ctx, self.n_members)), ctx,
                         batch_size, rng)


class GPStd(RegressionStrategy):
    """The candidates with the largest predictive standard deviation of a Gaussian process.

    Uses the fitted model's own predictive std when it has one (the `gp` model); otherwise fits
    scikit-learn's GaussianProcessRegressor (`kernel`, default constant × RBF + white noise,
    normalized targets) on the labeled rows, through the model seam, for the round.

    Parameters
    ----------
    kernel : scikit-learn kernel or None
        For the strategy's own GP (ignored when the model has a predictive std).

    Reference: the maximum-standard-deviation query of GP regression (e.g. MacKay 1992,
    "Information-based objective functions for active data selection"; modAL's
    `max_std_sampling`); Rasmussen & Williams 2006, Gaussian Processes for Machine Learning.
    """

    name = "gp_std"
    family = "exploitation"
    reference = ("MacKay 1992, Information-based objective functions for active data selection; "
                 "Rasmussen & Williams 2006, Gaussian Processes for Machine Learning")
    needs_model = True  # reads the model's own std when it has one

    def __init__(self, kernel=None) -> None:
        self.kernel = kernel

    def select(self, ctx: PoolContext, batch_size: int, rng: np.random.Generator) -> Selection:
        from sklearn.gaussian_process.kernels import Kernel

        if self.kernel is not None and not isinstance(self.kernel, Kernel):
            raise InvalidInputError(
                f"gp_std: kernel must be a scikit-learn GP kernel or None; got {self.kernel!r}.")
        model = ctx.model
        if model is None or not callable(getattr(model, "predict_std", None)):
            gp = default_gp()
            if self.kernel is not None:
                gp.set_params(kernel=self.kernel)
            model = SklearnRegressor(gp).fit(ctx.X, ctx.y, ctx.labeled_idx,
                                             random_state=ctx.random_state)
        return self._top(_predict_rows(model.predict_std, ctx.X, ctx.candidate_idx), ctx,
                         batch_size, rng)


class GreedyX(RegressionStrategy):
    """GSx: greedy sampling in the input space — each pick the candidate farthest from the labeled
    rows and the earlier picks (needs no model nor labels; with none, the first pick is the row
    nearest the pool's centroid). Geometry: `PoolContext.features()`.

    Reference: Wu, Lin & Huang 2019, "Active learning for regression using greedy sampling",
    Information Sciences 474:90–105 (GSx); Yu & Kim 2010 (passive sampling for regression).
    """

    name = "greedy_x"
    family = "exploration"
    reference = ("Wu, Lin & Huang 2019, Active learning for regression using greedy sampling "
                 "(Information Sciences 474)")
    needs_model = False
    reports_scores = "sometimes"

    def select(self, ctx: PoolContext, batch_size: int, rng: np.random.Generator) -> Selection:
        cand = ctx.candidate_idx
        idx, scores = greedy_x(ctx.features(), ctx.labeled_idx, cand, batch_size)
        return Selection(idx=idx, scores=scores if ctx.labeled_idx.size else None,
                         candidate_idx=cand)


class GreedyY(RegressionStrategy):
    """GSy: greedy sampling in the output space — each pick the candidate whose predicted target
    is farthest from every labeled target (and from the earlier picks' predictions).

    Reference: Wu, Lin & Huang 2019, "Active learning for regression using greedy sampling",
    Information Sciences 474:90–105 (GSy).
    """

    name = "greedy_y"
    family = "exploitation"
    reference = ("Wu, Lin & Huang 2019, Active learning for regression using greedy sampling "
                 "(Information Sciences 474)")
    needs_model = True

    def select(self, ctx: PoolContext, batch_size: int, rng: np.random.Generator) -> Selection:
        cand = ctx.candidate_idx
        idx, scores = greedy_y(self._predict(ctx), ctx.y[ctx.labeled_idx], cand, batch_size)
        return Selection(idx=idx, scores=scores, candidate_idx=cand)


class ImprovedGreedy(RegressionStrategy):
    """iGS: greedy sampling in input and output space together — each pick maximizes the smallest
    product ||x − x_m||·|f(x) − y_m| over labeled rows and earlier picks.

    Reference: Wu, Lin & Huang 2019, "Active learning for regression using greedy sampling",
    Information Sciences 474:90–105 (iGS).
    """

    name = "igs"
    family = "hybrid"
    reference = ("Wu, Lin & Huang 2019, Active learning for regression using greedy sampling "
                 "(Information Sciences 474)")
    needs_model = True

    def select(self, ctx: PoolContext, batch_size: int, rng: np.random.Generator) -> Selection:
        cand = ctx.candidate_idx
        lab = ctx.labeled_idx
        idx, scores = improved_greedy(ctx.features(), self._predict(ctx), lab, ctx.y[lab], cand,
                                      batch_size)
        return Selection(idx=idx, scores=scores, candidate_idx=cand)


class ExpectedModelChange(RegressionStrategy):
    """EMCM: the candidates whose label would change a linear model most — the expected gradient
    length |f(x) − y_k(x)|·||x|| averaged over a bootstrap ensemble's predictions y_k(x).

    Parameters
    ----------
    n_members : int, default 4
        Bootstrap members estimating the label distribution.
    feature_map : callable or None
        φ(X) of shape (n, d') whose norm scales the gradient; default the model's inputs X
        (as scikit-activeml's default identity map).

    Reference: Cai, Zhang & Zhou 2013, "Maximizing Expected Model Change for Active Learning in
    Regression" (ICDM), Algorithm 1.
    """

    name = "emc"
    family = "exploitation"
    reference = ("Cai, Zhang & Zhou 2013, Maximizing Expected Model Change for Active Learning "
                 "in Regression (ICDM)")
    needs_model = True
    needs_factory = True
    _parameter_constraints: ClassVar[dict] = {"n_members": [Interval("int", 2)]}

    def __init__(self, n_members: int = 4, feature_map=None) -> None:
        self.n_members = n_members
        self.feature_map = feature_map

    def select(self, ctx: PoolContext, batch_size: int, rng: np.random.Generator) -> Selection:
        self._validate_params()
        if self.feature_map is not None and not callable(self.feature_map):
            raise InvalidInputError("emc: feature_map must be a callable φ(X) or None.")
        X_cand = take_rows(ctx.X, ctx.candidate_idx)
        phi = self.feature_map(X_cand) if self.feature_map is not None else X_cand
        phi = np.asarray(phi.toarray() if hasattr(phi, "toarray") else phi, dtype=np.float64)
        phi = phi.reshape(phi.shape[0], -1)
        scores = emc_scores(self._predict(ctx), self._committee(ctx, self.n_members), phi)
        return self._top(scores, ctx, batch_size, rng)


_STRATEGIES: dict[str, type[RegressionStrategy]] = {
    cls.name: cls for cls in (Variance, GPStd, GreedyX, GreedyY, ImprovedGreedy, ExpectedModelChange)
}


def regression_strategy_names() -> list[str]:
    """Names `make_regression_strategy` knows, sorted: the regression strategies and the shared
    label-free ones."""
    return sorted([*_STRATEGIES, *SHARED_STRATEGIES])


def make_regression_strategy(strategy, **params) -> Strategy:
    """A strategy from a name (with params) or a Strategy instance (params set on a clone)."""
    if isinstance(strategy, Strategy):
        return make_strategy(strategy, **params)
    if not isinstance(strategy, str):
        raise InvalidInputError(
            f"strategy must be a name or a Strategy; got {type(strategy).__name__}.")
    if strategy in SHARED_STRATEGIES:
        return make_strategy(strategy, **params)
    if strategy not in _STRATEGIES:
        raise UnknownNameError("regression strategy", strategy, regression_strategy_names())
    cls = _STRATEGIES[strategy]
    try:
        return cls(**params)
    except TypeError:
        import inspect

        allowed = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
        raise InvalidInputError(
            f"strategy {strategy!r} does not take parameters {sorted(params)}; "
            f"it takes {allowed or 'none'}.") from None


def describe_regression_strategies() -> list[tuple[str, str, str]]:
    """(name, family, reference) per regression strategy, for listings and docs."""
    out = []
    for name in regression_strategy_names():
        cls = _STRATEGIES.get(name) or type(make_strategy(name))
        out.append((name, cls.family, cls.reference))
    return out
