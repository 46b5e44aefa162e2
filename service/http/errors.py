"""The one error table: every exception a request can end in, and the contract's JSON error
it becomes, `{"error": {"code", "message"}}` with a Vietnamese message, its status and any
headers. Routes and dependencies raise; only `install` turns exceptions into responses, so
bad input is a 4xx, never a 500 and never a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import fastapi.routing
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute, Match

from retriever.store import IndexMissing
from service.admin import Refused
from service.guard import KEY_MESSAGES, error
from service.http.models import MAX_QUERY

log = logging.getLogger("tthc.http")


class Busy(Exception):
    """The engine did not finish within the request time limit."""


class NotReady(Exception):
    """`/readyz` before an index is loaded."""


class AnswerNotFound(Exception):
    """Feedback on an answer the journal does not hold (never given, or purged)."""


class ProcedureNotFound(Exception):
    """No procedure has this code or document id."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


class BadSessionId(Exception):
    """A conversation id longer than any the service gives."""


class BadDate(Exception):
    """`due_before` has the date's shape but is no date (`2026-02-30`)."""


# How a field is named in a refusal: its Vietnamese name, with the field itself in brackets.
FIELD_NAMES = {
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
INTERNAL = "Hệ thống gặp lỗi. Vui lòng thử lại sau."
HTTP_MESSAGES = {
    404: "Không tìm thấy địa chỉ này.",
    405: "Phương thức không được hỗ trợ cho địa chỉ này.",
    **KEY_MESSAGES,
}

Reply = tuple[int, str, str, dict[str, str] | None]  # status, code, message, headers


def validation_message(exc: RequestValidationError) -> tuple[int, str, str]:
    """Status, code and message for the first thing wrong with a request's input."""
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            return 400, "invalid_json", "Nội dung gửi lên không phải JSON hợp lệ."
    err = exc.errors()[0] if exc.errors() else {}
    loc = [str(p) for p in err.get("loc", ()) if p != "body"]
    field = FIELD_NAMES.get(loc[-1], loc[-1]) if loc else "nội dung yêu cầu"
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


def _invalid(request: Request, exc: RequestValidationError) -> Reply:
    return (*validation_message(exc), None)


def routes_of(app: FastAPI) -> list[BaseRoute]:
    """Every route of the app, those of included routers too: FastAPI 0.16x keeps an included
    router as one entry of `app.routes` (and flattens it with `iter_route_contexts`); earlier
    versions copy its routes in."""
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    return list(contexts(app.router.routes)) if contexts else list(app.router.routes)


def _http(request: Request, exc: StarletteHTTPException) -> Reply:
    """The router's own refusals (unknown path, wrong method) and the keyed routes' 401/403."""
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:  # every method the path has, not only the first route's
        methods = {
            m
            for r in routes_of(request.app)
            if r.matches(request.scope)[0] != Match.NONE
            for m in getattr(r, "methods", None) or ()
        }
        headers = {"Allow": ", ".join(sorted(methods))}
    message = HTTP_MESSAGES.get(exc.status_code, "Yêu cầu không hợp lệ.")
    return exc.status_code, f"http_{exc.status_code}", message, headers


def _refused(request: Request, exc: Refused) -> Reply:
    return exc.status_code, exc.code, exc.message, None


def _no_procedure(request: Request, exc: ProcedureNotFound) -> Reply:
    return 404, "procedure_not_found", f"Không tìm thấy thủ tục có mã {exc.key[:40]!r}.", None


def _unexpected(request: Request, exc: Exception) -> Reply:
    log.exception("unhandled error", extra={"fields": {"path": request.url.path}})
    return 500, "internal", INTERNAL, None


# The table. Starlette picks an entry by the exception's class, the most specific first
# (`Refused` before `HTTPException`); `Exception` is the last resort, outside the middleware.
TABLE: dict[type[Exception], Reply | Callable[[Request, Any], Reply]] = {
    RequestValidationError: _invalid,
    StarletteHTTPException: _http,
    Refused: _refused,
    IndexMissing: (
        503,
        "index_missing",
        "Hệ thống chưa sẵn sàng: chưa có chỉ mục tài liệu. Vui lòng thử lại sau.",
        {"Retry-After": "30"},
    ),
    Busy: (
        503,
        "busy",
        "Hệ thống đang bận, chưa trả lời kịp. Vui lòng thử lại sau ít phút.",
        {"Retry-After": "10"},
    ),
    NotReady: (503, "not_ready", "Chỉ mục chưa được nạp.", None),
    AnswerNotFound: (
        404,
        "answer_not_found",
        "Không tìm thấy câu trả lời này (có thể đã bị xóa theo thời hạn lưu).",
        None,
    ),
    ProcedureNotFound: _no_procedure,
    BadSessionId: (422, "invalid_value", "Mã cuộc trò chuyện không hợp lệ.", None),
    BadDate: (422, "invalid_value", f"Giá trị của {FIELD_NAMES['due_before']} không hợp lệ.", None),
    Exception: _unexpected,
}


def _handler(entry: Reply | Callable[[Request, Any], Reply]):
    async def handle(request: Request, exc: Exception) -> Response:
        status, code, message, headers = entry(request, exc) if callable(entry) else entry
        return error(status, code, message, headers=headers)

    return handle


def install(app: FastAPI) -> None:
    """Answer every exception in `TABLE` as the contract's JSON error."""
    for kind, entry in TABLE.items():
        app.add_exception_handler(kind, _handler(entry))
