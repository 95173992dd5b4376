"""The label set (admin): read it with its history, add a label at its end."""

from __future__ import annotations

from fastapi import APIRouter

from ..contract import errors
from ..deps import AdminPrincipal, ServiceDep
from ..errors import LabelError
from ..labelset import add_label, additions
from ..multilabel import is_multilabel
from ..progress import iso
from ..regression import is_regression
from ..schemas import LabelAddIn, LabelAdditionOut, LabelSetOut

router = APIRouter()


def _label_set(svc) -> LabelSetOut:
    store = svc.runtime.store
    added = additions(store)
    base = list(svc.runtime.project.config.labels)
    return LabelSetOut(
        labels=base + [a.label for a in added],
        additions=[LabelAdditionOut(label=a.label, code=a.code, added_by=a.added_by,
                                    added_at=iso(a.added_at)) for a in added])


@router.get("/label-set", response_model=LabelSetOut,
            summary="The label set, and who added which label after init (admin)",
            responses=errors(403))
def get_label_set(svc: ServiceDep, who: AdminPrincipal) -> LabelSetOut:
    return _label_set(svc)


@router.post("/label-set", response_model=LabelSetOut, status_code=201,
             summary="Add a label at the end of the label set (admin; never reorders or removes)",
             responses=errors(
                 403,
                 (409, "The label is in the set already (in any case), or the set changed "
                       "at the same moment."),
                 (422, "Malformed request, or a label that is empty, holds a comma or a "
                       "control character, or would pass the most labels a project has (50); "
                       "a multilabel or stream project's set is fixed; a regression project has none."),
             ))
def post_label_set(body: LabelAddIn, svc: ServiceDep, who: AdminPrincipal) -> LabelSetOut:
    if is_multilabel(svc.runtime.task):
        raise LabelError("a multilabel project's label set is fixed: the sets given so far say "
                         "nothing about a new label (each would read as 'does not apply').",
                         ("body", "label"))
    if is_regression(svc.runtime.task):
        raise LabelError("a regression project has no label set: each answer is a number.",
                         ("body", "label"))
    if svc.runtime.task == "stream":
        raise LabelError("a stream project's label set is fixed: its learner was built with "
                         "these classes and replays its decisions with them.", ("body", "label"))
    add_label(svc.runtime.store, svc.runtime.project.config.labels, who, body.label)
    return _label_set(svc)
