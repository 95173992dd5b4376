"""Item files: the image behind an image item, from the project's data folder only."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse

from ..contract import errors
from ..deps import CurrentPrincipal, ServiceDep
from ..errors import NotFoundError

router = APIRouter()


@router.get("/content", summary="The file of an image item", response_class=FileResponse,
            responses={200: {"content": {"image/png": {}, "image/jpeg": {}}},
                       **errors((403, "The item's path leads outside the project's data folder."),
                                (404, ("Unknown item, an item that is not an image, or its file "
                                       "is missing.")),
                                422)})
def get_content(svc: ServiceDep, who: CurrentPrincipal,
                item_id: str = Query(..., min_length=1, max_length=512)):
    item = svc.runtime.by_id.get(item_id)
    if item is None:
        raise NotFoundError(f"unknown item {item_id[:100]!r}.")
    if item["kind"] != "image":
        raise NotFoundError(f"item {item_id!r} is a {item['kind']}; its content is in GET /api/next.")
    path = safe_path(svc.runtime.project.data_root, item["path"])
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media, headers={"Cache-Control": "private, max-age=3600"})


def safe_path(root: Path, relative: str) -> Path:
    """`root/relative`, refusing anything that resolves outside `root` (.., absolute paths,
    symbolic links leading out)."""
    base = Path(root).resolve()
    candidate = (base / relative).resolve()
    if not candidate.is_relative_to(base) or base == candidate:
        raise HTTPException(403, "refused: the path leads outside the project's data folder.")
    if not candidate.is_file():
        raise NotFoundError(f"the file of item {relative!r} is missing from the data folder.")
    return candidate
