"""The HTTP API (FastAPI). Only this module turns domain errors into HTTP statuses.

Every error is `{"error": {"code", "message"}}` with a Vietnamese message; bad input is a
4xx, never a 500 and never a stack trace. Search runs in FastAPI's thread pool (plain `def`
endpoints), so CPU work never blocks the event loop and `/healthz` stays responsive.
"""

from __future__ import annotations

import datetime
import logging
import time
from contextlib import asynccontextmanager
from typing import Literal

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from ingest.textnorm import normalize
from retriever.search import Filters
from retriever.store import IndexMissing
from service.engine import Engine, build_engine
from service.export import to_csv, to_ics
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


class SearchIn(BaseModel):
    query: str
    k: int = Field(default=10, ge=1, le=50)
    filters: FiltersIn | None = None

    @field_validator("query")
    @classmethod
    def _check(cls, value: str) -> str:
        return _clean_question(value)


class AskIn(BaseModel):
    question: str
    session_id: str | None = Field(default=None, max_length=100)
    k: int = Field(default=5, ge=1, le=20)
    filters: FiltersIn | None = None

    @field_validator("question")
    @classmethod
    def _check(cls, value: str) -> str:
        return _clean_question(value)


def error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


_FIELD_NAMES = {"query": "câu hỏi (query)", "question": "câu hỏi (question)", "k": "số kết quả (k)",
                "filters": "bộ lọc (filters)", "commune": "xã (commune)", "kind": "loại (kind)", "year": "năm (year)",
                "due_before": "hạn chót (due_before, dạng YYYY-MM-DD)", "unit": "đơn vị (unit)",
                "role": "vai trò (role: lead, partner hoặc any)", "format": "định dạng (format: json, csv hoặc ics)"}


def _validation_message(exc: RequestValidationError) -> tuple[int, str, str]:
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            return 400, "invalid_json", "Nội dung gửi lên không phải JSON hợp lệ."
    err = exc.errors()[0] if exc.errors() else {}
    loc = [str(p) for p in err.get("loc", ()) if p != "body"]
    field = _FIELD_NAMES.get(loc[-1], loc[-1]) if loc else "nội dung yêu cầu"
    kind = err.get("type", "")
    text = str(err.get("ctx", {}).get("error", ""))
    if kind == "missing":
        return 422, "missing_field", f"Thiếu trường bắt buộc: {field}."
    if text == "empty":
        return 422, "empty_query", "Câu hỏi không được để trống."
    if text == "encoding":
        return 422, "invalid_text", "Câu hỏi chứa ký tự không hợp lệ."
    if text == "too long":
        return 413, "query_too_long", f"Câu hỏi quá dài (tối đa {MAX_QUERY} ký tự)."
    if kind.endswith("_type") or kind in ("model_attributes_type", "dict_type"):
        return 422, "wrong_type", f"Kiểu dữ liệu của {field} không đúng."
    return 422, "invalid_value", f"Giá trị của {field} không hợp lệ."


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()

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
        yield

    app = FastAPI(title="tthc", version="0.1.0", lifespan=lifespan,
                  description="Hỏi đáp và tra cứu thủ tục hành chính, kế hoạch CCHC cấp xã.")
    app.state.counters = {}

    @app.middleware("http")
    async def count(request: Request, call_next):
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")  # label by route template: bounded, never user text
        key = (getattr(route, "path", "other"), response.status_code)
        app.state.counters[key] = app.state.counters.get(key, 0) + 1
        log.info("%s %s %s %.1fms", request.method, key[0], response.status_code, 1000 * (time.perf_counter() - started))
        return response

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError):
        status, code, message = _validation_message(exc)
        return error(status, code, message)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException):
        messages = {404: "Không tìm thấy địa chỉ này.", 405: "Phương thức không được hỗ trợ cho địa chỉ này."}
        return error(exc.status_code, f"http_{exc.status_code}", messages.get(exc.status_code, "Yêu cầu không hợp lệ."))

    @app.exception_handler(IndexMissing)
    async def on_missing(request: Request, exc: IndexMissing):
        return error(503, "index_missing", "Hệ thống chưa sẵn sàng: chưa có chỉ mục tài liệu. Vui lòng thử lại sau.",
                     headers={"Retry-After": "30"})

    @app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.url.path)
        return error(500, "internal", "Hệ thống gặp lỗi. Vui lòng thử lại sau.")

    def current() -> Engine:
        if engine is None or not engine.ready:
            raise IndexMissing("index not loaded")
        return engine

    @app.post("/api/search")
    def search(body: SearchIn) -> dict:
        filters = Filters(**body.filters.model_dump()) if body.filters else None
        hits = current().search(body.query, k=body.k, filters=filters)
        return {"results": [hit.citation(n) for n, hit in enumerate(hits, start=1)]}

    @app.post("/api/ask")
    def ask(body: AskIn) -> dict:
        filters = Filters(**body.filters.model_dump()) if body.filters else None
        return current().ask(body.question, k=body.k, filters=filters, session_id=body.session_id).to_json()

    @app.get("/api/procedures")
    def procedures(q: str = Query("", max_length=settings.max_query_chars), field: str = Query("", max_length=200),
                   level: str = Query("", max_length=100), limit: int = Query(20, ge=1, le=200),
                   offset: int = Query(0, ge=0)) -> dict:
        return current().procedures(normalize(q).strip(), field, level, limit, offset)

    @app.get("/api/procedures/{key}")
    def procedure(key: str):
        found = current().procedure(key.strip())
        if found is None:
            return error(404, "procedure_not_found", f"Không tìm thấy thủ tục có mã {key[:40]!r}.")
        return found

    @app.get("/api/duties")
    def duties(unit: str = Query("", max_length=200), commune: str = Query("", max_length=100),
               due_before: datetime.date | None = None, q: str = Query("", max_length=settings.max_query_chars),
               role: Literal["lead", "partner", "any"] = "lead", format: Literal["json", "csv", "ics"] = "json"):
        found = current().duties(unit=normalize(unit).strip(), commune=normalize(commune).strip(),
                                 due_before=due_before, q=normalize(q).strip(), role=role)
        if format == "csv":
            return Response(to_csv(found), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": 'attachment; filename="nhiem-vu.csv"'})
        if format == "ics":
            return Response(to_ics(found), media_type="text/calendar; charset=utf-8",
                            headers={"Content-Disposition": 'attachment; filename="nhiem-vu.ics"'})
        return {"duties": [d.to_json() for d in found]}

    @app.get("/api/documents")
    def documents() -> dict:
        return {"documents": current().documents()}

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz():
        if engine is None or not engine.ready:
            return error(503, "not_ready", "Chỉ mục chưa được nạp.")
        generation = engine.searcher.generation
        return {"status": "ready", "generation": generation.name, "chunks": len(generation.chunks)}

    @app.get("/metrics", response_class=PlainTextResponse)
    def metrics() -> str:
        lines = ["# TYPE tthc_requests_total counter"]
        for (path, status), value in sorted(app.state.counters.items()):
            lines.append(f'tthc_requests_total{{path="{path}",status="{status}"}} {value}')
        chunks = len(engine.searcher.chunks) if engine is not None and engine.ready else 0
        lines += ["# TYPE tthc_index_chunks gauge", f"tthc_index_chunks {chunks}"]
        return "\n".join(lines) + "\n"

    return app
