"""The learning settings activelab runs, and what a run of each returns to the experiment runner.

Classification keeps its own `SimulationResult` (results.json schema 2 runs stay readable);
regression, multi-label and stream runs return a `TaskResult`: one x axis (labels after each
round, or items seen at each checkpoint of a stream), the labels spent at each point, and one
curve per metric. Every setting names a primary metric oriented so that higher is better; the
runner's AUC and the paired comparison with random use it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

#: The settings, each with its primary metric (higher is better).
TASKS: dict[str, str] = {
    "classification": "accuracy",
    "regression": "r2",
    "multilabel": "micro_f1",
    "stream": "prequential_accuracy",
}

#: Whether a larger value of a metric is better (plots and tables orient by it); descriptive
#: curves such as a stream's label rate are in no direction.
HIGHER_IS_BETTER: dict[str, bool] = {
    "accuracy": True,
    "f1": True,
    "r2": True,
    "rmse": False,
    "mae": False,
    "micro_f1": True,
    "macro_f1": True,
    "hamming_loss": False,
    "subset_accuracy": True,
    "prequential_accuracy": True,
    "windowed_accuracy": True,
}


@dataclass
class TaskResult:
    """One simulated run of a regression, multi-label or stream task.

    Attributes
    ----------
    task : one of `TASKS` except "classification".
    strategy : the strategy's (or stream selector's) name.
    x_name : "labels" for pool-based runs (x = labels after each round, round 0 = seed set),
        "items" for streams (x = items seen at each checkpoint).
    x : the curve's x values.
    labels : labels spent at each x (equal to x for pool-based runs).
    metrics : metric name → one value per x (the task's primary metric always present).
    select_seconds, fit_seconds : per x (0.0 where nothing ran).
    selected : row positions labeled at each point (pool: the round's batch; stream: the items
        queried since the previous checkpoint).
    info : per x, what the strategy reported (e.g. a bandit's arm).
    """

    task: str
    strategy: str
    x_name: str
    x: list[int] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    select_seconds: list[float] = field(default_factory=list)
    fit_seconds: list[float] = field(default_factory=list)
    selected: list[list[int]] = field(default_factory=list)
    info: list[dict] = field(default_factory=list)

    @property
    def primary_metric(self) -> str:
        return TASKS[self.task]

    def to_dict(self) -> dict:
        return asdict(self)
