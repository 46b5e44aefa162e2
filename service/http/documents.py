"""`/api/documents`: the ingested documents the caller may see, with their metadata and
chunk counts."""

from __future__ import annotations

from fastapi import APIRouter

from service.guard import ERRORS
from service.http.deps import EngineDep, ScopeDep

router = APIRouter()


@router.get("/api/documents", responses=ERRORS)
def documents(engine: EngineDep, scope: ScopeDep) -> dict:
    """Ingested documents; internal ones only with an officer's key."""
    return {"documents": engine.documents(scope)}
