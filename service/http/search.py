"""`/api/search`: ranked passages for a query, as the contract's citation objects."""

from __future__ import annotations

from fastapi import APIRouter

from service.guard import ERRORS
from service.http.deps import EngineDep, ScopeDep, WorkDep
from service.http.models import SearchIn, filters_of

router = APIRouter()


@router.post("/api/search", responses=ERRORS)
async def search(body: SearchIn, engine: EngineDep, scope: ScopeDep, work: WorkDep) -> dict:
    """Ranked passages; with an officer's key, internal documents' too."""
    hits = await work(engine.search, body.query, k=body.k, filters=filters_of(body), scope=scope)
    return {"results": [hit.citation(n) for n, hit in enumerate(hits, start=1)]}
