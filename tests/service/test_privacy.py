"""Personal data never reaches a log line or the journal (`service.privacy`, `service.journal`),
and what the journal keeps is deleted after the retention period.

Fast unit tests of `redact`, `RedactingFormatter` and `Journal`, then the acceptance test
(slow): a real `tthc serve` process is asked questions carrying a citizen's CCCD number, phone
and e-mail, over every route that takes text, and neither its logs nor its journal file may
hold any of them afterwards.
"""

from __future__ import annotations

import io
import json
import logging
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import CORPUS
from fastapi.testclient import TestClient
from live import Server, running_server

from service.app import create_app
from service.engine import build_engine
from service.journal import DAY, Journal
from service.privacy import CHATTY, MASK, RedactingFormatter, redact
from service.settings import Settings

NUMBER = MASK["number"]
EMAIL = MASK["email"]


# --- redact -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, secret",
    [
        ("Tôi có CCCD 001099012345 cần làm lại giấy tờ", "001099012345"),
        ("Số căn cước 001 099 012 345 của tôi", "001 099 012 345"),
        ("CCCD:001099012345.", "001099012345"),
        ("CMND cũ số 123456789 đã hết hạn", "123456789"),
        ("Gọi tôi: 0912345678", "0912345678"),
        ("Gọi tôi: 0912 345 678", "0912 345 678"),
        ("Gọi tôi: 0912.345.678", "0912.345.678"),
        ("Gọi tôi: 0912-345-678", "0912-345-678"),
        ("Gọi tôi: +84 912 345 678", "912 345 678"),
        ("Gọi tôi: +84912345678", "84912345678"),
        ("số máy bàn 024 3825 1234", "3825 1234"),
        ("(0912345678)", "0912345678"),
        ("Số điện thoại của tôi là (091) 234 5678", "234 5678"),
        ("sdt +84 (912) 345 678", "345 678"),
        ("gọi 0912 - 345 - 678 nhé", "345 - 678"),
        ("gọi 0912_345_678", "0912_345_678"),
    ],
)
def test_redact_masks_identity_card_and_phone_numbers(text, secret):
    masked = redact(text)

    assert secret not in masked
    assert NUMBER in masked
    assert not any(run in masked for run in ("0912", "345678", "099012", "123456789"))


@pytest.mark.parametrize(
    "text",
    [
        "Liên hệ nguyen.van.a@gmail.com để được hỗ trợ",
        "thư: tran-thi.b+hoso@ubnd.danhoa.hanoi.gov.vn.",
        "Email:A.B@Mail.VN",
    ],
)
def test_redact_masks_email_addresses(text):
    masked = redact(text)

    assert "@" not in masked and EMAIL in masked


def test_redact_masks_everything_in_a_citizen_question_and_keeps_the_rest():
    question = (
        "Tôi có CCCD 001099012345, số điện thoại 0912 345 678, e-mail an.nguyen@gmail.com, "
        "muốn làm giấy khai sinh cho con thì cần giấy tờ gì?"
    )

    assert redact(question) == (
        f"Tôi có CCCD {NUMBER}, số điện thoại {NUMBER}, e-mail {EMAIL}, "
        "muốn làm giấy khai sinh cho con thì cần giấy tờ gì?"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Kế hoạch năm 2026",
        "giai đoạn 2026-2030",
        "ban hành ngày 15/03/2026",
        "hạn chót 2026-03-15",
        "Quý I/2026, Tháng 02/2026",
        "thủ tục mã 1.001193 và 2.000528",
        "Quyết định số 1234/QĐ-UBND",
        "lệ phí 50.000 đồng",
        "lệ phí 8.000đ mỗi bản",
        "giá trị 1.200.000.000 đồng",
        "tổng 1.200.000.000 VNĐ",
        "98% hồ sơ đúng hạn, 100% số hóa",
        "giải quyết trong 5 ngày làm việc, 03 bộ hồ sơ",
        "",
    ],
)
def test_redact_leaves_ordinary_text_alone(text):
    assert redact(text) == text


@pytest.mark.parametrize(
    "text, secret",
    [
        ("CCCD 001099012345,0912345678", "0912345678"),
        ("SĐT0912345678", "0912345678"),
        ("gọi 0912345678nhé", "0912345678"),
    ],
)
def test_redact_masks_numbers_glued_to_letters_or_commas(text, secret):
    assert secret not in redact(text)


# --- log lines ----------------------------------------------------------------------------


@pytest.fixture
def captured():
    """A logger whose records go through RedactingFormatter into a string."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter())
    logger = logging.getLogger("tthc.test.privacy")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.handlers[:] = []


def lines_of(stream: io.StringIO) -> list[dict]:
    text = stream.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_a_log_record_is_one_json_line_with_the_number_masked_in_its_args(captured):
    logger, stream = captured

    logger.info("câu hỏi: %s", "CCCD 001099012345, gọi 0912 345 678")

    [entry] = lines_of(stream)
    assert {"time", "level", "logger", "message"} <= set(entry)
    assert entry["level"] == "info" and entry["logger"] == "tthc.test.privacy"
    assert entry["message"] == f"câu hỏi: CCCD {NUMBER}, gọi {NUMBER}"
    assert "001099012345" not in stream.getvalue() and "345 678" not in stream.getvalue()


def test_extra_fields_are_logged_and_masked(captured):
    logger, stream = captured

    logger.info(
        "request", extra={"fields": {"path": "/api/duties", "q": "0912.345.678", "status": 200}}
    )

    [entry] = lines_of(stream)
    assert entry["path"] == "/api/duties" and entry["status"] == 200
    assert entry["q"] == NUMBER


def test_an_exception_message_with_a_number_is_masked_and_stays_on_one_line(captured):
    logger, stream = captured

    try:
        raise ValueError("không xử lý được CCCD 001099012345 của an.nguyen@gmail.com")
    except ValueError:
        logger.exception("lỗi khi trả lời")

    [entry] = lines_of(stream)
    assert entry["level"] == "error" and entry["message"] == "lỗi khi trả lời"
    assert "Traceback" in entry["error"] and "ValueError" in entry["error"]
    assert "001099012345" not in stream.getvalue() and "an.nguyen" not in stream.getvalue()
    assert NUMBER in entry["error"] and EMAIL in entry["error"]


def test_a_number_at_the_start_of_a_line_is_masked(captured):
    logger, stream = captured

    try:
        raise ValueError("số điện thoại:\n0912 345 678")
    except ValueError:
        logger.exception("bình luận:\n001099012345\t0987654321")

    assert "0912 345 678" not in stream.getvalue()
    assert "001099012345" not in stream.getvalue()
    assert "0987654321" not in stream.getvalue()


# --- the journal --------------------------------------------------------------------------


@pytest.fixture
def journal(tmp_path: Path):
    opened = Journal(tmp_path / "journal.sqlite", retention_days=30)
    yield opened
    opened.close()


def test_the_journal_keeps_questions_and_comments_redacted(journal):
    journal.record_question(
        "a1",
        "CCCD 001099012345, gọi 0912 345 678: làm khai sinh thế nào?",
        "s1",
        False,
        "procedure",
        "extractive",
    )
    journal.record_feedback("a1", "down", "Liên hệ an.nguyen@gmail.com hoặc 0912.345.678")

    [question] = journal.rows("questions")
    [feedback] = journal.rows("feedback")
    assert question[3] == f"CCCD {NUMBER}, gọi {NUMBER}: làm khai sinh thế nào?"
    assert feedback[4] == f"Liên hệ {EMAIL} hoặc {NUMBER}"
    journal.close()
    stored = b"".join(p.read_bytes() for p in journal.path.parent.glob("journal.sqlite*"))
    for secret in (b"001099012345", b"0912 345 678", b"0912.345.678", b"an.nguyen@gmail.com"):
        assert secret not in stored


def test_purge_deletes_rows_older_than_the_retention_period_and_keeps_newer_ones(journal):
    now = 1_900_000_000.0
    ages = {"old": 31 * DAY, "just-over": 30 * DAY + 60, "just-under": 30 * DAY - 60, "new": 3600}
    for n, (name, age) in enumerate(ages.items()):
        answer_id = f"{n:02x}" * 4
        journal.record_question(
            answer_id, f"câu hỏi {name}", "s", False, "passages", "extractive", now=now - age
        )
        journal.record_feedback(answer_id, "up", f"góp ý {name}", now=now - age)

    removed = journal.purge(now=now)

    assert removed == {"questions": 2, "feedback": 2}
    assert sorted(row[3] for row in journal.rows("questions")) == [
        "câu hỏi just-under",
        "câu hỏi new",
    ]
    assert sorted(row[4] for row in journal.rows("feedback")) == ["góp ý just-under", "góp ý new"]
    assert journal.purge(now=now) == {"questions": 0, "feedback": 0}
    assert journal.purge(now=now + 30 * DAY) == {"questions": 2, "feedback": 2}
    assert journal.rows("questions") == [] and journal.rows("feedback") == []


def test_purge_follows_the_retention_setting(tmp_path: Path):
    short = Journal(tmp_path / "short.sqlite", retention_days=1)
    now = 1_900_000_000.0
    short.record_question("aa", "hôm qua", None, False, "passages", "extractive", now=now - 2 * DAY)
    short.record_question("bb", "hôm nay", None, False, "passages", "extractive", now=now - 3600)

    assert short.purge(now=now) == {"questions": 1, "feedback": 0}
    assert [row[3] for row in short.rows("questions")] == ["hôm nay"]
    short.close()


def test_the_server_purges_expired_rows_when_it_starts(tmp_path: Path, hash_embedder, tiny_corpus):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=tiny_corpus, retention_days=7)
    engine = build_engine(settings, embedder=hash_embedder)
    engine.ingest([tiny_corpus])
    before = Journal(settings.data_dir / "journal.sqlite", retention_days=7)
    before.record_question(
        "aa", "câu hỏi cũ", "s", False, "passages", "extractive", now=time.time() - 8 * DAY
    )
    before.record_feedback("aa", "up", "góp ý cũ", now=time.time() - 8 * DAY)
    before.record_question("bb", "câu hỏi mới", "s", False, "passages", "extractive")
    before.close()

    with TestClient(create_app(settings, engine)) as client:
        journal = client.app.state.journal
        deadline = time.monotonic() + 30
        while len(journal.rows("questions")) > 1:  # the purge runs in the background at start
            assert time.monotonic() < deadline, "the journal was not purged at start"
            time.sleep(0.01)
        assert [row[3] for row in journal.rows("questions")] == ["câu hỏi mới"]
        assert journal.rows("feedback") == []


def test_questions_and_comments_reach_the_journal_redacted_through_the_api(
    tmp_path, hash_embedder, tiny_corpus
):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=tiny_corpus)
    engine = build_engine(settings, embedder=hash_embedder)
    engine.ingest([tiny_corpus])
    with TestClient(create_app(settings, engine)) as client:
        answer = client.post(
            "/api/ask",
            json={
                "question": "CCCD 001099012345, SĐT 0912 345 678: xã Dân Hòa chuyển đổi số thế nào?"
            },
        ).json()
        assert client.post(
            "/api/feedback",
            json={
                "answer_id": answer["answer_id"],
                "rating": "down",
                "comment": "gọi lại 0912.345.678 hoặc an@gmail.com",
            },
        ).json()
        [question] = client.app.state.journal.rows("questions")
        [feedback] = client.app.state.journal.rows("feedback")
    assert question[3] == f"CCCD {NUMBER}, SĐT {NUMBER}: xã Dân Hòa chuyển đổi số thế nào?"
    assert feedback[4] == f"gọi lại {NUMBER} hoặc {EMAIL}"


# --- acceptance: a real server keeps nothing personal -------------------------------------

CCCD = "001099012345"
PHONE = "0912 345 678"
MAIL = "nguyen.van.an@gmail.com"
QUESTION = (
    f"Tôi có CCCD {CCCD}, số điện thoại {PHONE}, muốn làm giấy khai sinh cho con "
    "thì cần giấy tờ gì?"
)
COMMENT = f"Chưa rõ, gọi lại cho tôi số 0912.345.678 hoặc +84 912 345 678, CCCD {CCCD}, thư {MAIL}"
# Every way the numbers could have been written down, and their bare digits.
SECRETS = [
    CCCD,
    "001 099 012 345",
    "0912345678",
    PHONE,
    "0912.345.678",
    "912 345 678",
    "912345678",
    MAIL,
    "nguyen.van.an",
    "099012345",
]


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory) -> Path:
    """One plan and the birth-registration procedure: the real pipeline, built in seconds."""
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "plans").mkdir()
    (folder / "procedures").mkdir()
    shutil.copy(CORPUS / "plans" / "dan-hoa-ha-noi-2026.txt", folder / "plans")
    shutil.copy(CORPUS / "procedures" / "1.001193.json", folder / "procedures")
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory, small_corpus):
    with running_server(tmp_path_factory.mktemp("privacy"), corpus=small_corpus) as live:
        yield live


@pytest.fixture(scope="module")
def startup_log_length(server: Server) -> int:
    """How much the server wrote before it was ready (index build progress, model loading)."""
    return len(server.logs())


@pytest.fixture(scope="module")
def exchanges(server: Server, startup_log_length: int) -> dict:
    """A citizen's personal data sent over every route that takes text."""
    asked = server.post("/api/ask", json={"question": QUESTION, "session_id": "phien-rieng-tu"})
    streamed = server.post("/api/ask/stream", json={"question": QUESTION})
    duties = server.get("/api/duties?q=0912345678&unit=" + CCCD)
    searched = server.post("/api/search", json={"query": f"khai sinh {PHONE} {MAIL}"})
    procedures = server.get(f"/api/procedures?q={CCCD}")
    procedure = server.get("/api/procedures/0912345678")
    unknown = server.get(f"/tra-cuu/{CCCD}?sdt=0912.345.678")
    bad = server.post("/api/ask", json={"question": QUESTION, "k": CCCD})
    feedback = server.post(
        "/api/feedback",
        json={"answer_id": asked.json()["answer_id"], "rating": "down", "comment": COMMENT},
    )
    return {
        "ask": asked,
        "stream": streamed,
        "duties": duties,
        "search": searched,
        "procedures": procedures,
        "procedure": procedure,
        "unknown": unknown,
        "bad": bad,
        "feedback": feedback,
    }


def journal_files(server: Server) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in server.data_dir.glob("journal.sqlite*")}


def assert_nothing_personal(where: str, data: bytes | str) -> None:
    data = data.encode() if isinstance(data, str) else data
    found = [s for s in SECRETS if s.encode() in data]
    assert not found, f"{where} holds {found}"


@pytest.mark.slow
def test_every_exchange_was_served(exchanges):
    assert exchanges["ask"].status_code == 200, exchanges["ask"].text
    assert exchanges["stream"].status_code == 200
    assert exchanges["stream"].headers["content-type"].startswith("text/event-stream")
    assert "event: done" in exchanges["stream"].text
    assert exchanges["duties"].status_code == 200
    assert exchanges["search"].status_code == 200
    assert exchanges["procedures"].status_code == 200
    assert exchanges["procedure"].status_code == 404 and exchanges["unknown"].status_code == 404
    assert exchanges["bad"].status_code == 422
    assert exchanges["feedback"].status_code == 200 and exchanges["feedback"].json() == {"ok": True}


@pytest.mark.slow
def test_the_server_logs_hold_no_personal_data(server, exchanges):
    logs = server.logs()

    assert '"path": "/api/duties"' in logs and '"path": "/api/feedback"' in logs, (
        "requests are logged"
    )
    assert_nothing_personal("the server's log", logs)


@pytest.mark.slow
def test_the_server_log_lines_are_json_objects(server, startup_log_length, exchanges):
    lines = [line for line in server.logs()[startup_log_length:].splitlines() if line.strip()]

    assert lines
    for line in lines:
        entry = json.loads(line)
        assert isinstance(entry, dict) and {"time", "level", "logger", "message"} <= set(entry), (
            line
        )
    requests = [json.loads(line) for line in lines if '"message": "request"' in line]
    assert {(r["method"], r["path"], r["status"]) for r in requests} >= {
        ("POST", "/api/ask", 200),
        ("POST", "/api/ask/stream", 200),
        ("GET", "/api/duties", 200),
        ("POST", "/api/feedback", 200),
        ("POST", "/api/ask", 422),
    }
    uvicorn = [
        json.loads(line)
        for line in server.logs().splitlines()
        if '"logger": "uvicorn.error"' in line
    ]
    assert any("Application startup complete" in u["message"] for u in uvicorn), (
        "uvicorn logs as JSON too"
    )


@pytest.mark.slow
def test_the_server_log_has_no_library_chatter(server, exchanges):
    """At the default `TTHC_LOG_LEVEL`, faiss's loader and sentence-transformers say nothing,
    though this process built the index and loaded the model."""
    entries = [json.loads(line) for line in server.logs().splitlines() if line.startswith("{")]
    loggers = {entry["logger"] for entry in entries}

    assert "tthc.build" in loggers and "tthc.http" in loggers
    assert not {name for name in loggers if name.split(".")[0] in CHATTY}, loggers


@pytest.mark.slow
def test_the_journal_holds_the_questions_redacted(server, exchanges):
    with sqlite3.connect(server.data_dir / "journal.sqlite") as db:
        questions = db.execute("SELECT * FROM questions").fetchall()
        feedback = db.execute("SELECT * FROM feedback").fetchall()

    assert len(questions) == 2 and len(feedback) == 1, (
        "the ask and the stream were kept, and the feedback"
    )
    for row in questions:
        assert "giấy khai sinh" in row[3] and NUMBER in row[3]
    assert EMAIL in feedback[0][4] and NUMBER in feedback[0][4]
    texts = [row[3] for row in questions] + [feedback[0][4]]
    for text in texts:
        assert_nothing_personal(f"the journal text {text!r}", text)
        assert_nothing_personal(f"the digits of {text!r}", "".join(c for c in text if c.isdigit()))
    for name, data in journal_files(server).items():
        assert_nothing_personal(name, data)


@pytest.mark.slow
def test_after_shutdown_neither_logs_nor_journal_files_hold_personal_data(server, exchanges):
    """Stops the server (its logs flushed, its journal checkpointed): runs last in this module."""
    server.process.terminate()
    server.process.wait(timeout=30)

    assert_nothing_personal("the server's log", server.logs())
    files = journal_files(server)
    assert "journal.sqlite" in files
    for name, data in files.items():
        assert_nothing_personal(name, data)
