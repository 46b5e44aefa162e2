"""`/api/procedures` (search and list administrative procedures) and
`/api/procedures/{key}` (one procedure by its national code or document id)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from ingest.textnorm import normalize
from service.guard import ERRORS
from service.http.deps import EngineDep, WorkDep
from service.http.errors import ProcedureNotFound
from service.settings import Settings


def router(settings: Settings) -> APIRouter:
    """The routes; built per app because the schema states the configured query length."""
    routes = APIRouter()

    @routes.get("/api/procedures", responses=ERRORS)
    async def procedures(
        engine: EngineDep,
        work: WorkDep,
        q: str = Query("", max_length=settings.max_query_chars),
        field: str = Query("", max_length=200),
        level: str = Query("", max_length=100),
        limit: int = Query(20, ge=1, le=200),
        offset: int = Query(0, ge=0, le=100_000),
    ) -> dict:
        return await work(engine.procedures, normalize(q).strip(), field, level, limit, offset)

    routes.add_api_route("/api/procedures/{key}", procedure, methods=["GET"], responses=ERRORS)
    return routes


def procedure(key: str, engine: EngineDep):
    found = engine.procedure(key.strip())
    if found is None:
        raise ProcedureNotFound(key)
    return found
