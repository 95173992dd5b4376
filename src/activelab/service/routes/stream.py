"""A stream project's own calls: an arriving item, decided at once, and the stream's counts
(labeling a queried item is the classification routes' work).

    POST /stream/items  StreamItemIn ``{"item_id", "features": [...], "text"?, "request_id"}``
                        → StreamDecisionOut (admin; idempotent in item_id and request_id)
    GET  /stream        StreamStatusOut: items seen, labels spent, the budget line, the
                        prequential accuracy
    GET  /next          the classification route's item, saying it is a stream item
"""



import json

from fastapi import APIRouter

from ..contract import errors
from ..deps import AdminPrincipal, CurrentPrincipal, ServiceDep
from ..leases import lease_next
from ..schemas import NextOut, StreamDecisionOut, StreamStatusOut, stream_item_in


def make_router(dim: int) -> APIRouter:
    """The stream routes of a project whose items have `dim` features."""
    router = APIRouter()
    StreamItemIn = stream_item_in(dim)

    @router.post("/stream/items", response_model=StreamDecisionOut,
                 summary="An item arrives: decide at once whether to ask for its label (admin)",
                 responses=errors(
                     403,
                     (409, ("The item_id arrived before with other features or text, or the "
                            "request_id was used for another item.")),
                     (422, ("Malformed request: features of the wrong width, not numbers, NaN "
                            "or infinity, or an unknown field.")),
                 ))
    def post_item(body: StreamItemIn, svc: ServiceDep, who: AdminPrincipal) -> StreamDecisionOut:
        book = svc.stream
        out = book.ingest(body.item_id, body.features, body.text, body.request_id)
        row = out.row
        probabilities = None if row.probabilities is None else dict(
            zip(book.classes, json.loads(row.probabilities)))
        return StreamDecisionOut(
            item_id=row.item_id, seq=row.seq, queried=row.queried, reason=row.reason,
            utility=row.utility, predicted_label=row.predicted_label,
            probabilities=probabilities, items_seen=out.items_seen,
            labels_spent=out.labels_spent, budget=book.config.budget, duplicate=out.duplicate)

    @router.get("/stream", response_model=StreamStatusOut,
                summary="The stream: items seen, labels spent, budget, prequential accuracy")
    def get_stream(svc: ServiceDep, who: CurrentPrincipal) -> dict:
        return svc.stream.status()

    @router.get("/next", response_model=NextOut, summary="Lease the next item to label")
    def get_next(svc: ServiceDep, who: CurrentPrincipal) -> NextOut:
        leased = lease_next(svc.runtime.store, who.id, svc.runtime.settings().lease_seconds)
        out = svc.present.next_out(who, leased)
        if not out.done:
            status = svc.stream.counts()
            out.why = (f"Stream item #{(leased.rank or 0) + 1}: the {status['selector']} selector "
                       f"asked for its label when it arrived ({status['labels_spent']} of "
                       f"{status['items_seen']} items' labels bought, budget "
                       f"{status['budget']:g}). Items are queued in arrival order.")
        return out

    return router
