"""The HTTP API (FastAPI), assembled: `create_app` builds the app, puts the middleware in
front of it, installs the error table and includes one router per feature (`service.http`).

Every error is `{"error": {"code", "message"}}` with a Vietnamese message; bad input is a
4xx, never a 500 and never a stack trace (`service.http.errors`). Searching and answering
run in worker threads under a time limit (`service.http.deps.Runner`), so CPU work never
blocks the event loop and `/healthz` stays responsive while a slow question is answered. In
front of the routes (`service.guard`): security headers, CORS for the configured portal
origins, a body size limit and a per-client rate limit. Questions and feedback are kept
redacted (`service.journal`); log lines are redacted JSON (`service.privacy`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from retriever.store import IndexMissing
from service.admin import OFF_CODE, OFF_MESSAGE, Uploads, is_admin_route
from service.engine import Engine, build_engine
from service.guard import BodyLimit, KeyFirst, RateLimit, SecurityHeaders, TokenBuckets
from service.http import (
    admin,
    ask,
    documents,
    duties,
    errors,
    health,
    info,
    pages,
    procedures,
    search,
)
from service.http.deps import Runner
from service.http.observe import LIMITED, SEARCHES, observe
from service.journal import Journal
from service.metrics import Metrics
from service.settings import Settings, get_settings

log = logging.getLogger("tthc.http")
PURGE_EVERY = 3600.0


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The app over `engine` (built and loaded at start-up when not given)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="tthc",
        version="0.1.0",
        lifespan=lifespan,
        description="Hỏi đáp và tra cứu thủ tục hành chính, kế hoạch CCHC cấp xã.",
    )
    app.state.settings, app.state.engine = settings, engine
    app.state.journal = Journal(settings.data_dir / "journal.sqlite", settings.retention_days)
    app.state.metrics = Metrics()
    app.state.work = Runner(settings.engine_threads, settings.request_timeout_s)
    app.state.uploads = Uploads(settings.data_dir / "uploads", settings.max_upload_bytes)
    _add_middleware(app, settings)
    errors.install(app)
    app.include_router(search.router)  # in this order, the order of the OpenAPI document
    app.include_router(ask.router)
    app.include_router(info.router)
    app.include_router(procedures.router(settings))
    app.include_router(duties.router(settings))
    app.include_router(documents.router)
    app.include_router(health.router)
    if settings.admin_api_key:  # no key, no admin routes
        app.include_router(admin.router)
    app.mount("/static", pages.static_files(), name="static")
    app.include_router(pages.router)
    return app


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    # Innermost first: the rate limit and the body limit sit behind CORS (so a refused widget
    # request still carries its CORS headers) and the security headers (so every response does).
    app.add_middleware(
        RateLimit,
        buckets=TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst),
        paths=LIMITED,
        searches=SEARCHES,
        trust_proxy=settings.trust_proxy,
        eval_key=settings.eval_api_key,
    )
    app.add_middleware(
        BodyLimit,
        limit=settings.max_body_bytes,
        larger={"/api/admin/documents": settings.max_upload_bytes},
    )
    # Always there: without a key it answers the admin routes itself (switched off).
    app.add_middleware(
        KeyFirst, guarded=is_admin_route, key=settings.admin_api_key, off=(OFF_CODE, OFF_MESSAGE)
    )
    origins = [o.strip().rstrip("/") for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Content-Type"],
            expose_headers=["Retry-After"],
            max_age=600,
        )
    app.add_middleware(SecurityHeaders)
    app.middleware("http")(observe)  # outermost: counts what the guards refuse too


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start: build the engine if none was given and load its index (without one the
    service runs, not ready); purge the journal hourly. Stop: close the journal."""
    state = app.state
    if state.engine is None:
        state.engine = build_engine(state.settings)
    if not state.engine.ready:
        try:
            state.engine.load()
        except IndexMissing as exc:
            log.warning("%s", exc)
    purger = asyncio.create_task(purge_regularly(state.journal, state.settings.retention_days))
    yield
    purger.cancel()
    state.journal.close()


async def purge_regularly(journal: Journal, retention_days: int) -> None:
    while True:
        try:
            removed = await run_in_threadpool(journal.purge)
            log.info(
                "journal purged",
                extra={"fields": {"removed": removed, "retention_days": retention_days}},
            )
        except Exception:  # a failed purge is logged and retried next hour
            log.exception("journal purge failed")
        await asyncio.sleep(PURGE_EVERY)
