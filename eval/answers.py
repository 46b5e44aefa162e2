"""Answer evaluation: accuracy, citation support, abstention, latency; report with a chart.

- answer accuracy: an answered gold question whose answer states every key fact;
- citation support: every `[n]` exists and every number/date in its line is in citation n;
- abstention: recall on `eval/gold/decline.jsonl` (must decline), false-abstention rate on
  the answerable gold questions; precision over all declines;
- `--calibrate`: the support threshold grid that chose `AnswerConfig.support_threshold`.
Writes `eval/reports/answers.md` with an SVG bar chart beside it.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from html import escape
from pathlib import Path

from eval.retrieval import canon, load_gold
from retriever.scope import Scope
from service.answer.compose import Extractive, unsupported_values
from service.answer.config import AnswerConfig


def _facts_present(answer: str, facts: list[str]) -> bool:
    text = canon(answer)
    return all(canon(f) in text for f in facts)


def score(item: dict, must_decline: bool, answer: dict, ms: float) -> dict:
    """One gold question's row, from the contract's answer object (`/api/ask`'s body over
    HTTP, `Answer.to_json()` in process): the same scoring for both."""
    abstained = bool(answer["abstained"])
    citations = answer.get("citations") or []
    return {
        "id": item["id"],
        "question": item["question"],
        "must_decline": must_decline,
        "abstained": abstained,
        "reason": answer.get("reason"),
        "support": answer.get("support"),
        "correct": abstained
        if must_decline
        else (not abstained and _facts_present(answer["answer"], item.get("facts", []))),
        "unsupported": [] if abstained else unsupported_values(answer["answer"], citations),
        "markers_ok": all(c["text"] for c in citations),
        "ms": ms,
        "answer": answer["answer"],
        "expected": item.get("facts") or item.get("reason"),
    }


def rows(ask: Callable[[str], dict], gold: list[dict], decline: list[dict]) -> list[dict]:
    """Every question asked through `ask` (question → answer object), timed and scored."""
    out = []
    for item, must_decline in [(g, False) for g in gold] + [(d, True) for d in decline]:
        started = time.perf_counter()
        answer = ask(item["question"])
        out.append(score(item, must_decline, answer, 1000 * (time.perf_counter() - started)))
    return out


def run(engine, gold: list[dict], decline: list[dict]) -> dict:
    def ask(question: str) -> dict:
        result = engine.ask(question)
        return {**result.to_json(), "support": result.support}

    return summarise(rows(ask, gold, decline))


def summarise(rows: list[dict]) -> dict:
    answerable = [r for r in rows if not r["must_decline"]]
    declines = [r for r in rows if r["must_decline"]]
    answered = [r for r in answerable if not r["abstained"]]
    abstained = [r for r in rows if r["abstained"]]
    times = sorted(r["ms"] for r in rows)
    return {
        "rows": rows,
        "answer_accuracy": sum(r["correct"] for r in answerable) / max(1, len(answerable)),
        "citation_support": sum(1 for r in answered if not r["unsupported"])
        / max(1, len(answered)),
        "abstention_recall": sum(r["abstained"] for r in declines) / max(1, len(declines)),
        "abstention_precision": sum(r["must_decline"] for r in abstained) / max(1, len(abstained)),
        "false_abstention": sum(r["abstained"] for r in answerable) / max(1, len(answerable)),
        "p50_ms": statistics.median(times) if times else 0.0,
        "p95_ms": times[min(len(times) - 1, int(0.95 * len(times)))] if times else 0.0,
        "n_answerable": len(answerable),
        "n_decline": len(declines),
    }


def calibrate(engine, gold: list[dict], decline: list[dict]) -> str:
    """Support of the best passage for each question, and the threshold grid over it."""
    # Support measured without declining on it: an answerer with its own config.
    answerer = Extractive(engine.current().searcher, AnswerConfig(support_threshold=-1.0))
    reader = engine.current().reader
    supports = []
    for item, must in [(g, False) for g in gold] + [
        (d, True) for d in decline if d["reason"] == "out_of_scope"
    ]:
        result = answerer.answer(reader.read(item["question"]), Scope.PUBLIC)
        if result.reason in ("injection", "personal_data", "unknown_commune", "unknown_year"):
            continue  # declined before support is measured
        supports.append((result.support or 0.0, must))
    lines = ["| threshold | out-of-scope declined | answerable declined |", "|---|---|---|"]
    n_out = sum(1 for _, m in supports if m) or 1
    n_in = sum(1 for _, m in supports if not m) or 1
    for step in range(2, 17):
        t = step * 0.05
        out = sum(1 for s, m in supports if m and s < t) / n_out
        inn = sum(1 for s, m in supports if not m and s < t) / n_in
        lines.append(f"| {t:.2f} | {out:.3f} | {inn:.3f} |")
    return "\n".join(lines)


def chart(summary: dict) -> str:
    """A small SVG bar chart of the headline figures (no plotting library needed)."""
    return bar_chart(
        [
            ("Độ chính xác", summary["answer_accuracy"]),
            ("Trích dẫn đúng", summary["citation_support"]),
            ("Từ chối đúng (recall)", summary["abstention_recall"]),
            ("Độ chính xác từ chối", summary["abstention_precision"]),
            ("Từ chối nhầm", summary["false_abstention"]),
        ]
    )


def bar_chart(bars: list[tuple[str, float]]) -> str:
    """Horizontal bars for figures between 0 and 1, each labelled with its value."""
    width, row = 560, 34
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
            f'height="{row * len(bars) + 20}" font-family="sans-serif" font-size="13">'
        )
    ]
    for i, (label, value) in enumerate(bars):
        y = 10 + i * row
        parts.append(f'<text x="0" y="{y + 17}">{escape(label)}</text>')
        parts.append(
            f'<rect x="190" y="{y + 4}" width="{300 * value:.1f}" height="18" fill="#1f6feb"/>'
        )
        parts.append(f'<text x="{196 + 300 * value:.1f}" y="{y + 17}">{value:.3f}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def render(summary: dict, calibration: str | None) -> str:
    s = summary
    lines = [
        "# Answer evaluation",
        "",
        (
            f"{s['n_answerable']} answerable gold questions (`eval/gold/plans.jsonl`), "
            f"{s['n_decline']} must-decline questions (`eval/gold/decline.jsonl`). Extractive mode."
        ),
        "",
        "![chart](answers.svg)",
        "",
        "| metric | value |",
        "|---|---|",
        f"| answer accuracy (all key facts stated) | {s['answer_accuracy']:.3f} |",
        f"| citation support (every marked value in its citation) | {s['citation_support']:.3f} |",
        f"| abstention recall (must-decline declined) | {s['abstention_recall']:.3f} |",
        f"| abstention precision | {s['abstention_precision']:.3f} |",
        f"| false abstentions (answerable declined) | {s['false_abstention']:.3f} |",
        f"| latency p50 / p95 | {s['p50_ms']:.0f} ms / {s['p95_ms']:.0f} ms |",
        "",
    ]
    if calibration:
        lines += [
            "## Support threshold calibration",
            "",
            f"Chosen: `support_threshold = {AnswerConfig().support_threshold}` "
            "(service/answer/config.py).",
            "",
            calibration,
            "",
        ]
    wrong = [r for r in s["rows"] if not r["correct"] or r["unsupported"]]
    lines += [f"## Misses ({len(wrong)})", ""]
    for r in wrong:
        lines.append(
            f"- **{r['id']}** {r['question']} — expected {r['expected']}; "
            f"{'declined (' + str(r['reason']) + ')' if r['abstained'] else 'answered'}"
            f"{'; unsupported ' + str(r['unsupported']) if r['unsupported'] else ''}"
        )
        if not r["abstained"]:
            lines.append(f"  > {r['answer'][:300].replace(chr(10), ' / ')}")
    return "\n".join(lines) + "\n"


def main(engine, args) -> int:
    engine.load()
    gold = load_gold(Path(args.gold))
    decline = load_gold(Path(args.decline))
    summary = run(engine, gold, decline)
    calibration = calibrate(engine, gold, decline) if args.calibrate else None
    out = Path(args.report).with_name("answers.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(summary, calibration), encoding="utf-8")
    out.with_suffix(".svg").write_text(chart(summary), encoding="utf-8")
    headline = {k: round(v, 3) for k, v in summary.items() if isinstance(v, float)}
    print(json.dumps(headline, ensure_ascii=False))
    if calibration:
        print(calibration)
    return 0
