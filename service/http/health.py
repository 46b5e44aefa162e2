"""Health for whoever runs the service: `/healthz` (the process answers), `/readyz` (an index
is loaded) and `/metrics` (Prometheus text)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from service.guard import ERRORS
from service.http.deps import MaybeEngineDep, MetricsDep
from service.http.errors import NotReady

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict:  # on the event loop: answers even when every worker is busy
    return {"status": "ok"}


@router.get("/readyz", responses=ERRORS)
async def readyz(engine: MaybeEngineDep):
    if engine is None or engine.searcher is None:
        raise NotReady()
    generation = engine.searcher.generation
    return {"status": "ready", "generation": generation.name, "chunks": len(generation.chunks)}


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def prometheus(engine: MaybeEngineDep, metrics: MetricsDep) -> Response:
    if engine is not None and engine.searcher is not None:
        generation = engine.searcher.generation
        metrics.chunks.set(len(generation.chunks))
        metrics.documents.set(len(generation.documents))
        folder = engine.store.generations / generation.name
        metrics.index_bytes.set(sum(f.stat().st_size for f in folder.iterdir() if f.is_file()))
    return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
