"""The evaluators' key (`TTHC_EVAL_API_KEY`, header `X-Eval-Key`), in-process and fast: it
takes a run out of the per-client rate limit and opens nothing else, neither the officers'
routes nor the administrators'. Hash embedder over the tiny corpus."""

from __future__ import annotations

import pytest
from conftest import assert_error
from pydantic import ValidationError
from test_hardening import QUESTION, frozen_rate_limit

from service.settings import Settings

EVAL = "khoa-danh-gia-thu-nghiem"
ADMIN = "khoa-quan-tri-thu-nghiem"
OFFICER = "khoa-can-bo-thu-nghiem"
AS_EVALUATOR = {"X-Eval-Key": EVAL}


def ask(client, question: str = QUESTION, headers: dict | None = None):
    return client.post("/api/ask", json={"question": question}, headers=headers or {})


def test_with_the_default_limits_a_200_question_run_with_the_key_gets_no_429(serve):
    client = serve(eval_api_key=EVAL, rate_limit_per_minute=30, rate_limit_burst=10)
    frozen_rate_limit(client)  # no refill: only the exemption lets the run through
    statuses = set()
    for n in range(100):
        statuses.add(ask(client, f"{QUESTION} ({n})", headers=AS_EVALUATOR).status_code)
        search = client.post("/api/search", json={"query": QUESTION}, headers=AS_EVALUATOR)
        statuses.add(search.status_code)
    assert statuses == {200}
    # The same client without the key is still limited as before.
    for _ in range(10):
        assert ask(client).status_code == 200
    assert_error(ask(client), 429)


@pytest.mark.parametrize("headers", [{}, {"X-Eval-Key": EVAL + "x"}, {"X-API-Key": EVAL}])
def test_without_the_right_key_in_its_header_a_run_is_limited(serve, headers):
    client = serve(eval_api_key=EVAL, rate_limit_per_minute=60, rate_limit_burst=2)
    frozen_rate_limit(client)
    assert ask(client, headers=headers).status_code == 200
    assert ask(client, headers=headers).status_code == 200
    assert_error(ask(client, headers=headers), 429)


def test_with_no_key_configured_an_eval_header_exempts_nothing(serve):
    client = serve(rate_limit_per_minute=60, rate_limit_burst=1)
    frozen_rate_limit(client)
    assert ask(client, headers={"X-Eval-Key": ""}).status_code == 200
    assert_error(ask(client, headers={"X-Eval-Key": ""}), 429)


@pytest.fixture
def keyed(serve):
    return serve(admin_api_key=ADMIN, officer_api_key=OFFICER, eval_api_key=EVAL)


def test_the_eval_key_is_refused_on_the_officers_routes(keyed):
    body = {"question": QUESTION}
    assert_error(keyed.post("/api/officer/ask", json=body, headers=AS_EVALUATOR), 401)
    assert_error(keyed.post("/api/officer/ask", json=body, headers={"X-API-Key": EVAL}), 403)
    both = {"X-Eval-Key": EVAL, "X-API-Key": EVAL}
    assert_error(keyed.post("/api/officer/ask", json=body, headers=both), 403)
    # What the officers' key opens on the shared routes stays the public's with the eval key.
    public = keyed.get("/api/documents").json()
    assert keyed.get("/api/documents", headers=AS_EVALUATOR).json() == public
    assert keyed.get("/api/documents", headers={"X-API-Key": EVAL}).json() == public


@pytest.mark.parametrize(
    "call",
    [
        lambda c, h: c.get("/api/admin/documents", headers=h),
        lambda c, h: c.post("/api/admin/reindex", headers=h),
        lambda c, h: c.delete("/api/admin/documents/ke-hoach-12345678.md", headers=h),
    ],
    ids=["list", "reindex", "delete"],
)
def test_the_eval_key_is_refused_on_the_admin_routes(keyed, call):
    assert_error(call(keyed, AS_EVALUATOR), 401)
    assert_error(call(keyed, {"X-API-Key": EVAL}), 403)
    assert_error(call(keyed, {"X-API-Key": EVAL, "X-Eval-Key": EVAL}), 403)


@pytest.mark.parametrize("other", ["officer_api_key", "admin_api_key"])
def test_an_eval_key_equal_to_an_officer_or_admin_key_is_refused_at_start(other):
    with pytest.raises(ValidationError, match="TTHC_EVAL_API_KEY"):
        Settings(eval_api_key="cung-mot-khoa", **{other: "cung-mot-khoa"})
