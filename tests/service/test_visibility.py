"""No route tells the public anything about internal documents (`noi-bo`).

Two apps over the tiny corpus, admin and officer keys configured: one also holds an internal
plan and an internal procedure, each carrying a marker word in its title and text. Every
route of the app, found from `app.routes`, is called without a key with requests that would
find the marker if it leaked (it is in the questions, queries and `q`; path parameters name
the internal records). The marker never shows, and each response is the same from both
apps once volatile fields (ids, timestamps, timings, request counters) are dropped: so no
count of internal documents shows either. A route without a recipe below fails
`test_every_route_has_a_recipe`.

Ranked results included: the public searches an index of public passages only
(`retriever.search`, a partition per scope) and its answers weigh words by the public
passages' rarity (`service.answer.compose.Rarity`), so no score, rank or abstention moves
with internal documents. The index's size on disk is the one figure not split.

Hash embedder over the two-file tiny corpus, plus one public procedure.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, TINY, HashEmbedder, tiny_settings
from fastapi.testclient import TestClient

from ingest.textnorm import fold
from service.app import create_app
from service.engine import build_engine
from service.http.errors import routes_of
from service.settings import Settings

ADMIN, OFFICER = "khoa-quan-tri-an", "khoa-can-bo-an"
MARKER = "Quetzalbi"
PLAN_TITLE = f"Kiểm tra {MARKER} năm 2026 xã Dân Hòa"
INTERNAL_PLAN = (
    f"**KẾ HOẠCH\n{PLAN_TITLE}**\n\n## **I. NHIỆM VỤ**\n"
    f"- Văn phòng HĐND và UBND xã triển khai chuyển đổi số {MARKER}, kiểm tra đột xuất hồ sơ "
    "thủ tục hành chính trong Quý II/2026.\n"
)
PUBLIC_PROCEDURE = ROOT / "tests" / "fixtures" / "portal" / "1.900002.json"
PROCEDURE_CODE = "9.900777"
PROCEDURE_NAME = f"Cấp Giấy chứng nhận {MARKER} nội bộ"
# What must never reach the public: the marker, and the internal records' titles.
SECRETS = (MARKER, PLAN_TITLE, PROCEDURE_NAME)
QUESTION = f"Xã Dân Hòa chuyển đổi số {MARKER} thế nào?"
# A commune only an internal plan covers: to the public it does not exist (the refusal names
# the communes the public documents cover, and a question naming it is an unknown commune).
HIDDEN_COMMUNE = "Tân Lập"
HIDDEN_PLAN = (
    f"**KẾ HOẠCH\nKiểm tra công vụ năm 2026 xã {HIDDEN_COMMUNE}**\n\n## **I. NHIỆM VỤ**\n"
    "- Văn phòng HĐND và UBND xã rà soát hồ sơ thủ tục hành chính trong Quý III/2026.\n"
)
HIDDEN_QUESTION = f"Xã {HIDDEN_COMMUNE} rà soát hồ sơ thủ tục hành chính khi nào?"


def internal_procedure() -> str:
    record = json.loads(PUBLIC_PROCEDURE.read_text(encoding="utf-8"))
    old_name = record["ten_thu_tuc"]
    record = {
        k: v.replace(old_name, PROCEDURE_NAME).replace("1.900002", PROCEDURE_CODE)
        if isinstance(v, str)
        else v
        for k, v in record.items()
    }
    return json.dumps(record, ensure_ascii=False)


def corpus(folder: Path, internal: bool) -> Path:
    folder.mkdir(parents=True)
    for name, text in TINY.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / PUBLIC_PROCEDURE.name).write_bytes(PUBLIC_PROCEDURE.read_bytes())
    if internal:
        (folder / "noi-bo").mkdir()
        (folder / "noi-bo" / "kiem-tra-cong-vu.md").write_text(INTERNAL_PLAN, encoding="utf-8")
        (folder / "noi-bo" / "tan-lap-2026.md").write_text(HIDDEN_PLAN, encoding="utf-8")
        (folder / "noi-bo" / f"{PROCEDURE_CODE}.json").write_text(
            internal_procedure(), encoding="utf-8"
        )
    return folder


def settings_for(tmp: Path, folder: Path) -> Settings:
    return tiny_settings(tmp, folder, admin_api_key=ADMIN, officer_api_key=OFFICER)


@pytest.fixture(scope="module")
def apps(tmp_path_factory) -> Iterator[dict[str, TestClient]]:
    """{"secret": the app with internal documents, "plain": the app without}."""
    clients = {}
    for name in ("secret", "plain"):
        tmp = tmp_path_factory.mktemp(name)
        folder = corpus(tmp / "corpus", internal=name == "secret")
        engine = build_engine(settings_for(tmp, folder), embedder=HashEmbedder())
        engine.ingest([folder])
        app = create_app(settings_for(tmp, folder), engine)
        clients[name] = TestClient(app, raise_server_exceptions=False).__enter__()
    yield clients
    for client in clients.values():
        client.__exit__(None, None, None)


def test_the_secret_app_does_hold_the_internal_documents(apps):
    # Otherwise every comparison below would be vacuous.
    officer = {"X-API-Key": OFFICER}
    documents = apps["secret"].get("/api/documents", headers=officer).json()["documents"]
    assert [d["visibility"] for d in documents if MARKER in d["title"]] == ["internal"] * 2
    results = (
        apps["secret"]
        .post("/api/search", json={"query": QUESTION, "k": 50}, headers=officer)
        .json()["results"]
    )
    assert any(MARKER in r["text"] for r in results)
    duties = apps["secret"].get("/api/duties", params={"q": MARKER, "role": "any"}, headers=officer)
    assert MARKER in duties.text


# --- the requests -------------------------------------------------------------------------

Request = dict  # httpx.Client.request keyword arguments: method, url, json, params, …


def _ask(url: str) -> list[Request]:
    return [
        {"method": "POST", "url": url, "json": {"question": QUESTION, "session_id": "an-1"}},
        {"method": "POST", "url": url, "json": {"question": MARKER, "k": 20}},
        {"method": "POST", "url": url, "json": {"question": PROCEDURE_NAME}},
        {"method": "POST", "url": url, "json": {"question": HIDDEN_QUESTION}},
    ]


def _get(url: str, **params) -> Request:
    return {"method": "GET", "url": url, "params": params}


# Each route's requests, given where the internal plan lies on disk.
RECIPES: dict[str, Callable[[Path], list[Request]]] = {
    "POST /api/search": lambda _: [
        {"method": "POST", "url": "/api/search", "json": {"query": q, "k": 50}}
        for q in (QUESTION, MARKER, PROCEDURE_NAME, PLAN_TITLE, HIDDEN_QUESTION)
    ],
    "POST /api/ask": lambda _: _ask("/api/ask"),
    "POST /api/ask/stream": lambda _: _ask("/api/ask/stream"),
    "POST /api/officer/ask": lambda _: _ask("/api/officer/ask"),
    "POST /api/feedback": lambda _: [
        {"method": "POST", "url": "/api/feedback", "json": {"answer_id": "ab12", "rating": "up"}}
    ],
    "DELETE /api/sessions/{session_id}": lambda _: [
        {"method": "DELETE", "url": "/api/sessions/an-1"}
    ],
    "GET /api/suggestions": lambda _: [_get("/api/suggestions")],
    "GET /api/about": lambda _: [_get("/api/about")],
    "GET /api/documents": lambda _: [_get("/api/documents")],
    "GET /api/procedures": lambda _: [
        _get("/api/procedures", limit=200),
        _get("/api/procedures", q=MARKER, limit=200),
        _get("/api/procedures", q=PROCEDURE_NAME),
        _get("/api/procedures", field="Thú y"),
    ],
    "GET /api/procedures/{key}": lambda _: [
        _get(f"/api/procedures/{PROCEDURE_CODE}"),
        _get(f"/api/procedures/tthc-{PROCEDURE_CODE}"),
    ],
    "GET /api/duties": lambda _: [
        _get("/api/duties", role="any"),
        _get("/api/duties", q=MARKER, role="any"),
        _get("/api/duties", commune="Dân Hòa", role="any"),
        _get("/api/duties", unit="Văn phòng HĐND và UBND xã", role="any", format="csv"),
        _get("/api/duties", due_before="2026-12-31", role="any", format="ics"),
    ],
    "GET /healthz": lambda _: [_get("/healthz")],
    "GET /readyz": lambda _: [_get("/readyz")],
    "GET /metrics": lambda _: [_get("/metrics")],
    "GET /api/admin/documents": lambda _: [_get("/api/admin/documents")],
    "POST /api/admin/documents": lambda _: [
        {
            "method": "POST",
            "url": "/api/admin/documents",
            "files": {"file": ("a.md", f"# {MARKER}".encode())},
        }
    ],
    "POST /api/admin/reindex": lambda _: [{"method": "POST", "url": "/api/admin/reindex"}],
    "DELETE /api/admin/documents/{stored_as}": lambda _: [
        {"method": "DELETE", "url": "/api/admin/documents/kiem-tra-cong-vu-0123abcd.md"}
    ],
    "GET /": lambda plan: [_get("/", name=str(plan)), _get("/", name=MARKER)],
    "GET /can-bo": lambda _: [_get("/can-bo")],
    "GET /quan-tri": lambda _: [_get("/quan-tri")],
    "GET /widget.js": lambda _: [_get("/widget.js")],
    "GET /static": lambda _: [_get("/static/chat.js"), _get("/static/can-bo.js")],
    "GET /openapi.json": lambda _: [_get("/openapi.json")],
    "GET /docs": lambda _: [_get("/docs")],
    "GET /docs/oauth2-redirect": lambda _: [_get("/docs/oauth2-redirect")],
    "GET /redoc": lambda _: [_get("/redoc")],
}
# Keyed routes: without a key, refused as before (the admin routes by `guard.KeyFirst`).
REFUSED = {
    "POST /api/officer/ask": 401,
    "GET /api/admin/documents": 401,
    "POST /api/admin/documents": 401,
    "POST /api/admin/reindex": 401,
    "DELETE /api/admin/documents/{stored_as}": 401,
}


def every_route() -> list[str]:
    """`METHOD path` of every route of an app with both keys set (so the keyed routes are
    there); a mount counts as a GET of its prefix."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(data_dir=Path(tmp), admin_api_key=ADMIN, officer_api_key=OFFICER))
        found = set()
        for route in routes_of(app):
            methods = getattr(route, "methods", None) or {"GET"}
            found |= {f"{m} {route.path}" for m in methods if m != "HEAD"}
    return sorted(found)


ROUTES = every_route()


def test_every_route_has_a_recipe():
    assert not set(ROUTES) - set(RECIPES), "a new route needs a recipe in RECIPES"
    assert not set(RECIPES) - set(ROUTES), "a recipe for a route that is gone"


# --- what a response shows ----------------------------------------------------------------

VOLATILE = {"answer_id", "session_id", "generation"}
# Metrics lines that differ between two runs of the same requests, or count the requests
# themselves: timings, creation times, request/answer/feedback counters. `tthc_index_bytes`
# is the generation's size on disk, which internal documents do grow: there is no public
# share of it to report (`test_the_index_size_on_disk_is_the_one_figure_not_split`).
_VARYING = re.compile(
    r"^tthc_(request_seconds|requests|answers|abstentions|abstention_ratio|feedback)|_created[{ ]"
    r"|^tthc_index_bytes "
)


def _scrub(value):
    if isinstance(value, dict):
        return {k: "~" if k in VOLATILE else _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def shown(response: httpx.Response) -> tuple[int, str, object]:
    """Status, media type and body of a response, volatile fields dropped."""
    kind = response.headers.get("content-type", "").split(";")[0]
    text = response.text
    body: object
    if kind == "application/json":
        body = _scrub(response.json())
    elif kind == "text/event-stream":
        body = [
            _scrub(json.loads(line[len("data: ") :]))
            for line in text.splitlines()
            if line.startswith("data: ")
        ]
    elif kind == "text/plain" and response.request.url.path == "/metrics":
        body = [line for line in text.splitlines() if not _VARYING.search(line)]
    elif kind == "text/calendar":
        body = re.sub(r"DTSTAMP:\S+", "DTSTAMP:~", text)
    else:
        body = text
    return response.status_code, kind, body


def secrets_in(response: httpx.Response) -> list[str]:
    text = fold(response.text)
    return [s for s in SECRETS if fold(s) in text]


def internal_plan(apps: dict[str, TestClient]) -> Path:
    return apps["secret"].app.state.settings.corpus_dir / "noi-bo" / "kiem-tra-cong-vu.md"


def exchange(apps: dict[str, TestClient], request: Request) -> tuple[httpx.Response, ...]:
    """The request sent to both apps, so that what they keep (the journal, conversations,
    counters) stays in step whichever tests run."""
    return apps["secret"].request(**request), apps["plain"].request(**request)


@pytest.mark.parametrize("route", ROUTES)
def test_a_public_caller_never_sees_an_internal_document(apps, route):
    for request in RECIPES[route](internal_plan(apps)):
        response, _ = exchange(apps, request)

        assert secrets_in(response) == [], (request, response.text[:2000])
        if route in REFUSED:
            assert response.status_code == REFUSED[route], response.text
        else:
            assert response.status_code < 500, response.text


@pytest.mark.parametrize("route", ROUTES)
def test_a_public_caller_gets_the_same_with_or_without_internal_documents(apps, route):
    for request in RECIPES[route](internal_plan(apps)):
        secret, plain = exchange(apps, request)
        assert shown(secret) == shown(plain), request


def test_the_index_size_on_disk_is_the_one_figure_not_split(apps):
    # Documented exception: the generation's bytes on disk include the internal documents;
    # there is no public share of a file size to report instead.
    sizes = [
        float(line.split()[1])
        for name in ("secret", "plain")
        for line in apps[name].get("/metrics").text.splitlines()
        if line.startswith("tthc_index_bytes ")
    ]
    assert len(sizes) == 2 and all(size > 0 for size in sizes)
