"""Read-only views: counts and the progress page's series."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import CurrentPrincipal, ServiceDep
from ..progress import progress, stats
from ..schemas import ProgressOut, StatsOut

router = APIRouter()


@router.get("/stats", response_model=StatsOut, summary="Counts: items, labeled, per class, per annotator")
def get_stats(svc: ServiceDep, who: CurrentPrincipal) -> dict:
    return stats(svc.runtime.store, svc.runtime.labels)


@router.get("/progress", response_model=ProgressOut,
            summary="Series for the progress page: labels over time, learning curve, queue scores")
def get_progress(svc: ServiceDep, who: CurrentPrincipal) -> dict:
    return progress(svc.runtime.store, svc.runtime.labels)
