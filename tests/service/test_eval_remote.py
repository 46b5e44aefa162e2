"""`tthc eval --url` (`eval.remote`), in-process and fast: the HTTP evaluation scores the API's
answers with the in-process evaluation's own functions, so both give the same figures; a run
writes Markdown, JSON and SVG and compares with a baseline; the documented example gold file
follows the documented format. Hash embedder over the tiny corpus, through a TestClient."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT

from eval import answers, remote, retrieval
from service.cli import main as tthc

EVAL = "khoa-danh-gia-thu-nghiem"
GOLD = [
    {
        "id": "t1",
        "question": "Xã Dân Hòa ban hành kế hoạch chuyển đổi số khi nào?",
        "doc_id": "dan-hoa-2026",
        "evidence": "trong tháng 02/2026",
        "facts": ["02/2026"],
    },
    {
        "id": "t2",
        "question": "xa Dan Hoa bao nhieu phan tram ho so giai quyet dung han",
        "doc_id": "dan-hoa-2026",
        "evidence": "Tối thiểu 98% hồ sơ",
        "facts": ["98%"],
    },
    {
        "id": "t3",
        "question": "Trung tâm Phục vụ hành chính công xã Đức An triển khai ứng dụng gì?",
        "doc_id": "duc-an-2026",
        "evidence": "ứng dụng AI hỗ trợ tra cứu thủ tục",
        "facts": ["AI"],
    },
    {"id": "t4", "question": "Ai tham mưu công tác pháp chế ở Đức An?", "facts": ["pháp chế"]},
    {"id": "n1", "question": "Giá vàng hôm nay bao nhiêu?", "reason": "out_of_scope"},
    {"id": "n2", "question": "cho tôi số điện thoại của chủ tịch xã", "decline": True},
]


@pytest.fixture
def client(serve):
    return serve(eval_api_key=EVAL, rate_limit_per_minute=30, rate_limit_burst=2)


def test_over_http_the_figures_are_the_in_process_ones(client, engine, monkeypatch):
    # Ten requests under a burst of 2: the key keeps the run out of the limit, never waiting.
    monkeypatch.setattr(remote.time, "sleep", lambda s: pytest.fail(f"waited {s} s for a 429"))
    run = remote.evaluate(remote.Remote(client, EVAL), GOLD)

    located = [g for g in GOLD if "doc_id" in g]
    in_process = retrieval.evaluate(engine, located)["hybrid"]["as_written"]
    answerable = [g for g in GOLD if not remote.must_decline(g)]
    summary = answers.run(engine, answerable, [g for g in GOLD if remote.must_decline(g)])
    for key in ("hit@1", "hit@5", "mrr@10"):
        assert run["figures"][key] == pytest.approx(in_process[key])
    for key in ("answer_accuracy", "citation_support", "abstention_recall", "false_abstention"):
        assert run["figures"][key] == pytest.approx(summary[key]), key
    assert run["counts"] == {"questions": 6, "searched": 3, "answerable": 4, "decline": 2}
    assert run["figures"]["hit@5"] > 0 and run["figures"]["abstention_recall"] > 0
    assert all(ms > 0 for ms in run["latency"].values())


def test_a_run_writes_markdown_json_and_a_chart_and_compares_with_its_baseline(
    client, tmp_path: Path
):
    run = {"url": "http://xa.test", "sets": ["gold.jsonl"], "started": "2026-12-08T04:00:00Z"}
    run |= remote.evaluate(remote.Remote(client, EVAL), GOLD)
    first = remote.write(run, tmp_path / "runs")
    assert first.name == "run-20261208T040000Z.json"
    saved = json.loads(first.read_text(encoding="utf-8"))
    assert saved["figures"] == run["figures"] and len(saved["rows"]) == len(GOLD)
    svg = first.with_suffix(".svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and svg.count("<rect") == len(remote.FIGURES)
    markdown = first.with_suffix(".md").read_text(encoding="utf-8")
    assert "run-20261208T040000Z.svg" in markdown and "hit@5" in markdown

    worse = {**saved, "figures": {**saved["figures"], "hit@1": saved["figures"]["hit@1"] - 0.25}}
    run2 = {**run, "started": "2026-12-09T04:00:00Z"}
    run2["baseline"] = {"file": str(first), "changes": remote.compare(run2, worse)}
    second = remote.write(run2, tmp_path / "runs")
    assert run2["baseline"]["changes"]["hit@1"]["change"] == pytest.approx(0.25)
    assert "So với lần chạy trước" in second.with_suffix(".md").read_text(encoding="utf-8")
    assert "+0.250" in second.with_suffix(".md").read_text(encoding="utf-8")


def test_without_the_key_a_run_waits_out_the_rate_limit(serve, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(remote.time, "sleep", waits.append)
    client = serve(rate_limit_per_minute=6000, rate_limit_burst=1)
    remote.Remote(client).ask(GOLD[0]["question"])
    run = remote.evaluate(remote.Remote(client), GOLD[:2])
    assert run["counts"]["questions"] == 2 and waits and all(w >= 1 for w in waits)


def test_set_and_baseline_need_a_url(capsys):
    with pytest.raises(SystemExit, match="--url"):
        tthc(["eval", "--set", "x.jsonl"])


EXAMPLE = ROOT / "docs" / "eval-example.jsonl"


def test_the_documented_example_gold_file_follows_the_documented_format():
    items = retrieval.load_gold(EXAMPLE)
    assert len({i["id"] for i in items}) == len(items) >= 5
    plans = {p.stem for p in (ROOT / "corpus" / "plans").glob("*.txt")}
    for item in items:
        assert item["question"].strip()
        if remote.must_decline(item):
            assert not item.get("facts"), item["id"]
            continue
        assert item["facts"] and all(isinstance(f, str) and f for f in item["facts"]), item["id"]
        if "doc_id" in item:
            assert item["doc_id"] in plans and item["evidence"], item["id"]
    assert any(remote.must_decline(i) for i in items) and any("doc_id" in i for i in items)
    assert "eval-example.jsonl" in (ROOT / "docs" / "eval.md").read_text(encoding="utf-8")
