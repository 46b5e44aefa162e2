"""The HTTP layer's own pieces (`service.http`), in-process and fast: who the caller is
(`ScopeDep`, `OfficerScope`, `AdminScope`), the error table, the 405's Allow header across
routers, and the pages serving their own file whatever the query says.

Hash embedder over the two-file tiny corpus.
"""

from __future__ import annotations

import pytest
from conftest import assert_error
from fastapi import FastAPI
from fastapi.testclient import TestClient

from retriever.store import IndexMissing
from service.http import errors
from service.http.deps import AdminScope, OfficerScope, ScopeDep
from service.settings import Settings

ADMIN, OFFICER = "khoa-quan-tri", "khoa-can-bo"


def keyed_app(**keys) -> TestClient:
    """A bare app with the scope dependencies behind three routes and the error table."""
    app = FastAPI()
    app.state.settings = Settings(**keys)
    errors.install(app)

    @app.get("/scope")
    async def scope(scope: ScopeDep) -> str:
        return scope.value

    @app.get("/officer")
    async def officer(scope: OfficerScope) -> str:
        return scope.value

    @app.get("/admin")
    async def admin(scope: AdminScope) -> str:
        return scope.value

    return TestClient(app)


BOTH = {"admin_api_key": ADMIN, "officer_api_key": OFFICER}


@pytest.mark.parametrize(
    "keys, sent, scope",
    [
        (BOTH, None, "public"),
        (BOTH, ADMIN, "admin"),
        (BOTH, OFFICER, "officer"),
        (BOTH, "sai", "public"),
        (BOTH, "", "public"),
        ({"officer_api_key": OFFICER}, ADMIN, "public"),
        ({}, "bat-ky", "public"),
    ],
)
def test_the_scope_comes_from_the_key(keys, sent, scope):
    headers = {"X-API-Key": sent} if sent is not None else {}
    assert keyed_app(**keys).get("/scope", headers=headers).json() == scope


@pytest.mark.parametrize(
    "keys, sent, status, scope",
    [
        ({}, None, 404, None),  # no key configured: the route is absent
        ({}, ADMIN, 404, None),
        (BOTH, None, 401, None),
        (BOTH, "sai", 403, None),
        (BOTH, OFFICER, 200, "officer"),
        (BOTH, ADMIN, 200, "admin"),
        ({"admin_api_key": ADMIN}, OFFICER, 403, None),
        ({"admin_api_key": ADMIN}, ADMIN, 200, "admin"),
    ],
)
def test_the_officer_door(keys, sent, status, scope):
    headers = {"X-API-Key": sent} if sent is not None else {}
    response = keyed_app(**keys).get("/officer", headers=headers)
    if status == 200:
        assert response.json() == scope
    else:
        assert assert_error(response, status)["code"] == f"http_{status}"


@pytest.mark.parametrize("sent, status", [(None, 401), ("sai", 403), (OFFICER, 403), (ADMIN, 200)])
def test_the_admin_door(sent, status):
    headers = {"X-API-Key": sent} if sent is not None else {}
    response = keyed_app(**BOTH).get("/admin", headers=headers)
    assert response.status_code == status, response.text


def test_the_officer_route_refuses_a_caller_before_reading_the_question(serve):
    # Who may call is decided first (a dependency), as KeyFirst does for the admin routes:
    # without the key, an invalid question is not worth a validation message.
    assert_error(serve().post("/api/officer/ask", json={"question": ""}), 404)
    officers = serve(officer_api_key=OFFICER)
    assert_error(officers.post("/api/officer/ask", json={"question": ""}), 401)
    error = assert_error(
        officers.post("/api/officer/ask", json={"question": ""}, headers={"X-API-Key": OFFICER}),
        422,
    )
    assert error["code"] == "empty_query"


# --- the error table ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "exc, status, code, retry_after",
    [
        (IndexMissing("x"), 503, "index_missing", "30"),
        (errors.Busy(), 503, "busy", "10"),
        (errors.NotReady(), 503, "not_ready", None),
        (errors.AnswerNotFound("ab"), 404, "answer_not_found", None),
        (errors.ProcedureNotFound("1.234"), 404, "procedure_not_found", None),
        (errors.BadSessionId("x"), 422, "invalid_value", None),
        (errors.BadDate("2026-02-30"), 422, "invalid_value", None),
        (RuntimeError("/srv/tthc/secret.py line 1"), 500, "internal", None),
    ],
)
def test_every_entry_of_the_error_table_is_the_contracts_error(exc, status, code, retry_after):
    app = FastAPI()
    errors.install(app)

    @app.get("/raise")
    async def raising() -> None:
        raise exc

    response = TestClient(app, raise_server_exceptions=False).get("/raise")

    assert assert_error(response, status)["code"] == code
    assert response.headers.get("retry-after") == retry_after
    assert "secret" not in response.text


def test_a_missing_procedure_names_its_code(serve):
    error = assert_error(serve().get("/api/procedures/9.999999"), 404)
    assert error == {
        "code": "procedure_not_found",
        "message": "Không tìm thấy thủ tục có mã '9.999999'.",
    }


@pytest.mark.parametrize(
    "method, path, allow",
    [
        ("TRACE", "/api/ask", "POST"),
        ("GET", "/api/sessions/abc", "DELETE"),
        ("POST", "/readyz", "GET"),
        ("PUT", "/api/admin/documents", "GET, POST"),
        ("DELETE", "/can-bo", "GET"),
    ],
)
def test_a_405_names_every_method_of_the_path_across_routers(serve, method, path, allow):
    client = serve(admin_api_key=ADMIN)
    response = client.request(method, path, headers={"X-API-Key": ADMIN})
    assert assert_error(response, 405)["code"] == "http_405"
    assert response.headers["allow"] == allow


# --- pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, marker",
    [("/", "index.html"), ("/can-bo", "can-bo.html"), ("/quan-tri", "quan-tri.html")],
)
def test_a_page_serves_its_own_file_whatever_the_query_says(serve, tmp_path, path, marker):
    from service.http.pages import STATIC

    secret = tmp_path / "bi-mat.txt"
    secret.write_text("không được đọc", encoding="utf-8")
    client = serve(admin_api_key=ADMIN)  # the admin page is served only with its key
    expected = (STATIC / marker).read_text(encoding="utf-8")

    for name in (str(secret), "../../../../../../../../" + str(secret), "quan-tri.html"):
        response = client.get(path, params={"name": name})
        assert response.status_code == 200
        assert response.text == expected, name
