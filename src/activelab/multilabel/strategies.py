"""Multi-label query strategies and their registry.

Every strategy is pure: `select(ctx, batch_size, rng) -> Selection` reads a `MultilabelContext`
(a fitted model's predictions, the labels) and returns row positions, most informative first;
a batch is the top `batch_size` scores with ties broken by `rng`. Adaptive alone fits extra
models (its look-ahead over β, as the paper does) — clones of the context's factory, never the
loop's model.
"""

from __future__ import annotations

import inspect
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, clone

from .._errors import InvalidInputError, UnknownNameError
from ..strategies import PoolContext, Selection, make_strategy, top_k
from . import scores as S
from .context import MultilabelContext

#: The strategy the loop, `simulate_multilabel` and `query_multilabel` use unless told otherwise:
#: the best on Yeast (+0.016 ± 0.012 micro-F1 AUC vs random over 5 seeds; Adaptive, +0.010 ±
#: 0.007, the other one above 2·SE); on the derived solar-flare set no model-based strategy beats
#: random (benchmarks/results/multilabel.md).
DEFAULT_STRATEGY = "mean_uncertainty"


class MultilabelStrategy(BaseEstimator):
    """Base class: subclasses set name, reference, needs_model and implement `select` or `scores`."""

    name: ClassVar[str] = ""
    reference: ClassVar[str] = ""
    family: ClassVar[str] = "exploitation"
    needs_model: ClassVar[bool] = True
    needs_factory: ClassVar[bool] = False

    def scores(self, ctx: MultilabelContext) -> np.ndarray:
        raise NotImplementedError

    def select(self, ctx: MultilabelContext, batch_size: int, rng: np.random.Generator) -> Selection:
        cand = ctx.candidate_idx
        scores = np.asarray(self.scores(ctx), dtype=np.float64)
        return Selection(idx=cand[top_k(scores, batch_size, rng)], scores=scores, candidate_idx=cand)


_REGISTRY: dict[str, type[MultilabelStrategy]] = {}


def _register(cls):
    _REGISTRY[cls.name] = cls
    return cls


@_register
class MultilabelRandom(MultilabelStrategy):
    """Uniform random rows (the passive baseline)."""

    name = "random"
    family = "baseline"
    reference = "Passive learning baseline"
    needs_model = False

    def select(self, ctx, batch_size, rng):
        return Selection(idx=rng.choice(ctx.candidate_idx, size=batch_size, replace=False))


@_register
class MeanUncertainty(MultilabelStrategy):
    """Binary uncertainty 1 − |2p − 1| per label, averaged over the labels."""

    name = "mean_uncertainty"
    reference = "Esuli & Sebastiani 2009, Active Learning Strategies for Multi-Label Text Classification (ECIR)"

    def scores(self, ctx):
        return S.mean_uncertainty_scores(ctx.proba(self.name))


@_register
class MaxUncertainty(MultilabelStrategy):
    """Binary uncertainty 1 − |2p − 1| of the most uncertain label."""

    name = "max_uncertainty"
    reference = "Esuli & Sebastiani 2009, Active Learning Strategies for Multi-Label Text Classification (ECIR)"

    def scores(self, ctx):
        return S.max_uncertainty_scores(ctx.proba(self.name))


@_register
class MMC(MultilabelStrategy):
    """Maximum loss reduction with maximal confidence.

    The number of labels of each candidate is predicted by a logistic regression on its sorted,
    normalized label probabilities (trained on the labeled rows' own predictions); its most
    probable labels get ŷ = +1, the rest −1, and the score is Σ_j (1 − ŷ_j f_j)/2.

    Parameters
    ----------
    outputs : "proba" (f = 2p − 1, bounded; as libact and ALiPy) or "decision" (the model's
        decision values: the paper's raw SVM outputs).
    C : inverse regularization of the label-count logistic regression.
    """

    name = "mmc"
    reference = ("Yang, Sun, Wang & Zhang 2009, Effective Multi-Label Active Learning for Text "
                 "Classification (KDD)")

    def __init__(self, outputs: str = "proba", C: float = 1.0):
        self.outputs = outputs
        self.C = C

    def scores(self, ctx):
        if self.outputs not in ("proba", "decision"):
            raise InvalidInputError(f"mmc: outputs must be 'proba' or 'decision'; got {self.outputs!r}.")
        proba = ctx.proba(self.name)
        f = 2.0 * proba - 1.0 if self.outputs == "proba" else ctx.decision(self.name)
        counts = self.cardinality_model(ctx).predict(proba)
        return S.mmc_scores(f, S.top_labels(proba, counts))

    def cardinality_model(self, ctx) -> S.CardinalityModel:
        """The label-count predictor fitted on the labeled rows' predicted probabilities."""
        lab_proba = ctx.proba_rows(ctx.labeled_idx, self.name)
        return S.CardinalityModel(C=self.C, random_state=ctx.random_state).fit(lab_proba, ctx.Y_labeled)


#: Li & Guo's grid of trade-offs between uncertainty (β = 1) and cardinality inconsistency (β = 0).
BETAS = tuple(i / 10 for i in range(11))


@_register
class Adaptive(MultilabelStrategy):
    """Max-margin uncertainty u combined with label cardinality inconsistency c as u^β c^(1−β).

    With `beta=None` (the paper's rule) β is chosen every round from `betas`: each β's top
    candidate (ties by `rng`) is added with its predicted labels, the model refitted, and the
    β whose refit has the lowest approximate hinge error on the unlabeled pool wins; the batch
    is the top `batch_size` of that β's scores. A float `beta` fixes it (no refits).
    """

    name = "adaptive"
    family = "hybrid"
    reference = "Li & Guo 2013, Active Learning with Multi-Label SVM Classification (IJCAI)"
    needs_factory = True

    def __init__(self, beta: float | None = None, betas: tuple = BETAS):
        self.beta = beta
        self.betas = betas

    def _check(self):
        grid = [self.beta] if self.beta is not None else list(self.betas)
        if not grid or any(not isinstance(b, (int, float)) or not 0 <= b <= 1 for b in grid):
            raise InvalidInputError(f"adaptive: beta values must lie in [0, 1]; got {grid!r}.")

    def parts(self, ctx) -> tuple[np.ndarray, np.ndarray]:
        """(uncertainty u, cardinality inconsistency c) of the candidates."""
        d = ctx.decision(self.name)
        return S.max_margin_uncertainty(d), S.label_cardinality_inconsistency(d, ctx.Y_labeled)

    def select(self, ctx, batch_size, rng):
        self._check()
        cand = ctx.candidate_idx
        u, c = self.parts(ctx)
        if self.beta is not None:
            beta, errors = float(self.beta), {}
        else:
            beta, errors = self.choose_beta(ctx, u, c, rng)
        scores = S.adaptive_scores(u, c, beta)
        return Selection(idx=cand[top_k(scores, batch_size, rng)], scores=scores,
                         candidate_idx=cand, info={"beta": beta, **errors})

    def choose_beta(self, ctx, u, c, rng) -> tuple[float, dict]:
        """The paper's look-ahead: (β with the lowest approximate error, its error)."""
        cand = ctx.candidate_idx
        pred = (ctx.decision(self.name) > 0).astype(np.int64)
        error_of: dict[int, float] = {}
        chosen = []
        for beta in self.betas:
            pos = int(top_k(S.adaptive_scores(u, c, beta), 1, rng)[0])
            if pos not in error_of:
                model = ctx.refit_with(cand[pos], pred[pos], self.name)
                error_of[pos] = S.approximate_error(ctx.decision_rows(cand, self.name, model))
            chosen.append((float(beta), error_of[pos]))
        errs = np.array([e for _, e in chosen])
        best = np.flatnonzero(errs == errs.min())
        beta = chosen[int(rng.choice(best))][0]
        return beta, {"approx_error": float(errs.min())}


@_register
class CVIRS(MultilabelStrategy):
    """Category vector inconsistency × rank-aggregated uncertainty.

    Per label the candidates are ranked by margin |2p − 1| and the ranks aggregated by Borda
    count; this is multiplied by the mean distance between the candidate's predicted label
    vector (p > `threshold`) and the labeled rows' vectors (normalized entropy distance, 1 for
    complementary vectors).
    """

    name = "cvirs"
    family = "hybrid"
    reference = ("Reyes, Morell & Ventura 2018, Effective Active Learning Strategy for "
                 "Multi-Label Learning (Neurocomputing 273)")

    def __init__(self, threshold: float = 0.5):
        self.threshold = threshold

    def scores(self, ctx):
        return S.cvirs_scores(ctx.proba(self.name), ctx.Y_labeled, self.threshold)


class Exploration(MultilabelStrategy):
    """A label-free strategy of the main registry run on the multi-label pool: it reads only the
    features and which rows are labeled, so it is handed a 1-D stand-in for Y."""

    family = "exploration"
    needs_model = False
    main_name: ClassVar[str] = ""

    def __init__(self, **params):
        for k, v in params.items():
            setattr(self, k, v)
        self._param_names = tuple(params)

    def get_params(self, deep: bool = True) -> dict:
        return {k: getattr(self, k) for k in getattr(self, "_param_names", ())}

    def select(self, ctx, batch_size, rng):
        inner = make_strategy(self.main_name, **self.get_params())
        stand_in = np.where(ctx.labeled, 0, -1)
        pool_ctx = PoolContext(X=ctx.X, y=stand_in, labeled=ctx.labeled, classes=np.array([0]),
                               embedding=ctx.features(), random_state=ctx.random_state)
        return inner.select(pool_ctx, batch_size, rng)


def _exploration(main_name: str, ref: str):
    cls = type(f"Multilabel_{main_name}", (Exploration,), {
        "name": main_name, "main_name": main_name, "reference": ref,
        "__doc__": f"The main registry's {main_name!r} on the multi-label pool (label-free)."})
    return _register(cls)


for _name in ("coreset", "typiclust", "kmeans"):
    from ..strategies import strategy_class as _strategy_class

    _exploration(_name, _strategy_class(_name).reference)


def multilabel_strategy_names() -> list[str]:
    """Registered multi-label strategy names, sorted."""
    return sorted(_REGISTRY)


def make_multilabel_strategy(name, **params) -> MultilabelStrategy:
    """A strategy from a name (UnknownNameError with close matches) or an instance (cloned with params)."""
    if isinstance(name, MultilabelStrategy):
        return clone(name).set_params(**params) if params else name
    if not isinstance(name, str):
        raise InvalidInputError(
            f"strategy must be a multi-label strategy name or object; got {type(name).__name__}.")
    try:
        cls = _REGISTRY[name]
    except KeyError:
        raise UnknownNameError("multi-label strategy", name, _REGISTRY) from None
    if issubclass(cls, Exploration):
        allowed = [p for p in inspect.signature(_strategy_class_init(cls.main_name)).parameters if p != "self"]
    else:
        allowed = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise InvalidInputError(
            f"strategy {name!r} does not take parameters {unknown}; it takes {allowed or 'none'}.")
    return cls(**params)


def _strategy_class_init(main_name: str):
    from ..strategies import strategy_class

    return strategy_class(main_name).__init__
