"""What an operator reads in the logs (`service.http.observe`, `service.privacy`): one INFO
line per request on `tthc.http` with method, route template, status and milliseconds, and
nothing a citizen typed; the libraries' own chatter (faiss, bm25s, sentence-transformers,
tokenizers, httpx) only at `TTHC_LOG_LEVEL=debug`.

Hash embedder over the two-file tiny corpus; the real server's log is checked by the slow
tests of `test_privacy.py`.
"""

from __future__ import annotations

import json
import logging

import pytest
from pydantic import ValidationError

from service.cli import _settings_problems
from service.privacy import CHATTY, configure_logging
from service.settings import Settings

PHONE = "0912345678"
QUESTION = f"Tôi gọi số {PHONE}, xã Dân Hòa chuyển đổi số thế nào?"


@pytest.fixture
def logging_restored():
    """The root logger and the libraries' levels as they were: `configure_logging` replaces
    the root's handlers (pytest's capture among them)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in CHATTY}
    yield
    root.handlers[:], root.level = handlers, level
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)


def requests_logged(caplog) -> list[dict]:
    return [
        r.fields for r in caplog.records if r.name == "tthc.http" and r.getMessage() == "request"
    ]


def test_each_request_is_one_info_line_with_method_path_status_and_ms(serve, caplog):
    client = serve()
    caplog.set_level(logging.INFO)

    client.post("/api/ask", json={"question": QUESTION})
    client.get("/api/procedures/9.999999")
    client.get("/khong-co")

    lines = requests_logged(caplog)
    assert [(r["method"], r["path"], r["status"]) for r in lines] == [
        ("POST", "/api/ask", 200),
        ("GET", "/api/procedures/{key}", 404),  # the route template, not what was typed
        ("GET", "other", 404),
    ]
    assert all(isinstance(r["ms"], float) and r["ms"] >= 0 for r in lines)
    request_records = [r for r in caplog.records if r.getMessage() == "request"]
    assert {r.levelno for r in request_records} == {logging.INFO}


@pytest.mark.usefixtures("logging_restored")
def test_no_info_line_holds_the_question(serve, caplog):
    client = serve()
    configure_logging("info")  # as `tthc serve` does
    logging.getLogger().addHandler(caplog.handler)

    client.post("/api/ask", json={"question": QUESTION})
    client.post("/api/search", json={"query": QUESTION})
    client.get("/api/duties", params={"q": PHONE})

    assert len(requests_logged(caplog)) == 3
    for record in caplog.records:
        text = record.getMessage() + json.dumps(getattr(record, "fields", {}), ensure_ascii=False)
        assert PHONE not in text and "chuyển đổi số" not in text, text


def chatter() -> None:
    """What the libraries say while a server starts, and one line of ours."""
    logging.getLogger("faiss.loader").info("Loading faiss with AVX2 support.")
    logging.getLogger("sentence_transformers.base.model").info("Loading SentenceTransformer")
    logging.getLogger("bm25s").info("Split strings")
    logging.getLogger("httpx2").info('HTTP Request: POST http://127.0.0.1:8001/v1 "200 OK"')
    logging.getLogger("transformers.tokenization_utils_base").debug("tokenizer loaded")
    logging.getLogger("faiss.loader").warning("Could not load library")
    logging.getLogger("tthc.http").info("request")


@pytest.mark.usefixtures("logging_restored")
def test_library_chatter_is_silenced_but_warnings_and_our_lines_show(caplog):
    configure_logging("info")
    logging.getLogger().addHandler(caplog.handler)

    chatter()

    assert [(r.name, r.levelname) for r in caplog.records] == [
        ("faiss.loader", "WARNING"),
        ("tthc.http", "INFO"),
    ]


@pytest.mark.usefixtures("logging_restored")
def test_at_debug_the_libraries_speak(caplog):
    configure_logging("debug")
    logging.getLogger().addHandler(caplog.handler)

    chatter()

    assert len(caplog.records) == 7
    assert "transformers.tokenization_utils_base" in {r.name for r in caplog.records}


@pytest.mark.usefixtures("logging_restored")
def test_at_error_a_library_warning_is_silenced_too(caplog):
    configure_logging("error")
    logging.getLogger().addHandler(caplog.handler)

    chatter()

    assert caplog.records == []


def test_the_log_level_setting_takes_any_case_and_refuses_an_unknown_level(monkeypatch):
    monkeypatch.setenv("TTHC_LOG_LEVEL", "DEBUG")
    assert Settings().log_level == "debug"
    assert Settings.model_fields["log_level"].default == "info"

    monkeypatch.setenv("TTHC_LOG_LEVEL", "verbose")
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert "TTHC_LOG_LEVEL=verbose" in _settings_problems(refused.value)
    assert "debug, info, warning, error" in _settings_problems(refused.value)
