"""The HTTP API against docs/api-contract.md, in-process (TestClient), fast.

Engine with the hash embedder over the two-file tiny corpus. Every error must be
`{"error": {"code": str, "message": str}}` with a Vietnamese message and a 4xx/503 status:
never a 500, never a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import TINY, assert_error
from fastapi.testclient import TestClient

from ingest.textnorm import normalize
from service.app import create_app
from service.engine import build_engine
from service.settings import Settings

CITATION_FIELDS = {"n", "doc_id", "title", "source", "kind", "section", "page", "text", "score"}
TITLES = {
    "dan-hoa-2026": "Kế hoạch Cải cách hành chính nhà nước năm 2026 trên địa bàn xã Dân Hòa",
    "duc-an-2026": "Kế hoạch Cải cách hành chính nhà nước năm 2026 xã Đức An",
}
# One Prometheus exposition line: name{label="value",...} number
_METRIC_LINE = re.compile(
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\\n])*",?)*\})? -?[0-9.eE+]+$'
)


@pytest.fixture
def client(tmp_path: Path, hash_embedder, tiny_corpus):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=tiny_corpus)
    engine = build_engine(settings, embedder=hash_embedder)
    engine.ingest([tiny_corpus])
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def client_without_index(tmp_path: Path, hash_embedder, tiny_corpus):
    settings = Settings(data_dir=tmp_path / "empty-data", corpus_dir=tiny_corpus)
    engine = build_engine(settings, embedder=hash_embedder)
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        yield client


def search(client, **body):
    return client.post("/api/search", json=body)


# --- search -------------------------------------------------------------------------------


def test_search_returns_ranked_citations_with_the_contract_fields(client):
    response = search(client, query="kế hoạch chuyển đổi số năm 2026", k=10)

    assert response.status_code == 200
    results = response.json()["results"]
    assert results
    assert [r["n"] for r in results] == list(range(1, len(results) + 1))
    for r in results:
        assert CITATION_FIELDS <= set(r), r
        assert r["doc_id"] in TITLES and r["title"] == TITLES[r["doc_id"]]
        assert r["source"] in TINY and r["kind"] == "plan"
        assert isinstance(r["section"], str) and isinstance(r["text"], str) and r["text"]
        assert r["page"] is None or isinstance(r["page"], int)
        assert 0 < r["score"] <= 1
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)

    top = results[0]
    assert top["doc_id"] == "dan-hoa-2026" and top["source"] == "dan-hoa-2026.txt"
    assert "chuyển đổi số" in top["text"]
    # verbatim up to the product's one tone-mark convention (`số hoá` is cited as `số hóa`)
    assert top["text"] in normalize(TINY["dan-hoa-2026.txt"]), "a citation quotes the source"
    assert "Chuyển đổi số" in top["section"]


@pytest.mark.parametrize("k", [1, 3])
def test_search_returns_k_results(client, k):
    results = search(client, query="cải cách hành chính", k=k).json()["results"]
    assert len(results) == k


def test_commune_filter_keeps_only_that_communes_documents(client):
    query = "ban hành kế hoạch chuyển đổi số"
    unfiltered = search(client, query=query).json()["results"]
    assert unfiltered[0]["doc_id"] == "dan-hoa-2026"

    for commune in ("Đức An", "duc an"):
        results = search(client, query=query, filters={"commune": commune}).json()["results"]
        assert results, commune
        assert {r["doc_id"] for r in results} == {"duc-an-2026"}, commune


def test_kind_filter_with_no_matching_documents_returns_no_results(client):
    response = search(client, query="cải cách hành chính", filters={"kind": "procedure"})
    assert response.status_code == 200
    assert response.json() == {"results": []}


# --- bad input ----------------------------------------------------------------------------


def test_malformed_json_is_a_400(client):
    response = client.post(
        "/api/search", content=b'{"query": "chuy', headers={"content-type": "application/json"}
    )
    assert_error(response, 400)


@pytest.mark.parametrize(
    "body, status",
    [
        ({"query": "   "}, 422),
        ({"query": "\u00a0\u3000\t\n"}, 422),
        ({"query": "a" * 2001}, 413),
        ({"query": 123}, 422),
        ({"query": None}, 422),
        ({"query": "chuyển đổi số", "k": "abc"}, 422),
        ({"query": "chuyển đổi số", "filters": "x"}, 422),
        ({"k": 3}, 422),
        ({}, 422),
        (["chuyển đổi số"], 422),
        ({"query": "chuyển đổi số", "filters": {"kind": "law"}}, 422),
        ({"query": "chuyển đổi số", "filters": {"year": 3000}}, 422),
        ({"query": "chuyển đổi số", "k": 0}, 422),
        ({"query": "chuyển đổi số", "k": 1000}, 422),
        ({"query": "chuyển đổi số", "k": -1}, 422),
    ],
    ids=[
        "blank",
        "unicode-blank",
        "too-long",
        "query-int",
        "query-null",
        "k-text",
        "filters-text",
        "missing-query",
        "empty-object",
        "array",
        "unknown-kind",
        "year-out-of-range",
        "k-0",
        "k-1000",
        "k-negative",
    ],
)
def test_bad_search_requests_get_a_vietnamese_4xx(client, body, status):
    assert_error(client.post("/api/search", json=body), status)


def test_specific_error_codes_tell_the_cases_apart(client):
    codes = {
        "blank": assert_error(search(client, query="  "), 422)["code"],
        "long": assert_error(search(client, query="x" * 2001), 413)["code"],
        "missing": assert_error(search(client, k=2), 422)["code"],
    }
    assert len(set(codes.values())) == 3, codes


def test_a_query_of_exactly_2000_characters_is_accepted(client):
    assert search(client, query="hành chính " + "a" * 1989).status_code == 200


def test_unknown_path_and_wrong_method_are_json_errors(client):
    assert_error(client.get("/khong-co-trang-nay"), 404)
    assert_error(client.get("/api/khong-co"), 404)
    assert_error(client.get("/api/search"), 405)


# --- documents, health, metrics -------------------------------------------------------------


def test_documents_lists_both_documents_with_titles_and_no_server_paths(client):
    response = client.get("/api/documents")

    assert response.status_code == 200
    documents = response.json()["documents"]
    assert {d["doc_id"]: d["title"] for d in documents} == TITLES
    assert {d["commune"] for d in documents} == {"Dân Hòa", "Đức An"}
    assert all(d["chunks"] > 0 for d in documents)
    assert all("path" not in d and "text" not in d for d in documents)


def test_health_and_readiness(client):
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200
    chunks = ready.json()["chunks"]
    assert chunks > 0
    assert chunks == sum(d["chunks"] for d in client.get("/api/documents").json()["documents"])


def test_metrics_count_requests_by_path_and_status(client):
    search(client, query="chuyển đổi số")
    search(client, query="chuyển đổi số")
    search(client, query="   ")

    text = client.get("/metrics").text

    assert "tthc_requests_total" in text
    assert 'tthc_requests_total{method="POST",path="/api/search",status="200"} 2.0' in text
    assert 'tthc_requests_total{method="POST",path="/api/search",status="422"} 1.0' in text
    chunks = client.get("/readyz").json()["chunks"]
    assert f"tthc_index_chunks {float(chunks)}" in text


def test_metrics_stay_valid_prometheus_text_after_odd_request_paths(client):
    client.get("/api/x%22%7D%201%0Agia_mao%7Bpath%3D%22")  # a path label that closes its own braces

    text = client.get("/metrics").text

    bad = [
        line
        for line in text.splitlines()
        if line and not line.startswith("#") and not _METRIC_LINE.match(line)
    ]
    assert bad == [], text
    assert not any(line.startswith("gia_mao") for line in text.splitlines()), text


# --- no index yet -------------------------------------------------------------------------


def test_without_an_index_the_service_is_alive_but_not_ready(client_without_index):
    client = client_without_index

    assert client.get("/healthz").status_code == 200
    assert_error(client.get("/readyz"), 503)
    error = assert_error(search(client, query="chuyển đổi số"), 503)
    assert "chưa sẵn sàng" in error["message"]
    assert_error(client.get("/api/documents"), 503)
    assert "tthc_index_chunks 0" in client.get("/metrics").text
