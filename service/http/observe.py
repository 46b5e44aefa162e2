"""Every request counted, timed and logged (redacted JSON, `service.privacy`), by route
template, never by the path a client typed; a failure that escaped the routes is answered
here, inside the security headers, as the contract's 500."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import Request
from starlette.responses import Response

from service.guard import HEADERS, client_id, error
from service.http.errors import INTERNAL

log = logging.getLogger("tthc.http")

# Routes that make the engine work, limited per client (`service.guard.RateLimit`).
LIMITED = ("/api/ask", "/api/ask/stream", "/api/search", "/api/officer/ask", "/api/feedback")
SEARCHES = ("/api/procedures", "/api/duties")  # limited too when they carry ?q=


def _client_hash(request: Request, trust_proxy: bool) -> str:
    """A short one-way tag of the client address: tells log lines of one client apart
    without keeping the address."""
    return hashlib.sha256(client_id(request.scope, trust_proxy).encode()).hexdigest()[:10]


async def observe(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """The `http` middleware: metrics by route template and status, and one log line."""
    started = time.perf_counter()
    try:
        response = await call_next(request)
    except Exception:  # answered here, inside the security headers, never as a trace
        log.exception("unhandled error", extra={"fields": {"path": request.url.path}})
        # This middleware sits outside SecurityHeaders (so that it counts 429s and 413s too).
        response = error(
            500, "internal", INTERNAL, headers={k.decode(): v.decode() for k, v in HEADERS}
        )
    route = request.scope.get("route")  # label by route template: bounded, never user text
    path = getattr(route, "path", None) or (
        request.url.path if request.url.path in LIMITED + SEARCHES else "other"
    )
    elapsed = time.perf_counter() - started
    metrics, settings = request.app.state.metrics, request.app.state.settings
    metrics.requests.labels(request.method, path, str(response.status_code)).inc()
    metrics.latency.labels(path).observe(elapsed)
    log.info(
        "request",
        extra={
            "fields": {
                "method": request.method,
                "path": path,
                "status": response.status_code,
                "ms": round(1000 * elapsed, 1),
                "client": _client_hash(request, settings.trust_proxy),
            }
        },
    )
    return response
