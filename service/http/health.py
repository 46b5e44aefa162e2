"""Health for whoever runs the service: `/healthz` (the process answers), `/readyz` (an index
is loaded) and `/metrics` (Prometheus text).

They answer anyone, without a key, so the index figures they give (passages, documents)
count what the public may see: how many internal documents there are is not theirs to tell.
The generation's size on disk (`tthc_index_bytes`) has no public share and stays whole.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from retriever.scope import Scope, documents_for
from retriever.store import Generation
from service.guard import ERRORS
from service.http.deps import MaybeEngineDep, MetricsDep
from service.http.errors import NotReady

router = APIRouter()


def public_figures(generation: Generation) -> tuple[int, int]:
    """(documents, passages) of a generation that the public may see."""
    documents = documents_for(Scope.PUBLIC, generation.documents)
    visible = {d.doc_id for d in documents}
    return len(documents), sum(c.doc_id in visible for c in generation.chunks)


@router.get("/healthz")
async def healthz() -> dict:  # on the event loop: answers even when every worker is busy
    return {"status": "ok"}


@router.get("/readyz", responses=ERRORS)
async def readyz(engine: MaybeEngineDep):
    if engine is None or engine.searcher is None:
        raise NotReady()
    generation = engine.searcher.generation  # one snapshot: a re-index may swap it meanwhile
    _, chunks = public_figures(generation)
    return {"status": "ready", "generation": generation.name, "chunks": chunks}


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def prometheus(engine: MaybeEngineDep, metrics: MetricsDep) -> Response:
    if engine is not None and engine.searcher is not None:
        generation = engine.searcher.generation
        documents, chunks = public_figures(generation)
        metrics.chunks.set(chunks)
        metrics.documents.set(documents)
        folder = engine.store.generations / generation.name
        metrics.index_bytes.set(sum(f.stat().st_size for f in folder.iterdir() if f.is_file()))
    return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
