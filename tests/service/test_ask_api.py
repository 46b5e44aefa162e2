"""POST /api/ask through the HTTP layer, with the embedding model replaced by a double."""

import pytest
from fastapi.testclient import TestClient

from service.answer.places import in_commune
from service.app import create_app
from service.engine import build_engine
from service.settings import Settings


@pytest.fixture
def client(tmp_path, hash_embedder, tiny_corpus):
    settings = Settings(data_dir=tmp_path / "data")
    engine = build_engine(settings, embedder=hash_embedder)
    engine.ingest([tiny_corpus])
    with TestClient(create_app(settings, engine)) as c:
        yield c


def test_ask_answers_with_citations_in_the_contract_shape(client):
    body = client.post(
        "/api/ask",
        json={
            "question": "xã Dân Hòa ban hành kế hoạch chuyển đổi số khi nào",
            "session_id": "phien-1",
        },
    ).json()
    assert (
        body["abstained"] is False
        and body["mode"] == "extractive"
        and body["session_id"] == "phien-1"
    )
    assert "tháng 02/2026" in body["answer"] and "[1]" in body["answer"]
    first = body["citations"][0]
    assert set(first) >= {
        "n",
        "doc_id",
        "title",
        "source",
        "kind",
        "section",
        "page",
        "text",
        "score",
    }
    assert first["n"] == 1 and "tháng 02/2026" in first["text"]


def test_ask_declines_with_a_pointer_to_the_one_stop_office(client):
    body = client.post("/api/ask", json={"question": "giá vàng hôm nay bao nhiêu"}).json()
    assert body["abstained"] is True and body["citations"] == []
    assert "Bộ phận Một cửa" in body["answer"] and body["session_id"]


@pytest.mark.parametrize(
    "payload,status,code",
    [
        (b"{not json", 400, "invalid_json"),
        (b'{"question": "   "}', 422, "empty_query"),
        (b'{"question": "\\u200b"}', 422, "empty_query"),
        (('{"question": "' + "hỏi " * 600 + '"}').encode(), 413, "query_too_long"),
        (b'{"question": 12}', 422, "wrong_type"),
        (b'{"question": ["a"]}', 422, "wrong_type"),
        (b"{}", 422, "missing_field"),
        ('{"question": "hỏi", "k": 0}'.encode(), 422, "invalid_value"),
        ('{"question": "hỏi", "filters": {"kind": "abc"}}'.encode(), 422, "invalid_value"),
        ('{"question": "hỏi", "filters": "Dân Hòa"}'.encode(), 422, "wrong_type"),
        (b'"just a string"', 422, "wrong_type"),
    ],
)
def test_bad_ask_requests_get_a_vietnamese_4xx(client, payload, status, code):
    response = client.post(
        "/api/ask", content=payload, headers={"content-type": "application/json"}
    )
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert (
        any(ch in error["message"] for ch in "ăâđêôơưáàảãạ") and "Traceback" not in error["message"]
    )


@pytest.mark.parametrize(
    "question,commune,expected",
    [
        ("kế hoạch của xã mình có mục tiêu gì", "Đức An", "kế hoạch của xã Đức An có mục tiêu gì"),
        ("Xã ta phải đạt bao nhiêu %?", "Phường Hòa Bình", "Phường Hòa Bình phải đạt bao nhiêu %?"),
        # a question that does not speak of its commune is left alone: a procedure is national
        ("làm giấy khai sinh cần gì", "Đức An", "làm giấy khai sinh cần gì"),
        # a question naming a unit keeps its own; no commune, no change
        ("tôi ở xã Tân Phú, kết hôn cần gì", "Đức An", "tôi ở xã Tân Phú, kết hôn cần gì"),
        ("Đức An có kế hoạch gì", "Đức An", "Đức An có kế hoạch gì"),
        ("xã mình có kế hoạch gì", None, "xã mình có kế hoạch gì"),
        ("xã mình có kế hoạch gì", "  ", "xã mình có kế hoạch gì"),
    ],
)
def test_the_portals_commune_is_a_questions_context(question, commune, expected):
    assert in_commune(question, commune) == expected


def test_ask_with_the_portals_commune_answers_xa_minh_from_its_plan(client):
    question = "xã mình phải đạt bao nhiêu phần trăm hồ sơ giải quyết đúng hạn"
    body = client.post("/api/ask", json={"question": question, "commune": "Dân Hòa"}).json()
    assert not body["abstained"] and "98%" in body["answer"], body
    assert {c["commune"] for c in body["citations"]} == {"Dân Hòa"}
    too_long = client.post("/api/ask", json={"question": question, "commune": "x" * 101})
    assert too_long.status_code == 422
