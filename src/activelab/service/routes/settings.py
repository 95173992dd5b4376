"""Run-time settings, and retraining on demand (admin)."""

from __future__ import annotations

from fastapi import APIRouter

from ..contract import errors
from ..deps import AdminPrincipal, ServiceDep
from ..schemas import MessageOut, SettingsIn, SettingsOut
from ..settings import write_settings

router = APIRouter()


@router.get("/settings", response_model=SettingsOut, summary="Run-time settings (admin)",
            responses=errors(403))
def get_settings(svc: ServiceDep, who: AdminPrincipal) -> dict:
    return svc.runtime.settings().as_dict()


@router.put("/settings", response_model=SettingsOut, summary="Change run-time settings (admin)",
            responses=errors(
                403, (422, ("Malformed request, a value out of range, an unknown strategy "
                            "or model, or more than one annotator per item on a multilabel "
                            "or regression project."))))
def put_settings(body: SettingsIn, svc: ServiceDep, who: AdminPrincipal) -> dict:
    updated = write_settings(svc.runtime.store, body.model_dump(exclude_none=True),
                             task=svc.runtime.task)
    svc.worker.trigger()
    return updated.as_dict()


@router.post("/retrain", status_code=202, summary="Retrain and re-rank now (admin)",
             response_model=MessageOut, responses=errors(403))
def post_retrain(svc: ServiceDep, who: AdminPrincipal) -> dict:
    svc.worker.retrain_now()
    return {"detail": "retraining started; see GET /api/progress for the outcome."}
