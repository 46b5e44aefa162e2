"""What stands between the internet and the engine, as plain ASGI middleware: a size limit
on request bodies, a per-client rate limit on the routes that make the engine work, and the
security headers every response carries. Refusals are the contract's JSON errors with
Vietnamese messages."""

from __future__ import annotations

import hmac
import math
import re
import threading
import time
from collections import OrderedDict
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Pages may load only their own scripts, styles and images and talk only to this service.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'"
)
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"content-security-policy", CSP.encode()),
]
# The widget's files are loaded by other origins' pages.
SHARED_PATHS = ("/widget.js", "/static/")


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorBody


# Every route may answer with the contract's error object; the schema says so (fuzzers and
# clients read it).
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (400, 401, 403, 404, 413, 415, 422, 429, 503)
}


def error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


# The refusals of a keyed route, shared by KeyFirst and the app's HTTP error handler.
KEY_MESSAGES = {401: "Cần khóa truy cập (X-API-Key).", 403: "Khóa truy cập không đúng."}


def key_matches(given: str | None, *keys: str | None) -> bool:
    """Constant-time comparison of a presented API key with the configured ones."""
    if not given:
        return False
    return any(k and hmac.compare_digest(given.encode(), k.encode()) for k in keys)


async def _send_error(
    send: Send, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> None:
    """The contract's JSON error, sent from middleware (outside any route)."""
    await error(status, code, message, headers)({"type": "http"}, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


def client_id(scope: Scope, trust_proxy: bool) -> str:
    """The client's address; behind a trusted reverse proxy, the last X-Forwarded-For entry:
    the one the proxy appended (the entries before it are whatever the client sent)."""
    if trust_proxy:
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                return value.decode("latin-1").split(",")[-1].strip()
    client = scope.get("client")
    return client[0] if client else "unknown"


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        shared = scope["path"].startswith(SHARED_PATHS)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in present]
                extra.append(
                    (b"cross-origin-resource-policy", b"cross-origin" if shared else b"same-origin")
                )
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, with_headers)


class KeyFirst:
    """The routes `guarded(method, path)` names answer 401/403 before their body is read:
    nobody without the key gets a 20 MB upload parsed. (Other methods on those paths get the
    router's 405 as usual.) With no key configured they are switched off and answer 403 with
    `off` (code, message): no key could open them, and the message says what turns them on
    (a 404 would tell the operator nothing, a 503 would invite a retry)."""

    def __init__(self, app: ASGIApp, guarded, key: str | None, off: tuple[str, str]):
        self.app, self.guarded, self.key, self.off = app, guarded, key, off

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.guarded(scope["method"], scope["path"]):
            if not self.key:
                return await _send_error(send, 403, *self.off)
            given = next(
                (v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-api-key"),
                None,
            )
            if not given:
                return await _send_error(send, 401, "http_401", KEY_MESSAGES[401])
            if not key_matches(given, self.key):
                return await _send_error(send, 403, "http_403", KEY_MESSAGES[403])
        await self.app(scope, receive, send)


class BodyLimit:
    """Refuse bodies over `limit` bytes (413), by Content-Length or, for a body sent without
    one, by reading it (up to the limit) before the app sees it; paths in `larger` have their
    own limit (uploads)."""

    def __init__(self, app: ASGIApp, limit: int, larger: dict[str, int] | None = None):
        self.app, self.limit, self.larger = app, limit, larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.larger.get(scope["path"], self.limit)
        message = f"Nội dung gửi lên quá lớn (tối đa {_size(limit)})."
        try:
            declared = _content_length(scope)
        except ValueError:
            return await _send_error(send, 400, "bad_length", "Độ dài nội dung không hợp lệ.")
        if declared is not None:
            if declared > limit:
                return await _send_error(send, 413, "body_too_large", message)
            return await self.app(scope, receive, send)
        try:
            body = await _read_body(receive, limit)
        except _TooLarge:
            return await _send_error(send, 413, "body_too_large", message)
        if body is None:
            return  # the client went away
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class _TooLarge(Exception):
    pass


def _content_length(scope: Scope) -> int | None:
    """The declared body length (the last Content-Length header), None without one; raises
    ValueError when it is not a number."""
    declared = None
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            declared = int(value)
    return declared


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, read up to `limit` bytes (over it: `_TooLarge`); None when the client
    went away."""
    chunks: list[bytes] = []
    size = 0
    while True:
        event = await receive()
        if event["type"] != "http.request":
            return None
        chunks.append(event.get("body", b""))
        size += len(chunks[-1])
        if size > limit:
            raise _TooLarge
        if not event.get("more_body", False):
            return b"".join(chunks)


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


class TokenBuckets:
    """Per-client token buckets: `burst` requests at once, refilled at `per_minute`."""

    MAX_CLIENTS = 10_000

    def __init__(self, per_minute: int, burst: int, clock=time.monotonic):
        self.rate, self.burst, self.clock = per_minute / 60.0, max(1, burst), clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.pop(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / self.rate if self.rate > 0 else 60.0
            self._buckets[client] = (tokens, now)
            while len(self._buckets) > self.MAX_CLIENTS:
                self._buckets.popitem(last=False)
        return wait


_SEARCHING = re.compile(rb"(?:^|&)q=[^&]")


class RateLimit:
    """429 with Retry-After for a client over its budget on what costs CPU: POSTs to `paths`,
    and GETs to `searches` that carry a search text (`?q=…`). A request carrying the
    evaluators' key (`X-Eval-Key`, `eval_key`) is not counted: an evaluation asks hundreds of
    questions from one address."""

    def __init__(
        self,
        app: ASGIApp,
        buckets: TokenBuckets,
        paths: tuple[str, ...],
        searches: tuple[str, ...] = (),
        trust_proxy: bool = False,
        eval_key: str | None = None,
    ):
        self.app, self.buckets, self.paths, self.searches = app, buckets, paths, searches
        self.trust_proxy, self.eval_key = trust_proxy, eval_key

    def _evaluator(self, scope: Scope) -> bool:
        if not self.eval_key:
            return False
        given = next(
            (v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-eval-key"), None
        )
        return key_matches(given, self.eval_key)

    def _costly(self, scope: Scope) -> bool:
        if scope["method"] == "POST":
            return scope["path"] in self.paths
        return (
            scope["method"] == "GET"
            and scope["path"] in self.searches
            and bool(_SEARCHING.search(scope.get("query_string", b"")))
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._costly(scope) and not self._evaluator(scope):
            wait = self.buckets.take(client_id(scope, self.trust_proxy))
            if wait > 0:
                seconds = max(1, math.ceil(wait))
                return await _send_error(
                    send,
                    429,
                    "rate_limited",
                    f"Bạn hỏi quá nhanh. Vui lòng thử lại sau {seconds} giây.",
                    {"retry-after": str(seconds)},
                )
        await self.app(scope, receive, send)
