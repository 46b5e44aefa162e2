"""`tthc eval --url` against a real `tthc serve` on the real index, with the default rate
limits and the evaluators' key: the figures are the in-process evaluation's on the same
questions (within 0.01), the report is written with its chart, and no request is refused
with a 429. A subset of the project's gold files keeps it under two minutes. Slow."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from conftest import ROOT
from live import running_server

from eval import answers, remote, retrieval
from service.cli import main as tthc
from service.settings import get_settings

pytestmark = pytest.mark.slow

EVAL = "khoa-danh-gia-thu-nghiem"
PLANS = retrieval.load_gold(ROOT / "eval" / "gold" / "plans.jsonl")[::4]  # 28 of 112
DECLINE = retrieval.load_gold(ROOT / "eval" / "gold" / "decline.jsonl")[::3]  # 14 of 40


@pytest.fixture(scope="module")
def server(tmp_path_factory, real_engine):
    # The default rate limits (30 a minute, bursts of 10): only the key lets a run through.
    with running_server(
        tmp_path_factory.mktemp("serve"),
        env={"TTHC_EVAL_API_KEY": EVAL},
        data_dir=real_engine.settings.data_dir,
    ) as live:
        yield live


def test_eval_url_reproduces_the_in_process_figures_and_writes_its_report(
    server, real_engine, tmp_path: Path, monkeypatch
):
    gold = tmp_path / "subset.jsonl"
    gold.write_text(
        "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in PLANS + DECLINE), "utf-8"
    )
    monkeypatch.setenv("TTHC_EVAL_API_KEY", EVAL)
    monkeypatch.setattr(remote.time, "sleep", lambda s: pytest.fail(f"429: waited {s} s"))
    get_settings.cache_clear()
    try:
        status = tthc(["eval", "--url", server.base, "--set", str(gold), "--report", str(tmp_path)])
    finally:
        get_settings.cache_clear()
    assert status == 0
    [written] = tmp_path.glob("run-*.json")
    run = json.loads(written.read_text(encoding="utf-8"))

    searched = retrieval.evaluate(real_engine, PLANS)["hybrid"]["as_written"]
    answered = answers.run(real_engine, PLANS, DECLINE)
    for key in ("hit@1", "hit@5", "mrr@10"):
        assert run["figures"][key] == pytest.approx(searched[key], abs=0.01), key
    for key in ("answer_accuracy", "citation_support", "abstention_recall", "false_abstention"):
        assert run["figures"][key] == pytest.approx(answered[key], abs=0.01), key
    assert run["counts"]["questions"] == len(PLANS) + len(DECLINE)
    assert run["figures"]["answer_accuracy"] > 0.5, "a broken client would score near 0"
    assert written.with_suffix(".svg").read_text(encoding="utf-8").startswith("<svg")
    assert written.with_suffix(".svg").name in written.with_suffix(".md").read_text("utf-8")


def test_with_the_default_limits_and_the_key_200_questions_get_no_429(server):
    with httpx.Client(base_url=server.base, timeout=60, headers={"X-Eval-Key": EVAL}) as client:
        statuses = {
            client.post("/api/search", json={"query": item["question"], "k": 5}).status_code
            for item in (PLANS * 8)[:200]
        }
    assert statuses == {200}
    over = [server.post("/api/search", json={"query": "khai sinh"}).status_code for _ in range(12)]
    assert 429 in over, "without the key the same client is limited"
