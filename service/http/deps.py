"""What a route needs, declared once as `Annotated` dependencies: the settings, the engine,
the journal and metrics, the worker threads, and who is asking.

Who is asking comes only from `ScopeDep`, read from the `X-API-Key` header: the admin key
is `Scope.ADMIN`, the officer key `Scope.OFFICER`, anything else (or nothing) the public.
`OfficerScope` is the officer-only routes' door; `AdminScope` the admin routes'.
The objects themselves are built once by `service.app.create_app` and kept on `app.state`.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Annotated, Any

import anyio
from fastapi import Depends, Header, Request
from starlette.exceptions import HTTPException

from retriever.scope import Scope
from retriever.store import IndexMissing
from service.admin import Uploads
from service.engine import Engine
from service.guard import key_matches
from service.http.errors import Busy
from service.journal import Journal
from service.metrics import Metrics
from service.settings import Settings

# Every dependency is a coroutine: a plain function would cost each request a trip through
# the thread pool for a lookup.


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


async def _journal(request: Request) -> Journal:
    return request.app.state.journal


async def _metrics(request: Request) -> Metrics:
    return request.app.state.metrics


async def _uploads(request: Request) -> Uploads:
    return request.app.state.uploads


async def _engine_if_any(request: Request) -> Engine | None:
    """The app's engine, loaded or not; None before the lifespan has built one."""
    return request.app.state.engine


async def _engine(engine: Annotated[Engine | None, Depends(_engine_if_any)]) -> Engine:
    """The engine with its index loaded: questions need one."""
    if engine is None or not engine.ready:
        raise IndexMissing("index not loaded")
    return engine


async def _built_engine(engine: Annotated[Engine | None, Depends(_engine_if_any)]) -> Engine:
    """The engine, index or not (admin routes build the first index)."""
    if engine is None:
        raise HTTPException(503)
    return engine


SettingsDep = Annotated[Settings, Depends(_settings)]
JournalDep = Annotated[Journal, Depends(_journal)]
MetricsDep = Annotated[Metrics, Depends(_metrics)]
UploadsDep = Annotated[Uploads, Depends(_uploads)]
EngineDep = Annotated[Engine, Depends(_engine)]
MaybeEngineDep = Annotated[Engine | None, Depends(_engine_if_any)]
BuiltEngineDep = Annotated[Engine, Depends(_built_engine)]


async def _key(x_api_key: Annotated[str | None, Header()] = None) -> str | None:
    return x_api_key


KeyDep = Annotated[str | None, Depends(_key)]


async def _scope(settings: SettingsDep, key: KeyDep) -> Scope:
    """Who is asking, from the key they send (none: the public)."""
    if key_matches(key, settings.admin_api_key):
        return Scope.ADMIN
    if key_matches(key, settings.officer_api_key):
        return Scope.OFFICER
    return Scope.PUBLIC


ScopeDep = Annotated[Scope, Depends(_scope)]


async def _officer(settings: SettingsDep, key: KeyDep, scope: ScopeDep) -> Scope:
    """Officer routes: absent without a configured key, 401 without one, 403 for a wrong one."""
    if not (settings.officer_api_key or settings.admin_api_key):
        raise HTTPException(404)
    if not key:
        raise HTTPException(401)
    if scope is Scope.PUBLIC:
        raise HTTPException(403)
    return scope


async def _admin(key: KeyDep, scope: ScopeDep) -> Scope:
    """Admin routes (which exist only with an admin key): 401 without a key, 403 for another."""
    if not key:
        raise HTTPException(401)
    if scope is not Scope.ADMIN:
        raise HTTPException(403)
    return scope


OfficerScope = Annotated[Scope, Depends(_officer)]
AdminScope = Annotated[Scope, Depends(_admin)]


class Runner:
    """Runs CPU-bound engine work in one of `engine_threads` worker threads, within the
    request time limit (waiting for a thread counts), or raises `Busy`. More threads than
    cores only fight the event loop for the interpreter lock: /healthz p95 went from 1.5-2 s
    to 40 ms under 50 concurrent questions at the same throughput (eval/reports/load.md)."""

    def __init__(self, threads: int, timeout_s: float):
        self.limiter, self.timeout_s = anyio.CapacityLimiter(threads), timeout_s

    async def __call__(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        call = functools.partial(fn, *args, **kwargs)
        try:
            return await asyncio.wait_for(
                anyio.to_thread.run_sync(call, limiter=self.limiter), self.timeout_s
            )
        except TimeoutError:
            raise Busy from None


async def _work(request: Request) -> Runner:
    return request.app.state.work


WorkDep = Annotated[Runner, Depends(_work)]
