"""Plan duties against the hand-checked gold table (eval/gold/duties.jsonl, notes in duties.md).

1. Extraction: every bundled plan is read and its duties extracted (`ingest.duty`); a gold
   duty is recovered when an extracted duty of the same plan carries its `match` text (both
   compared as `eval.retrieval.canon` does: normalised, markup and cell separators dropped).
   Row recall and precision are over the appendix tables; prose is reported beside them. For
   each recovered row: is the lead unit right (the gold cell's units, canonicalised, equal
   the extracted ones) and the due date right.
2. Questions (eval/gold/duty_questions.jsonl) through the answerer, as `/api/ask` does: right
   when the answer lists every expected duty (its source cited), states every fact, and, for
   a question the plans do not cover, says that nothing was found.

    python -m eval.duties [--data DIR] [--report eval/reports/duties.md]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from eval.retrieval import canon, load_gold
from ingest.document import read_document
from ingest.duty import Duty, extract_duties
from ingest.textnorm import fold
from ingest.units import canonical_unit, split_units

GOLD = Path(__file__).resolve().parent / "gold"
PLANS = Path(__file__).resolve().parent.parent / "corpus" / "plans"


def extracted(plans: Path = PLANS) -> dict[str, list[Duty]]:
    """doc id → the duties extracted from that plan."""
    out = {}
    for path in sorted(plans.glob("*.txt")):
        doc = read_document(path)
        out[doc.doc_id] = extract_duties(doc)
    return out


def _units(names: list[str]) -> set[str]:
    return {canonical_unit(u) for name in names for u in split_units(name)}


def score_extraction(gold: list[dict], duties: dict[str, list[Duty]]) -> dict:
    """Recall, precision and field accuracy, per origin (`table`, `prose`)."""
    report: dict[str, dict] = {}
    for origin in ("table", "prose"):
        items = [g for g in gold if g["kind"] == origin]
        docs = {g["doc"] for g in items}
        found, misses, wrong_lead, wrong_due = [], [], [], []
        used: set[str] = set()
        for g in items:
            needle = canon(g["match"])
            match = next(
                (
                    d
                    for d in duties.get(g["doc"], [])
                    if d.origin == origin and needle in canon(d.text)
                ),
                None,
            )
            if match is None:
                misses.append(g)
                continue
            used.add(match.id)
            found.append(g)
            if _units(g["lead"]) != set(match.leads):
                wrong_lead.append((g, match))
            if g["due_date"] != match.due_date:
                wrong_due.append((g, match))
        produced = [d for doc in docs for d in duties.get(doc, []) if d.origin == origin]
        extra = [d for d in produced if d.id not in used]
        n = len(items) or 1
        report[origin] = {
            "gold": len(items),
            "extracted": len(produced),
            "recovered": len(found),
            "recall": len(found) / n,
            "precision": (len(produced) - len(extra)) / (len(produced) or 1),
            "lead_right": (len(found) - len(wrong_lead)) / (len(found) or 1),
            "due_right": (len(found) - len(wrong_due)) / (len(found) or 1),
            "misses": misses,
            "extra": extra,
            "wrong_lead": wrong_lead,
            "wrong_due": wrong_due,
        }
    return report


def score_questions(engine, questions: list[dict], gold: list[dict]) -> dict:
    """Ask each duty question; right when every expected duty is cited and every fact stated."""
    by_id = {g["id"]: g for g in gold}
    rows = []
    for q in questions:
        answer = engine.ask(q["question"])
        cited = " ".join(canon(c["text"]) for c in answer.citations)
        text = fold(answer.answer).lower()
        if q["expect_ids"]:
            missing = [i for i in q["expect_ids"] if canon(by_id[i]["match"]) not in cited]
            facts = [f for f in q["facts"] if fold(f).lower() not in text]
            right = not answer.abstained and not missing and not facts
        else:
            missing, facts = [], []
            right = answer.abstained or not answer.citations
        rows.append(
            {
                "id": q["id"],
                "kind": q["kind"],
                "question": q["question"],
                "right": right,
                "missing": missing,
                "facts": facts,
                "abstained": answer.abstained,
            }
        )
    kinds = sorted({r["kind"] for r in rows})
    return {
        "n": len(rows),
        "accuracy": sum(r["right"] for r in rows) / (len(rows) or 1),
        "by_kind": {
            k: (sum(r["right"] for r in rows if r["kind"] == k), sum(r["kind"] == k for r in rows))
            for k in kinds
        },
        "misses": [r for r in rows if not r["right"]],
    }


def _lines(extraction: dict, questions: dict | None, holdout: dict | None = None) -> list[str]:
    out = [
        "# Plan duties",
        "",
        "Gold: `eval/gold/duties.jsonl` (hand-checked; judgement calls in `eval/gold/duties.md`).",
        "",
        "| origin | gold | extracted | recovered | recall | precision "
        "| lead right | due date right |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for origin, r in extraction.items():
        out.append(
            f"| {origin} | {r['gold']} | {r['extracted']} | {r['recovered']} | {r['recall']:.3f} | "
            f"{r['precision']:.3f} | {r['lead_right']:.3f} | {r['due_right']:.3f} |"
        )
    for origin, r in extraction.items():
        out += ["", f"## {origin}: misses and disagreements", ""]
        out += [f"- missed {g['id']}: {g['match']}" for g in r["misses"]]
        out += [f"- extra ({d.doc_id}): {d.text[:90]}" for d in r["extra"]]
        out += [
            f"- lead {g['id']}: gold {g['lead']} / extracted {list(d.leads)}"
            for g, d in r["wrong_lead"]
        ]
        out += [
            f"- due {g['id']}: gold {g['due_date']} / extracted {d.due_date} ({g['deadline_text']})"
            for g, d in r["wrong_due"]
        ]
        if not (r["misses"] or r["extra"] or r["wrong_lead"] or r["wrong_due"]):
            out.append("- none")
    if questions:
        out += [
            "",
            "## Duty questions through the answerer",
            "",
            f"{questions['n']} questions (`eval/gold/duty_questions.jsonl`): "
            f"accuracy **{questions['accuracy']:.3f}**.",
            "",
            "| kind | right | questions |",
            "|---|---|---|",
        ]
        out += [f"| {k} | {a} | {b} |" for k, (a, b) in questions["by_kind"].items()]
        out += ["", "Misses:", ""]
        out += _misses(questions)
    if holdout:
        out += [
            "",
            "## Held-out duty questions",
            "",
            (
                f"{holdout['n']} questions (`eval/gold/duty_questions_holdout.jsonl`) "
                "written by someone who had "
                f"not seen the system or the set above: accuracy **{holdout['accuracy']:.3f}**."
            ),
            "",
            "| kind | right | questions |",
            "|---|---|---|",
        ]
        out += [f"| {k} | {a} | {b} |" for k, (a, b) in holdout["by_kind"].items()]
        out += ["", "Misses:", "", *_misses(holdout)]
    return out


def _misses(scored: dict) -> list[str]:
    return [
        f"- {m['id']} ({m['kind']}): {m['question']} — "
        + ("declined" if m["abstained"] else f"missing duties {m['missing']} facts {m['facts']}")
        for m in scored["misses"]
    ] or ["- none"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, help="an index folder, to also ask the duty questions")
    parser.add_argument("--report", type=Path)
    args = parser.parse_args(argv)
    gold = load_gold(GOLD / "duties.jsonl")
    extraction = score_extraction(gold, extracted())
    questions = holdout = None
    if args.data:
        from service.engine import build_engine
        from service.settings import Settings

        engine = build_engine(Settings(data_dir=args.data))
        questions = score_questions(engine, load_gold(GOLD / "duty_questions.jsonl"), gold)
        holdout = score_questions(engine, load_gold(GOLD / "duty_questions_holdout.jsonl"), gold)
    text = "\n".join(_lines(extraction, questions, holdout)) + "\n"
    print(text)
    if args.report:
        args.report.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
