"""What stands between the internet and the engine (`service.guard`, `service.app`), in-process
and fast: security headers, body and question limits, the per-client rate limit, the request
time limit, CPU work off the event loop (one real uvicorn server in a thread), CORS for the
portal, the SSE answer stream, feedback, deleting a conversation, the notices, metrics, and
never a stack trace.

Hash embedder over the two-file tiny corpus. No assertion depends on timing: the rate limit's
clock is frozen and blocking is ordered with `threading.Event`s.
"""

from __future__ import annotations

import json
import math
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from conftest import assert_error, tiny_settings, vietnamese
from fastapi.testclient import TestClient
from live import free_port
from test_http_api import _METRIC_LINE

from service.app import create_app
from service.guard import RateLimit, TokenBuckets

QUESTION = "Xã Dân Hòa ban hành kế hoạch chuyển đổi số khi nào?"
OUT_OF_SCOPE = "Giá vàng hôm nay bao nhiêu?"
EVENT_WAIT = 30.0  # seconds an Event may take before the test fails instead of hanging


@pytest.fixture
def client(serve) -> TestClient:
    return serve()


def frozen_rate_limit(client: TestClient) -> TokenBuckets:
    """The app's token buckets with their clock stopped, so no token refills during a test."""
    buckets = next(m.kwargs["buckets"] for m in client.app.user_middleware if m.cls is RateLimit)
    now = time.monotonic()
    buckets.clock = lambda: now
    return buckets


def ask(client: TestClient, question: str = QUESTION, **body) -> httpx.Response:
    return client.post("/api/ask", json={"question": question, **body})


def sse_events(text: str) -> list[tuple[str, dict]]:
    """(event name, JSON data) of each Server-Sent Event in a response body."""
    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


# --- security headers ---------------------------------------------------------------------


def assert_security_headers(response: httpx.Response) -> None:
    csp = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, response.headers
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp, csp
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert response.headers.get("referrer-policy") == "no-referrer"
    assert response.headers.get("x-frame-options") == "DENY"


def test_security_headers_on_the_chat_page_an_api_answer_and_a_404(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    answer = ask(client)
    assert answer.status_code == 200
    missing = client.get("/khong-co-trang-nay")
    assert_error(missing, 404)

    for response in (page, answer, missing):
        assert_security_headers(response)


def test_security_headers_on_a_rate_limited_answer(serve):
    client = serve(rate_limit_per_minute=60, rate_limit_burst=1)
    frozen_rate_limit(client)
    assert ask(client).status_code == 200

    refused = ask(client)

    assert_error(refused, 429)
    assert_security_headers(refused)


def test_security_headers_on_an_error_body_too_large(serve):
    client = serve(max_body_bytes=1024)
    refused = ask(client, "hỏi " * 400)

    assert_error(refused, 413)
    assert_security_headers(refused)


def test_security_headers_even_on_an_internal_error(client, engine, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("engine broke")

    monkeypatch.setattr(engine, "ask", broken)
    response = ask(client)

    assert_error(response, 500)
    assert_security_headers(response)


# --- body and question limits -------------------------------------------------------------


def test_a_json_body_over_the_limit_is_refused_413_with_a_vietnamese_message(serve):
    client = serve(max_body_bytes=1024)
    body = json.dumps({"question": "Thủ tục đăng ký khai sinh cần gì? " * 60}, ensure_ascii=False)
    assert len(body.encode()) > 1024

    response = client.post(
        "/api/ask", content=body.encode(), headers={"content-type": "application/json"}
    )

    error = assert_error(response, 413)
    assert error["code"] == "body_too_large"
    assert "1 KB" in error["message"]


def test_a_body_under_the_limit_is_answered(serve):
    client = serve(max_body_bytes=1024)
    assert ask(client).status_code == 200


def over_2kb_in_chunks():
    """A JSON body sent chunked, with no Content-Length to refuse it by."""
    yield b'{"question": "'
    for _ in range(20):
        yield b"khai sinh " * 20
    yield b'"}'


def test_a_chunked_body_without_content_length_over_the_limit_is_refused_413(serve):
    client = serve(max_body_bytes=1024)

    response = client.post(
        "/api/ask", content=over_2kb_in_chunks(), headers={"content-type": "application/json"}
    )

    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    error = assert_error(response, 413)
    assert error["code"] == "body_too_large"


def test_a_chunked_body_under_the_limit_is_answered(serve):
    client = serve(max_body_bytes=1024)

    def chunks():
        yield '{"question": "Xã Dân Hòa ban hành '.encode()
        yield 'kế hoạch chuyển đổi số khi nào?"}'.encode()

    response = client.post(
        "/api/ask", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 200, response.text
    assert response.json()["citations"]


def test_a_question_over_2000_characters_is_413_and_an_empty_one_422(client):
    assert ask(client, "a" * 2000).status_code == 200

    too_long = assert_error(ask(client, "a" * 2001), 413)
    assert too_long["code"] == "query_too_long" and "2000" in too_long["message"]
    for empty in ("", "   \n\t  "):
        assert assert_error(ask(client, empty), 422)["code"] == "empty_query"


# --- rate limit ---------------------------------------------------------------------------


def test_the_fourth_quick_question_from_one_client_is_refused_429_with_retry_after(serve):
    client = serve(rate_limit_per_minute=60, rate_limit_burst=3)
    frozen_rate_limit(client)

    for _ in range(3):
        assert ask(client).status_code == 200
    refused = ask(client)

    error = assert_error(refused, 429)
    assert error["code"] == "rate_limited"
    retry_after = refused.headers["retry-after"]
    assert retry_after.isdigit() and int(retry_after) >= 1
    assert retry_after in error["message"], "the message tells the citizen how long to wait"
    for _ in range(5):  # the health check is never limited, nor are plain reads
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/documents").status_code == 200
    assert ask(client).status_code == 429, "still over budget: reads spent nothing"


def test_refused_requests_are_429_on_every_costly_route(serve):
    client = serve(rate_limit_per_minute=60, rate_limit_burst=1)
    frozen_rate_limit(client)
    assert ask(client).status_code == 200

    assert_error(client.post("/api/search", json={"query": "chuyển đổi số"}), 429)
    assert_error(client.post("/api/ask/stream", json={"question": QUESTION}), 429)
    assert_error(client.post("/api/feedback", json={"answer_id": "ab", "rating": "up"}), 429)


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget(serve):
    client = serve(rate_limit_per_minute=60, rate_limit_burst=3, trust_proxy=True)
    frozen_rate_limit(client)
    first = {"X-Forwarded-For": "10.0.0.1, 203.0.113.7"}  # the proxy appends the real address last
    second = {"X-Forwarded-For": "198.51.100.20"}

    for _ in range(3):
        assert (
            client.post("/api/ask", json={"question": QUESTION}, headers=first).status_code == 200
        )
    assert_error(client.post("/api/ask", json={"question": QUESTION}, headers=first), 429)

    for _ in range(3):
        assert (
            client.post("/api/ask", json={"question": QUESTION}, headers=second).status_code == 200
        )
    assert_error(client.post("/api/ask", json={"question": QUESTION}, headers=second), 429)


def test_behind_a_proxy_a_forged_first_forwarded_entry_does_not_buy_a_new_budget(serve):
    client = serve(rate_limit_per_minute=60, rate_limit_burst=3, trust_proxy=True)
    frozen_rate_limit(client)
    for n in range(3):
        headers = {"X-Forwarded-For": f"10.9.9.{n}, 203.0.113.7"}
        assert (
            client.post("/api/ask", json={"question": QUESTION}, headers=headers).status_code == 200
        )
    assert_error(
        client.post(
            "/api/ask",
            json={"question": QUESTION},
            headers={"X-Forwarded-For": "10.9.9.99, 203.0.113.7"},
        ),
        429,
    )


def test_searches_by_get_count_against_the_budget_too(serve):
    client = serve(rate_limit_per_minute=60, rate_limit_burst=2)
    frozen_rate_limit(client)
    assert client.get("/api/procedures", params={"q": "khai sinh"}).status_code == 200
    assert client.get("/api/duties", params={"q": "số hóa"}).status_code == 200
    assert_error(client.get("/api/procedures", params={"q": "khai sinh"}), 429)
    assert client.get("/api/duties").status_code == 200  # a plain listing is not a search


def test_without_a_trusted_proxy_a_forged_forwarded_for_does_not_buy_a_new_budget(serve):
    client = serve(rate_limit_per_minute=60, rate_limit_burst=3)
    frozen_rate_limit(client)

    for n in range(3):
        headers = {"X-Forwarded-For": f"203.0.113.{n}"}
        assert (
            client.post("/api/ask", json={"question": QUESTION}, headers=headers).status_code == 200
        )
    forged = client.post(
        "/api/ask", json={"question": QUESTION}, headers={"X-Forwarded-For": "203.0.113.99"}
    )

    assert_error(forged, 429)


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_buckets_allow_a_burst_then_refill_at_the_rate():
    clock = FakeClock()
    buckets = TokenBuckets(per_minute=60, burst=3, clock=clock)  # one token a second

    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == pytest.approx(1.0)
    assert buckets.take("b") == 0, "another client has its own bucket"

    clock.now += 0.5
    assert buckets.take("a") == pytest.approx(0.5), "half a token has come back"
    clock.now += 0.5
    assert buckets.take("a") == 0
    assert buckets.take("a") == pytest.approx(1.0)

    clock.now += 3600  # an idle hour refills to the burst, not beyond
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") > 0


def test_token_buckets_retry_after_rounds_up_to_whole_seconds():
    clock = FakeClock()
    buckets = TokenBuckets(per_minute=7, burst=1, clock=clock)

    assert buckets.take("a") == 0
    wait = buckets.take("a")
    assert wait == pytest.approx(60 / 7)
    assert max(1, math.ceil(wait)) == 9


# --- request time limit and the event loop ------------------------------------------------


class Blocking:
    """Wraps `engine.ask`: signals when a question is inside, then waits to be released."""

    def __init__(self, ask):
        self.ask = ask
        self.inside = threading.Event()
        self.release = threading.Event()

    def __call__(self, *args, **kwargs):
        self.inside.set()
        self.release.wait(EVENT_WAIT)
        return self.ask(*args, **kwargs)


def test_a_question_over_the_time_limit_gets_503_busy_with_retry_after(serve, engine, monkeypatch):
    client = serve(request_timeout_s=0.5)
    blocking = Blocking(engine.ask)
    monkeypatch.setattr(engine, "ask", blocking)
    try:
        response = ask(client)
        assert blocking.inside.is_set()
    finally:
        blocking.release.set()

    error = assert_error(response, 503)
    assert error["code"] == "busy"
    assert response.headers["retry-after"].isdigit() and int(response.headers["retry-after"]) >= 1


@pytest.fixture
def live_app(tmp_path: Path, tiny_corpus, engine):
    """The app on a real uvicorn server in a thread, on a free loopback port."""
    app = create_app(tiny_settings(tmp_path, tiny_corpus), engine)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=free_port(),
            log_config=None,
            access_log=False,
            lifespan="on",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + EVENT_WAIT
    while not server.started:  # waiting for start-up, not measuring anything
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    host, port = server.config.host, server.config.port
    yield f"http://{host}:{port}"
    server.should_exit = True
    thread.join(EVENT_WAIT)


def test_healthz_answers_while_a_question_is_being_worked_on(live_app, engine, monkeypatch):
    blocking = Blocking(engine.ask)
    monkeypatch.setattr(engine, "ask", blocking)
    answered: list[httpx.Response] = []
    asker = threading.Thread(
        target=lambda: answered.append(
            httpx.post(live_app + "/api/ask", json={"question": QUESTION}, timeout=EVENT_WAIT)
        )
    )
    asker.start()
    try:
        assert blocking.inside.wait(EVENT_WAIT), "the question never reached the engine"

        health = httpx.get(live_app + "/healthz", timeout=EVENT_WAIT)

        assert health.status_code == 200 and health.json() == {"status": "ok"}
        assert not answered and not blocking.release.is_set(), (
            "the question is still being worked on"
        )
    finally:
        blocking.release.set()
        asker.join(EVENT_WAIT)
    assert answered and answered[0].status_code == 200
    assert answered[0].json()["citations"]


# --- CORS ---------------------------------------------------------------------------------


def preflight(client: TestClient, origin: str) -> httpx.Response:
    return client.options(
        "/api/ask/stream",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )


def test_cors_preflight_allows_the_configured_portal_only(serve):
    client = serve(cors_origins="http://portal.example")

    allowed = preflight(client, "http://portal.example")
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://portal.example"
    assert "POST" in allowed.headers["access-control-allow-methods"]

    refused = preflight(client, "http://evil.example")
    assert "access-control-allow-origin" not in refused.headers
    assert refused.status_code >= 400


def test_cors_answers_carry_the_portal_origin_even_when_rate_limited(serve):
    client = serve(
        cors_origins="http://portal.example, http://other.example/",
        rate_limit_per_minute=60,
        rate_limit_burst=1,
    )
    frozen_rate_limit(client)
    origin = {"Origin": "http://other.example"}

    answered = client.post("/api/ask", json={"question": QUESTION}, headers=origin)
    refused = client.post("/api/ask", json={"question": QUESTION}, headers=origin)

    assert answered.status_code == 200
    assert answered.headers["access-control-allow-origin"] == "http://other.example"
    assert_error(refused, 429)
    assert refused.headers["access-control-allow-origin"] == "http://other.example"
    assert "retry-after" in refused.headers["access-control-expose-headers"].lower()


def test_without_cors_origins_no_origin_is_allowed(client):
    response = preflight(client, "http://portal.example")
    assert "access-control-allow-origin" not in response.headers
    answer = client.post(
        "/api/ask", json={"question": QUESTION}, headers={"Origin": "http://portal.example"}
    )
    assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers


# --- the answer as Server-Sent Events -----------------------------------------------------


def test_the_stream_sends_start_tokens_done_and_the_tokens_make_the_answer(client):
    response = client.post(
        "/api/ask/stream", json={"question": QUESTION, "session_id": "phien-sse"}
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    names = [name for name, _ in events]
    assert names[0] == "start" and names[-1] == "done"
    assert names[1:-1] and set(names[1:-1]) == {"token"}, names
    done = events[-1][1]
    assert "".join(data["text"] for name, data in events if name == "token") == done["answer"]
    assert done["answer_id"] and done["session_id"] == "phien-sse"
    assert done["citations"] and "chuyển đổi số" in done["citations"][0]["text"]
    assert done["abstained"] is False


def test_the_stream_answer_is_the_same_as_the_plain_answer(client):
    plain = ask(client).json()
    done = sse_events(client.post("/api/ask/stream", json={"question": QUESTION}).text)[-1][1]

    assert done["answer"] == plain["answer"]
    assert done["citations"] == plain["citations"]
    assert done["session_id"] and done["answer_id"] and done["answer_id"] != plain["answer_id"]


def test_a_streamed_answer_can_be_rated(client):
    done = sse_events(client.post("/api/ask/stream", json={"question": QUESTION}).text)[-1][1]

    response = client.post("/api/feedback", json={"answer_id": done["answer_id"], "rating": "up"})

    assert response.status_code == 200 and response.json() == {"ok": True}


def test_a_bad_stream_request_is_a_json_error_not_a_stream(client):
    for body in ({"question": ""}, {"question": "   "}, {}):
        response = client.post("/api/ask/stream", json=body)
        assert_error(response, 422)
        assert "text/event-stream" not in response.headers["content-type"]


# --- feedback -----------------------------------------------------------------------------


def test_feedback_up_and_down_on_an_answer(client):
    answer_id = ask(client).json()["answer_id"]

    for rating in ("up", "down"):
        response = client.post(
            "/api/feedback",
            json={"answer_id": answer_id, "rating": rating, "comment": "Câu trả lời rõ ràng."},
        )
        assert response.status_code == 200 and response.json() == {"ok": True}

    rows = client.app.state.journal.rows("feedback")
    assert sorted(row[3] for row in rows if row[1] == answer_id) == ["down", "up"]


def test_feedback_on_an_unknown_answer_is_404(client):
    error = assert_error(
        client.post("/api/feedback", json={"answer_id": "0123abcd" * 4, "rating": "up"}), 404
    )
    assert error["code"] == "answer_not_found"


def test_feedback_refuses_bad_ratings_ids_and_long_comments(client):
    answer_id = ask(client).json()["answer_id"]

    for rating in ("good", "", 1, None):
        assert_error(
            client.post("/api/feedback", json={"answer_id": answer_id, "rating": rating}), 422
        )
    for bad_id in ("", "../x", "ABC XYZ", "a" * 65):
        assert_error(client.post("/api/feedback", json={"answer_id": bad_id, "rating": "up"}), 422)
    long_comment = client.post(
        "/api/feedback", json={"answer_id": answer_id, "rating": "down", "comment": "ý " * 501}
    )
    assert long_comment.status_code in (413, 422)
    assert_error(long_comment, long_comment.status_code)
    assert client.app.state.journal.rows("feedback") == [], "nothing refused was kept"


# --- deleting a conversation --------------------------------------------------------------


def test_deleting_a_session_removes_its_questions_feedback_and_memory(client, engine):
    first = ask(client, session_id="phien-xoa").json()
    second = ask(client, "Còn xã Đức An thì sao?", session_id="phien-xoa").json()
    other = ask(client, session_id="phien-khac").json()
    for answer in (first, other):
        assert (
            client.post(
                "/api/feedback", json={"answer_id": answer["answer_id"], "rating": "up"}
            ).status_code
            == 200
        )
    journal = client.app.state.journal
    assert len(journal.rows("questions")) == 3
    assert engine.conversations.history("phien-xoa")

    response = client.delete("/api/sessions/phien-xoa")

    assert response.status_code == 200 and response.json() == {"ok": True, "removed": 2}
    questions, feedback = journal.rows("questions"), journal.rows("feedback")
    assert [row[0] for row in questions] == [other["answer_id"]]
    assert [row[1] for row in feedback] == [other["answer_id"]]
    assert engine.conversations.history("phien-xoa") == []
    assert engine.conversations.history("phien-khac")
    gone = client.post("/api/feedback", json={"answer_id": second["answer_id"], "rating": "down"})
    assert_error(gone, 404)


def test_deleting_an_unknown_session_is_harmless(client):
    response = client.delete("/api/sessions/khong-co")
    assert response.status_code == 200 and response.json() == {"ok": True, "removed": 0}
    assert_error(client.delete("/api/sessions/" + "x" * 101), 422)


# --- suggestions and notices --------------------------------------------------------------


def test_suggestions_are_vietnamese_questions(client):
    response = client.get("/api/suggestions")

    assert response.status_code == 200
    suggestions = response.json()["suggestions"]
    assert suggestions and all(isinstance(s, str) and s.strip() for s in suggestions)
    assert all(vietnamese(s) for s in suggestions), suggestions


def test_about_says_it_is_an_ai_and_how_long_questions_are_kept(serve):
    about = serve(retention_days=45).get("/api/about").json()

    notice = about["assistant_notice"]
    assert vietnamese(notice) and ("AI" in notice or "trí tuệ nhân tạo" in notice)
    privacy = about["privacy_notice"]
    assert vietnamese(privacy) and "45" in privacy
    assert about["retention_days"] == 45


# --- metrics ------------------------------------------------------------------------------


def test_metrics_after_answers_and_abstentions_are_valid_prometheus_text(client):
    assert ask(client).json()["abstained"] is False
    assert ask(client, OUT_OF_SCOPE).json()["abstained"] is True

    text = client.get("/metrics").text

    for name in (
        "tthc_request_seconds_bucket",
        "tthc_abstention_ratio",
        "tthc_index_chunks",
        "tthc_index_bytes",
    ):
        assert any(line.startswith(name) for line in text.splitlines()), name
    assert "tthc_answers_total{" in text and "tthc_abstentions_total{" in text
    assert "tthc_abstention_ratio 0.5" in text
    assert 'tthc_request_seconds_bucket{le="+Inf",path="/api/ask"} 2.0' in text
    chunks = next(line for line in text.splitlines() if line.startswith("tthc_index_chunks "))
    assert float(chunks.split()[1]) == client.get("/readyz").json()["chunks"] > 0
    size = next(line for line in text.splitlines() if line.startswith("tthc_index_bytes "))
    assert float(size.split()[1]) > 0
    bad = [
        line
        for line in text.splitlines()
        if line and not line.startswith("#") and not _METRIC_LINE.match(line)
    ]
    assert not bad, bad


# --- never a stack trace ------------------------------------------------------------------


def test_an_engine_failure_is_a_500_json_error_without_a_traceback(client, engine, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("engine broke: /work/main/service/engine.py line 1")

    monkeypatch.setattr(engine, "ask", broken)
    response = ask(client)

    error = assert_error(response, 500)
    assert error["code"] == "internal"
    assert "Traceback" not in response.text and "engine broke" not in response.text
    assert ask(client, "").status_code == 422, "bad input is still a 4xx"
