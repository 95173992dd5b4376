"""Work: lease the next item to the caller."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import CurrentPrincipal, ServiceDep
from ..leases import lease_next
from ..schemas import NextOut

router = APIRouter()


@router.get("/next", response_model=NextOut, summary="Lease the next item to label")
def get_next(svc: ServiceDep, who: CurrentPrincipal) -> NextOut:
    leased = lease_next(svc.runtime.store, who.id, svc.runtime.settings().lease_seconds)
    return svc.present.next_out(who, leased)
