"""Active learning for regression: a float target per pool row, NaN where unlabeled.

    >>> from activelab.regression import load_regression_dataset, simulate_regression
    >>> X, y = load_regression_dataset("diabetes")
    >>> run = simulate_regression(X[:300], y[:300], X[300:], y[300:], strategy="igs",
    ...                           model="ridge", random_state=0)
    >>> run.metrics["r2"]            # one R² per round, round 0 = the seed set

Strategies (`regression_strategy_names()`): ``variance`` (bootstrap-committee variance, Burbidge
et al. 2007), ``gp_std`` (Gaussian-process predictive std), ``greedy_x`` / ``greedy_y`` / ``igs``
(greedy sampling, Wu, Lin & Huang 2019), ``emc`` (expected model change, Cai et al. 2013), and the
shared label-free ``coreset``, ``typiclust``, ``kmeans`` and ``random``. Models
(`regressor_names()`): ``ridge``, ``gp``, ``random_forest_regressor``, ``torch_mlp`` (extra
``torch``). Datasets (`regression_dataset_names()`): ``diabetes``, ``trump_approval``,
``chick_weights`` (offline). `import activelab` does not import this package.
"""

from .datasets import (
    RegressionDataset,
    load_regression_dataset,
    regression_dataset_names,
    regression_datasets,
)
from .models import (
    FittedRegressor,
    SklearnRegressor,
    as_regressor_factory,
    bootstrap_regressors,
    check_regression_target,
    make_regressor,
    make_regressor_factory,
    regressor_names,
)
from .scores import emc_scores, greedy_x, greedy_y, improved_greedy, variance_scores
from .simulation import (
    REGRESSION_METRICS,
    propose_regression,
    query_regression,
    regression_auc,
    regression_metrics,
    simulate_regression,
)
from .strategies import (
    ExpectedModelChange,
    GPStd,
    GreedyX,
    GreedyY,
    ImprovedGreedy,
    RegressionStrategy,
    Variance,
    describe_regression_strategies,
    make_regression_strategy,
    regression_strategy_names,
)

__all__ = [
    "REGRESSION_METRICS",
    "ExpectedModelChange",
    "FittedRegressor",
    "GPStd",
    "GreedyX",
    "GreedyY",
    "ImprovedGreedy",
    "RegressionDataset",
    "RegressionStrategy",
    "SklearnRegressor",
    "Variance",
    "as_regressor_factory",
    "bootstrap_regressors",
    "check_regression_target",
    "describe_regression_strategies",
    "emc_scores",
    "greedy_x",
    "greedy_y",
    "improved_greedy",
    "load_regression_dataset",
    "make_regression_strategy",
    "make_regressor",
    "make_regressor_factory",
    "propose_regression",
    "query_regression",
    "regression_auc",
    "regression_dataset_names",
    "regression_datasets",
    "regression_metrics",
    "regression_strategy_names",
    "regressor_names",
    "simulate_regression",
    "variance_scores",
]
