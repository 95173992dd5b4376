"""The caller: who their token belongs to, and how much they have labeled."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import CurrentPrincipal, ServiceDep
from ..queries import annotator_count
from ..schemas import MeOut

router = APIRouter()


@router.get("/me", response_model=MeOut, summary="Who this token belongs to")
def get_me(svc: ServiceDep, who: CurrentPrincipal) -> MeOut:
    with svc.runtime.store.read() as s:
        count = annotator_count(s, who.id)
    return MeOut(name=who.name, is_admin=who.is_admin, annotator_count=count,
                 project=svc.runtime.project.config.name, labels=svc.runtime.labels,
                 task=svc.runtime.task)
