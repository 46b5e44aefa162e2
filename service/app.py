"""The HTTP API (FastAPI). Only this module turns domain errors into HTTP statuses.

Every error is `{"error": {"code", "message"}}` with a Vietnamese message; bad input is a
4xx, never a 500 and never a stack trace. Searching and answering run in a worker thread
under a time limit (`work`), so CPU work never blocks the event loop and `/healthz` stays
responsive while a slow question is answered. In front of the routes (`service.guard`):
security headers, CORS for the configured portal origins, a body size limit and a
per-client rate limit. Questions and feedback are kept redacted (`service.journal`); log
lines are redacted JSON (`service.privacy`).
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import hashlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Literal

import anyio
from fastapi import FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field, field_validator
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from ingest.textnorm import normalize
from retriever.scope import Scope
from retriever.search import Filters
from retriever.store import IndexMissing
from service.admin import add_admin, is_admin_route
from service.answer.compose import Answer
from service.answer.render import lines, office, render
from service.engine import Engine, build_engine
from service.export import to_csv, to_ics
from service.guard import (
    ERRORS,
    HEADERS,
    KEY_MESSAGES,
    BodyLimit,
    KeyFirst,
    RateLimit,
    SecurityHeaders,
    TokenBuckets,
    client_id,
    error,
    key_matches,
)
from service.journal import Journal
from service.metrics import Metrics
from service.pages import add_pages
from service.settings import Settings, get_settings

log = logging.getLogger("tthc.http")
MAX_QUERY = 2000


class FiltersIn(BaseModel):
    commune: str | None = Field(default=None, max_length=100)
    kind: Literal["plan", "procedure"] | None = None
    year: int | None = Field(default=None, ge=1945, le=2100)


def _clean_question(value: str) -> str:
    """Reject text that is not valid Unicode, empty after trimming, or too long."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("encoding") from None
    value = normalize(value).strip()
    if not value:
        raise ValueError("empty")
    if len(value) > MAX_QUERY:
        raise ValueError("too long")
    return value


# What the schema tells clients; `_clean_question` decides, after normalising and trimming.
QUESTION_SCHEMA = {"minLength": 1, "maxLength": MAX_QUERY, "pattern": r"\S"}


class SearchIn(BaseModel):
    query: str = Field(json_schema_extra=QUESTION_SCHEMA)
    k: int = Field(default=10, ge=1, le=50)
    filters: FiltersIn | None = None

    @field_validator("query")
    @classmethod
    def _check(cls, value: str) -> str:
        return _clean_question(value)


class FeedbackIn(BaseModel):
    answer_id: str = Field(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")
    rating: Literal["up", "down"]
    comment: str | None = Field(default=None, max_length=1000)


class AskIn(BaseModel):
    question: str = Field(json_schema_extra=QUESTION_SCHEMA)
    session_id: str | None = Field(default=None, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")
    k: int = Field(default=5, ge=1, le=20)
    filters: FiltersIn | None = None

    @field_validator("question")
    @classmethod
    def _check(cls, value: str) -> str:
        return _clean_question(value)


_FIELD_NAMES = {
    "query": "câu hỏi (query)",
    "question": "câu hỏi (question)",
    "k": "số kết quả (k)",
    "filters": "bộ lọc (filters)",
    "commune": "xã (commune)",
    "kind": "loại (kind)",
    "year": "năm (year)",
    "due_before": "hạn chót (due_before, dạng YYYY-MM-DD)",
    "unit": "đơn vị (unit)",
    "role": "vai trò (role: lead, partner hoặc any)",
    "format": "định dạng (format: json, csv hoặc ics)",
    "answer_id": "mã câu trả lời (answer_id)",
    "rating": "đánh giá (rating: up hoặc down)",
    "comment": "góp ý (comment, tối đa 1000 ký tự)",
    "session_id": "mã cuộc trò chuyện (session_id)",
    "file": "tệp (file)",
    "visibility": "phạm vi (visibility: public hoặc internal)",
    "limit": "số dòng (limit)",
    "offset": "vị trí bắt đầu (offset)",
}


def _validation_message(exc: RequestValidationError) -> tuple[int, str, str]:
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            return 400, "invalid_json", "Nội dung gửi lên không phải JSON hợp lệ."
    err = exc.errors()[0] if exc.errors() else {}
    loc = [str(p) for p in err.get("loc", ()) if p != "body"]
    field = _FIELD_NAMES.get(loc[-1], loc[-1]) if loc else "nội dung yêu cầu"
    kind = err.get("type", "")
    text = str(err.get("ctx", {}).get("error", ""))
    if loc and loc[-1] == "stored_as":
        return 400, "bad_file_name", "Tên tệp không hợp lệ."
    if kind == "string_too_short" and loc and loc[-1] in ("question", "query"):
        return 422, "empty_query", "Câu hỏi không được để trống."
    if kind == "missing":
        return 422, "missing_field", f"Thiếu trường bắt buộc: {field}."
    if text == "empty":
        return 422, "empty_query", "Câu hỏi không được để trống."
    if text == "encoding":
        return 422, "invalid_text", "Câu hỏi chứa ký tự không hợp lệ."
    if text == "too long" or (
        kind == "string_too_long" and loc and loc[-1] in ("question", "query")
    ):
        return 413, "query_too_long", f"Câu hỏi quá dài (tối đa {MAX_QUERY} ký tự)."
    if kind.endswith("_type") or kind in ("model_attributes_type", "dict_type"):
        return 422, "wrong_type", f"Kiểu dữ liệu của {field} không đúng."
    return 422, "invalid_value", f"Giá trị của {field} không hợp lệ."


# Routes that make the engine work, limited per client.
LIMITED = ("/api/ask", "/api/ask/stream", "/api/search", "/api/officer/ask", "/api/feedback")
SEARCHES = ("/api/procedures", "/api/duties")  # limited too when they carry ?q=
PURGE_EVERY = 3600.0


class Busy(Exception):
    """The engine did not finish within the request time limit."""


def _client_hash(request: Request, trust_proxy: bool) -> str:
    """A short one-way tag of the client address: tells log lines of one client apart
    without keeping the address."""
    return hashlib.sha256(client_id(request.scope, trust_proxy).encode()).hexdigest()[:10]


def _event(name: str, data: dict | str) -> bytes:
    payload = json.dumps(data, ensure_ascii=False) if isinstance(data, dict) else data
    return f"event: {name}\ndata: {payload}\n\n".encode()


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    journal = Journal(settings.data_dir / "journal.sqlite", settings.retention_days)
    metrics = Metrics()

    async def purge_regularly() -> None:
        while True:
            try:
                removed = await run_in_threadpool(journal.purge)
                log.info(
                    "journal purged",
                    extra={
                        "fields": {"removed": removed, "retention_days": settings.retention_days}
                    },
                )
            except Exception:  # a failed purge is logged and retried next hour
                log.exception("journal purge failed")
            await asyncio.sleep(PURGE_EVERY)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        nonlocal engine
        if engine is None:
            engine = build_engine(settings)
        app.state.engine = engine
        if not engine.ready:
            try:
                engine.load()
            except IndexMissing as exc:
                log.warning("%s", exc)
        purger = asyncio.create_task(purge_regularly())
        yield
        purger.cancel()
        journal.close()

    app = FastAPI(
        title="tthc",
        version="0.1.0",
        lifespan=lifespan,
        description="Hỏi đáp và tra cứu thủ tục hành chính, kế hoạch CCHC cấp xã.",
    )
    app.state.journal, app.state.metrics, app.state.settings = journal, metrics, settings
    # Innermost first: the rate limit and the body limit sit behind CORS (so a refused widget
    # request still carries its CORS headers) and the security headers (so every response does).
    app.add_middleware(
        RateLimit,
        buckets=TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst),
        paths=LIMITED,
        searches=SEARCHES,
        trust_proxy=settings.trust_proxy,
    )
    app.add_middleware(
        BodyLimit,
        limit=settings.max_body_bytes,
        larger={"/api/admin/documents": settings.max_upload_bytes},
    )
    if settings.admin_api_key:
        app.add_middleware(KeyFirst, guarded=is_admin_route, key=settings.admin_api_key)
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

    @app.middleware("http")
    async def observe(request: Request, call_next):
        started = time.perf_counter()
        try:
            response = await call_next(request)
        except Exception:  # answered here, inside the security headers, never as a trace
            log.exception("unhandled error", extra={"fields": {"path": request.url.path}})
            # This middleware sits outside SecurityHeaders (so that it counts 429s and 413s too).
            response = error(
                500,
                "internal",
                "Hệ thống gặp lỗi. Vui lòng thử lại sau.",
                headers={k.decode(): v.decode() for k, v in HEADERS},
            )
        route = request.scope.get("route")  # label by route template: bounded, never user text
        path = getattr(route, "path", None) or (
            request.url.path if request.url.path in LIMITED + SEARCHES else "other"
        )
        elapsed = time.perf_counter() - started
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

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError):
        status, code, message = _validation_message(exc)
        return error(status, code, message)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException):
        messages = {
            404: "Không tìm thấy địa chỉ này.",
            405: "Phương thức không được hỗ trợ cho địa chỉ này.",
            **KEY_MESSAGES,
        }
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:  # every method the path has, not only the first route's
            methods = {
                m
                for r in app.router.routes
                if r.matches(request.scope)[0] != Match.NONE
                for m in getattr(r, "methods", None) or ()
            }
            headers = {"Allow": ", ".join(sorted(methods))}
        return error(
            exc.status_code,
            f"http_{exc.status_code}",
            messages.get(exc.status_code, "Yêu cầu không hợp lệ."),
            headers=headers,
        )

    @app.exception_handler(IndexMissing)
    async def on_missing(request: Request, exc: IndexMissing):
        return error(
            503,
            "index_missing",
            "Hệ thống chưa sẵn sàng: chưa có chỉ mục tài liệu. Vui lòng thử lại sau.",
            headers={"Retry-After": "30"},
        )

    @app.exception_handler(Busy)
    async def on_busy(request: Request, exc: Busy):
        return error(
            503,
            "busy",
            "Hệ thống đang bận, chưa trả lời kịp. Vui lòng thử lại sau ít phút.",
            headers={"Retry-After": "10"},
        )

    @app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception):
        log.exception("unhandled error", extra={"fields": {"path": request.url.path}})
        return error(500, "internal", "Hệ thống gặp lỗi. Vui lòng thử lại sau.")

    def current() -> Engine:
        if engine is None or not engine.ready:
            raise IndexMissing("index not loaded")
        return engine

    limiter = anyio.CapacityLimiter(settings.engine_threads)

    async def work(fn: Callable, *args, **kwargs):
        """Run CPU-bound engine work in one of `engine_threads` worker threads, within the
        request time limit (waiting for a thread counts). More threads than cores only fight
        the event loop for the interpreter lock: /healthz p95 went from 1.5-2 s to 40 ms under
        50 concurrent questions at the same throughput (eval/reports/load.md)."""
        call = functools.partial(fn, *args, **kwargs)
        try:
            return await asyncio.wait_for(
                anyio.to_thread.run_sync(call, limiter=limiter), settings.request_timeout_s
            )
        except TimeoutError:
            raise Busy from None

    def officer(key: str | None) -> None:
        """Officer routes: absent without a configured key, 401 without one, 403 for a wrong one."""
        if not (settings.officer_api_key or settings.admin_api_key):
            raise StarletteHTTPException(404)
        if not key:
            raise StarletteHTTPException(401)
        if not key_matches(key, settings.officer_api_key, settings.admin_api_key):
            raise StarletteHTTPException(403)

    def filters_of(body: AskIn | SearchIn) -> Filters | None:
        return Filters(**body.filters.model_dump()) if body.filters else None

    def scope_of(key: str | None) -> Scope:
        """Who is asking, from the key they send (none: the public)."""
        if key_matches(key, settings.admin_api_key):
            return Scope.ADMIN
        if key_matches(key, settings.officer_api_key):
            return Scope.OFFICER
        return Scope.PUBLIC

    def answered(body: AskIn, answer: Answer) -> dict:
        journal.record_question(
            answer.answer_id,
            body.question,
            answer.session_id,
            answer.abstained,
            answer.answerer,
            answer.mode,
        )
        metrics.answered(answer.answerer, answer.mode, answer.abstained, answer.reason)
        return answer.to_json()

    @app.post("/api/search", responses=ERRORS)
    async def search(body: SearchIn, x_api_key: str | None = Header(default=None)) -> dict:
        """Ranked passages; with an officer's key, internal documents' too."""
        hits = await work(
            current().search,
            body.query,
            k=body.k,
            filters=filters_of(body),
            scope=scope_of(x_api_key),
        )
        return {"results": [hit.citation(n) for n, hit in enumerate(hits, start=1)]}

    @app.post("/api/ask", responses=ERRORS)
    async def ask(body: AskIn) -> dict:
        answer = await work(
            current().ask,
            body.question,
            k=body.k,
            filters=filters_of(body),
            session_id=body.session_id,
        )
        return answered(body, answer)

    @app.post("/api/officer/ask", responses=ERRORS)
    async def officer_ask(body: AskIn, x_api_key: str | None = Header(default=None)) -> dict:
        """As /api/ask, for authenticated officers: internal documents answer too."""
        officer(x_api_key)
        answer = await work(
            current().ask,
            body.question,
            k=body.k,
            filters=filters_of(body),
            scope=scope_of(x_api_key),
            session_id=body.session_id,
        )
        return answered(body, answer)

    @app.post(
        "/api/ask/stream",
        responses={200: {"content": {"text/event-stream": {}}}, **ERRORS},
        response_class=StreamingResponse,
    )
    async def ask_stream(body: AskIn):
        """The answer as Server-Sent Events: `start`, `token`… (the text, in order), `done` (the
        whole /api/ask response). Errors before the first event are the usual JSON errors."""
        session = body.session_id or uuid.uuid4().hex
        pieces: Iterator = current().ask_stream(
            body.question, k=body.k, filters=filters_of(body), session_id=session
        )
        first = await work(next, pieces, None)

        async def events() -> AsyncIterator[bytes]:
            yield _event("start", {"session_id": session})
            piece = first
            try:
                while piece is not None:
                    if isinstance(piece, Answer):
                        yield _event("done", answered(body, piece))
                        return
                    yield _event("token", {"text": piece})
                    piece = await work(next, pieces, None)  # the engine's threads and time limit
            except Exception:  # the stream has started: the error is an event
                log.exception("stream failed")
                yield _event(
                    "error",
                    {
                        "error": {
                            "code": "internal",
                            "message": "Hệ thống gặp lỗi. Vui lòng thử lại sau.",
                        }
                    },
                )

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.post("/api/feedback", responses=ERRORS)
    async def feedback(body: FeedbackIn) -> dict:
        if not journal.has_answer(body.answer_id):
            return error(
                404,
                "answer_not_found",
                "Không tìm thấy câu trả lời này (có thể đã bị xóa theo thời hạn lưu).",
            )
        journal.record_feedback(
            body.answer_id, body.rating, normalize(body.comment or "").strip() or None
        )
        metrics.feedback.labels(body.rating).inc()
        return {"ok": True}

    @app.delete("/api/sessions/{session_id}", responses=ERRORS)
    async def forget(session_id: str) -> dict:
        """A citizen's request to delete their conversation: its questions and feedback."""
        if len(session_id) > 100:
            return error(422, "invalid_value", "Mã cuộc trò chuyện không hợp lệ.")
        removed = journal.forget_session(session_id)
        if engine is not None:
            engine.conversations.forget(session_id)
        return {"ok": True, "removed": removed}

    @app.get("/api/suggestions", responses=ERRORS)
    def suggestions() -> dict:
        return {"suggestions": list(lines("suggestions"))}

    @app.get("/api/about", responses=ERRORS)
    def about() -> dict:
        return {
            "assistant_notice": render("assistant_notice", office=office()),
            "privacy_notice": render(
                "privacy_notice", days=str(settings.retention_days), office=office()
            ),
            "retention_days": settings.retention_days,
            "office": office(),
        }

    @app.get("/api/procedures", responses=ERRORS)
    async def procedures(
        q: str = Query("", max_length=settings.max_query_chars),
        field: str = Query("", max_length=200),
        level: str = Query("", max_length=100),
        limit: int = Query(20, ge=1, le=200),
        offset: int = Query(0, ge=0, le=100_000),
    ) -> dict:
        return await work(current().procedures, normalize(q).strip(), field, level, limit, offset)

    @app.get("/api/procedures/{key}", responses=ERRORS)
    def procedure(key: str):
        found = current().procedure(key.strip())
        if found is None:
            return error(404, "procedure_not_found", f"Không tìm thấy thủ tục có mã {key[:40]!r}.")
        return found

    @app.get(
        "/api/duties",
        responses={
            200: {"content": {"application/json": {}, "text/csv": {}, "text/calendar": {}}},
            **ERRORS,
        },
    )
    async def duties(
        unit: str = Query("", max_length=200),
        commune: str = Query("", max_length=100),
        due_before: str | None = Query(
            None, pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra={"format": "date"}
        ),
        q: str = Query("", max_length=settings.max_query_chars),
        role: Literal["lead", "partner", "any"] = "lead",
        format: Literal["json", "csv", "ics"] = "json",
        x_api_key: str | None = Header(default=None),
    ):
        """Plan duties; with an officer's key, internal plans' duties too."""
        try:
            date = datetime.date.fromisoformat(due_before) if due_before else None
        except ValueError:
            return error(
                422, "invalid_value", f"Giá trị của {_FIELD_NAMES['due_before']} không hợp lệ."
            )
        found = await work(
            current().duties,
            unit=normalize(unit).strip(),
            commune=normalize(commune).strip(),
            due_before=date,
            q=normalize(q).strip(),
            role=role,
            scope=scope_of(x_api_key),
        )
        if format == "csv":
            return Response(
                to_csv(found),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="nhiem-vu.csv"'},
            )
        if format == "ics":
            return Response(
                to_ics(found),
                media_type="text/calendar; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="nhiem-vu.ics"'},
            )
        return {"duties": [d.to_json() for d in found]}

    @app.get("/api/documents", responses=ERRORS)
    def documents(x_api_key: str | None = Header(default=None)) -> dict:
        """Ingested documents; internal ones only with an officer's key."""
        return {"documents": current().documents(scope_of(x_api_key))}

    @app.get("/healthz")
    async def healthz() -> dict:  # on the event loop: answers even when every worker is busy
        return {"status": "ok"}

    @app.get("/readyz", responses=ERRORS)
    async def readyz():
        if engine is None or not engine.ready:
            return error(503, "not_ready", "Chỉ mục chưa được nạp.")
        generation = engine.searcher.generation
        return {"status": "ready", "generation": generation.name, "chunks": len(generation.chunks)}

    @app.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
    def prometheus() -> Response:
        if engine is not None and engine.ready:
            generation = engine.searcher.generation
            metrics.chunks.set(len(generation.chunks))
            metrics.documents.set(len(generation.documents))
            folder = engine.store.generations / generation.name
            metrics.index_bytes.set(sum(f.stat().st_size for f in folder.iterdir() if f.is_file()))
        return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    if settings.admin_api_key:
        add_admin(app, settings, lambda: engine)
    add_pages(app)
    return app
