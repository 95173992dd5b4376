"""What a multilabel project changes: an answer is a *set* of labels (possibly empty — "none of
these"), kept in the label log as a JSON list, and the strategies and models it takes are those of
`activelab.multilabel`.

    is_multilabel(task)          the project's task is "multilabel"
    strategy_names(task), model_names(task), default_strategy(task)
    check_answer(labels, set)    the answer in label-set order, or a LabelError (422)
    encode(labels) / decode(text)   the JSON list in ``events.labels``
    event_labels(ev)             the labels a label/relabel event gives: its set, or its label

A classification event has ``label`` set and ``labels`` NULL; a multilabel one ``labels`` set (a
JSON list, ``[]`` for none of these) and ``label`` NULL. One annotator per item: agreement and the
review queue compare single labels, so a multilabel project refuses ``annotations_per_item`` > 1.
"""

from __future__ import annotations

import json

from .errors import LabelError

MULTILABEL = "multilabel"
TASK_MARK = "x-activelab-task"
"""Marks a request or response schema that exists for one task only (`contract` keeps it in that
task's OpenAPI document)."""


def is_multilabel(task: str) -> bool:
    return task == MULTILABEL


def strategy_names(task: str) -> list[str]:
    """The strategies a project of `task` takes (a regression project's: `regression`; a
    stream project's: its stream selectors)."""
    if task == "stream":
        from .stream_service import selector_names

        return selector_names()
    if task == "regression":
        from .regression import strategy_names as regression_strategies

        return regression_strategies()
    if is_multilabel(task):
        from ..multilabel import multilabel_strategy_names

        return list(multilabel_strategy_names())
    from ..strategies import strategy_names as names

    return list(names())


def model_names(task: str) -> list[str]:
    if task == "stream":
        from .stream_service import model_names as stream_models

        return stream_models()
    if task == "regression":
        from .regression import model_names as regressors

        return regressors()
    if is_multilabel(task):
        from ..multilabel import multilabel_model_names

        return list(multilabel_model_names())
    from ..models import model_names as names

    return list(names())


def default_strategy(task: str) -> str:
    """What `activelab init` records when no --strategy is given."""
    if task == "regression":
        from .regression import DEFAULT_STRATEGY as regression_default

        return regression_default
    if is_multilabel(task):
        from ..multilabel import DEFAULT_STRATEGY

        return DEFAULT_STRATEGY
    return "auto"


def check_answer(labels, label_set) -> list[str]:
    """`labels` (names from `label_set`, each once) in label-set order; `LabelError` naming the
    unknown or repeated ones."""
    labels = list(labels)
    unknown = [lab for lab in labels if lab not in label_set]
    if unknown:
        raise LabelError(f"label {unknown[0][:100]!r} is not in this project's label set "
                         f"{list(label_set)}.", loc=("body", "labels"))
    repeated = sorted({lab for lab in labels if labels.count(lab) > 1})
    if repeated:
        raise LabelError(f"labels repeats {repeated}; name each label at most once.",
                         loc=("body", "labels"))
    chosen = set(labels)
    return [lab for lab in label_set if lab in chosen]


def encode(labels: list[str]) -> str:
    return json.dumps(list(labels), ensure_ascii=False)


def decode(text: str | None) -> list[str] | None:
    """The list stored in ``events.labels`` (None: not a multilabel event)."""
    if text is None:
        return None
    value = json.loads(text)
    return [str(v) for v in value] if isinstance(value, list) else []


def event_labels(ev) -> list[str]:
    """The labels a label, relabel or review event gives: its set (multilabel) or its one label."""
    if getattr(ev, "labels", None) is not None:
        return decode(ev.labels)
    return [] if ev.label is None else [ev.label]


def refuse_overlap(values: dict, error) -> None:
    """A multilabel project keeps one annotator per item (see the module docstring)."""
    k = values.get("annotations_per_item")
    if k is not None and k != 1:
        raise error("annotations_per_item must stay 1 on a multilabel project: agreement and "
                    "the review queue compare single labels, not sets, so each item is labeled "
                    "by one annotator (an admin may relabel it).")
