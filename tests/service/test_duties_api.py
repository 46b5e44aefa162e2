"""Plan duties through the product's interfaces: `GET /api/duties` (JSON, CSV, iCalendar),
`tthc duties`, and duty questions through `/api/ask`. One index over the five bundled plans,
built once (hash embedder: these tests are about the duty table, not retrieval)."""

from __future__ import annotations

import csv
import datetime
import io
import json
import shutil
from pathlib import Path

import pytest
from conftest import HashEmbedder, assert_error, vietnamese
from fastapi.testclient import TestClient

from ingest.units import unit_key
from retriever.scope import Scope
from service import cli
from service.app import create_app
from service.engine import build_engine
from service.export import to_ics
from service.settings import Settings

PLANS = Path(__file__).resolve().parents[2] / "corpus" / "plans"
PVHCC = "Trung tâm Phục vụ hành chính công"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    root = tmp_path_factory.mktemp("duties")
    corpus = root / "corpus"
    shutil.copytree(PLANS, corpus / "plans")
    settings = Settings(data_dir=root / "data", corpus_dir=corpus)
    engine = build_engine(settings, embedder=HashEmbedder())
    engine.ingest([corpus])
    return engine


@pytest.fixture(scope="module")
def client(engine):
    with TestClient(create_app(engine.settings, engine), raise_server_exceptions=False) as client:
        yield client


def duties(client, **params) -> list[dict]:
    response = client.get("/api/duties", params=params)
    assert response.status_code == 200, response.text
    return response.json()["duties"]


def test_duties_have_the_contract_fields(client):
    found = duties(client)
    assert len(found) > 150
    for d in found:
        assert {
            "id",
            "commune",
            "plan_title",
            "task",
            "product",
            "lead",
            "partners",
            "monitor",
            "leader",
            "deadline_text",
            "due_date",
            "source",
        } <= set(d)
        assert set(d["source"]) >= {"doc_id", "section", "text"} and d["source"]["text"]
        assert d["due_date"] is None or datetime.date.fromisoformat(d["due_date"])


@pytest.mark.parametrize(
    "alias",
    [
        "Trung tâm PVHCC",
        "Trung tâm Phục vụ HCC",
        "TT PVHCC",
        "trung tam phuc vu hanh chinh cong",
        "Trung tâm Phục vụ hành chính công xã",
    ],
)
def test_a_unit_is_found_by_any_of_its_names(client, alias):
    found = duties(client, unit=alias, commune="An Khánh")
    assert {
        d["source"]["text"].split(" | ")[0]
        for d in found
        if d["source"]["text"][:2].strip().isdigit()
    } >= {"4", "6", "8", "14", "18"}
    assert all(d["lead"] == PVHCC and d["commune"] == "An Khánh" for d in found)


def test_every_alias_of_the_office_finds_the_same_duties(client):
    names = [
        "Văn phòng HĐND-UBND",
        "Văn phòng HĐND & UBND",
        "Văn phòng HĐND và UBND",
        "VP HĐND-UBND",
        "van phong hdnd ubnd",
    ]
    results = [{d["id"] for d in duties(client, unit=name)} for name in names]
    assert results[0] and all(r == results[0] for r in results)
    communes = {d["commune"] for d in duties(client, unit=names[0])}
    assert {"An Khánh", "Dân Hòa", "Quảng Sơn"} <= communes


def test_due_before_narrows_to_dated_duties_due_by_then(client):
    everything = duties(client, unit="Trung tâm PVHCC", commune="An Khánh")
    narrowed = duties(client, unit="Trung tâm PVHCC", commune="An Khánh", due_before="2026-06-30")
    assert {d["deadline_text"] for d in narrowed} == {"Quý I/2026", "Quý II/2026"}
    assert len(narrowed) == 2 < len(everything)
    assert all(d["due_date"] <= "2026-06-30" for d in narrowed)


def test_free_text_finds_the_task(client):
    found = duties(client, q="số hóa hồ sơ", commune="Dân Hòa")
    assert found and "Số hóa hồ sơ" in found[0]["task"]
    assert found[0]["lead"] == "Văn phòng HĐND và UBND" and found[0]["deadline_text"] == "Cả năm"


def test_csv_export_opens_in_a_spreadsheet(client):
    response = client.get("/api/duties", params={"commune": "Dân Hòa", "format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert len(rows) == len(duties(client, commune="Dân Hòa"))
    assert any(
        r["task"].startswith("Ban hành Kế hoạch CCHC năm 2026") and r["due_date"] == "2026-01-31"
        for r in rows
    )


def test_ics_export_holds_one_event_per_dated_duty(client):
    response = client.get("/api/duties", params={"commune": "Quảng Sơn", "format": "ics"})
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "text/calendar"
    )
    text = response.text
    dated = [d for d in duties(client, commune="Quảng Sơn") if d["due_date"]]
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert text.count("BEGIN:VEVENT") == len(dated) > 0
    assert "DTSTART;VALUE=DATE:20250729" in text  # `Trước ngày 30/7/2025`
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))
    unfolded = text.replace("\r\n ", "")
    assert "SUMMARY:Mỗi cơ quan\\, đơn vị\\, địa phương phải có khẩu hiệu hành động" in unfolded


def test_ics_folds_long_vietnamese_lines_between_characters(engine):
    duty = engine.duties(commune="Quảng Sơn", q="khẩu hiệu hành động")[0]
    text = to_ics([duty], now=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    for line in text.split("\r\n"):
        line.encode("utf-8").decode("utf-8")  # a cut inside a character would not decode
        assert len(line.encode("utf-8")) <= 75


@pytest.mark.parametrize(
    "params, field",
    [
        ({"due_before": "30/06/2026"}, "due_before"),
        ({"role": "boss"}, "role"),
        ({"format": "pdf"}, "format"),
    ],
)
def test_bad_filters_get_a_vietnamese_422(client, params, field):
    error = assert_error(client.get("/api/duties", params=params), 422)
    assert field in error["message"] and vietnamese(error["message"])


def test_cli_duties_lists_a_units_duties_with_deadlines(engine, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_engine", lambda: engine)
    assert cli.main(["duties", "--unit", "Trung tâm PVHCC", "--commune", "An Khánh"]) == 0
    out = capsys.readouterr().out
    assert (
        "Xây dựng Kế hoạch nâng cao chất lượng kiểm soát TTHC năm 2026" in out
        and "Quý I/2026" in out
    )
    assert (
        cli.main(
            [
                "duties",
                "--unit",
                "TT PVHCC",
                "--commune",
                "An Khánh",
                "--due-before",
                "2026-06-30",
                "--json",
            ]
        )
        == 0
    )
    listed = json.loads(capsys.readouterr().out)["duties"]
    assert [d["deadline_text"] for d in listed] == ["Quý I/2026", "Quý II/2026"]


def test_cli_rejects_a_bad_date_in_vietnamese(engine, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_engine", lambda: engine)
    with pytest.raises(SystemExit):
        cli.main(["duties", "--due-before", "2026-13-01"])
    assert "ngày không hợp lệ" in capsys.readouterr().err


@pytest.mark.parametrize(
    "question, expected, fact",
    [
        (
            "Ai chủ trì số hóa hồ sơ, kết quả giải quyết TTHC ở Dân Hòa?",
            "Số hóa hồ sơ",
            "Văn phòng HĐND và UBND",
        ),
        (
            "xa an khanh quy II/2026 can hoan thanh nhung viec gi",
            "Xây dựng và triển khai kế hoạch đào tạo",
            "Quý II/2026",
        ),
        (
            "Phòng Kinh tế Dân Hòa được giao những nhiệm vụ nào?",
            "Thực hiện công khai ngân sách",
            "Phòng Kinh tế",
        ),
    ],
)
def test_duty_questions_are_answered_from_the_records_with_citations(
    client, question, expected, fact
):
    body = client.post("/api/ask", json={"question": question}).json()
    assert not body["abstained"] and body["citations"]
    assert body["mode"] == "extractive" and body["answerer"] == "duties"
    assert expected in body["answer"] and fact in body["answer"]
    for c in body["citations"]:
        assert f"[{c['n']}]" in body["answer"] and c["kind"] == "plan" and c["text"]


def test_a_duty_the_plans_do_not_give_is_declined(client):
    body = client.post(
        "/api/ask",
        json={"question": "Công an xã Quảng Sơn được giao nhiệm vụ gì trong kế hoạch CCHC 2025?"},
    ).json()
    assert body["abstained"] and not body["citations"] and vietnamese(body["answer"])


def test_sources_are_verbatim_slices_of_the_documents(engine):
    texts = {d.doc_id: d.text for d in engine.searcher.generation.documents}
    for d in engine.duties():
        assert texts[d.doc_id][d.start : d.end] == d.text


def test_unit_keys_agree_between_query_and_table(engine):
    assert unit_key("phòng VHXH") in engine.answerer.books(Scope.PUBLIC).duties.table.unit_keys


@pytest.mark.parametrize(
    "question, period, due_before",
    [
        ("Quảng Sơn có những việc nào hạn trước ngày 01/9/2025?", None, datetime.date(2025, 8, 31)),
        (
            "Dân Hòa có những việc nào phải xong trước hết quý I/2026?",
            None,
            datetime.date(2026, 3, 31),
        ),
        (
            "xa an khanh quy II/2026 can hoan thanh nhung viec gi",
            (datetime.date(2026, 4, 1), datetime.date(2026, 6, 30)),
            None,
        ),
        (
            "Quảng Sơn có việc nào phải xong trong tháng 9/2025?",
            (datetime.date(2025, 9, 1), datetime.date(2025, 9, 30)),
            None,
        ),
    ],
)
def test_a_duty_question_reads_its_period(engine, question, period, due_before):
    from service.answer.duties import DutyQuestion

    asked = DutyQuestion.read(
        question, (), engine.answerer.books(Scope.PUBLIC).duties.table, datetime.date(2026, 11, 21)
    )
    assert asked is not None and asked.kind == "list"
    assert (asked.period.start, asked.period.end) == period if period else asked.period is None
    assert asked.due_before == due_before


def test_soon_due_counts_from_today(engine):
    from service.answer.duties import SOON_DAYS, DutyQuestion

    today = datetime.date(2026, 11, 21)
    asked = DutyQuestion.read(
        "An Khánh việc nào sắp đến hạn?",
        ("an khanh",),
        engine.answerer.books(Scope.PUBLIC).duties.table,
        today,
    )
    assert asked.period.start == today and asked.period.end == today + datetime.timedelta(
        days=SOON_DAYS
    )
    selected = engine.answerer.books(Scope.PUBLIC).duties.select(asked)
    assert selected and all(
        today.isoformat() <= d.due_date <= asked.period.end.isoformat() for d in selected
    )
