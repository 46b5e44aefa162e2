"""Retrieval evaluation on the gold set: hit@1, hit@5, MRR@10 per retriever configuration.

A result is a hit when it comes from the gold document and its text contains the gold
evidence phrase (both sides normalised: tone marks, markup, white space). Every question
is also asked again with its diacritics stripped, to measure what typing without them costs.
`--tune` grids the fusion weights and writes the table that chose `retriever/search.py`'s.
"""

from __future__ import annotations

import itertools
import json
import re
import statistics
import time
from pathlib import Path

import numpy as np

from ingest.clean import strip_inline_markup
from ingest.textnorm import fold, has_diacritics, normalize
from retriever.fuse import fuse
from retriever.search import MODES

DEPTH = 10


def canon(text: str) -> str:
    """Text as compared for evidence: normalised, markup-free, cells and spaces folded."""
    text = strip_inline_markup(normalize(text).replace(" | ", " ").replace("\t", " "))
    return re.sub(r"\s+", " ", text).strip().lower()


def load_gold(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def is_hit(item: dict, chunk) -> bool:
    return chunk.doc_id == item["doc_id"] and canon(item["evidence"]) in canon(chunk.text)


def first_hit(item: dict, ranked: list) -> int | None:
    """1-based rank of the first correct chunk among the top DEPTH, or None."""
    for rank, chunk in enumerate(ranked[:DEPTH], start=1):
        if is_hit(item, chunk):
            return rank
    return None


def metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {
        "hit@1": sum(1 for r in ranks if r == 1) / n,
        "hit@5": sum(1 for r in ranks if r is not None and r <= 5) / n,
        "mrr@10": sum(1.0 / r for r in ranks if r is not None) / n,
    }


def folded_question(question: str) -> str:
    return fold(question)


def evaluate(engine, gold: list[dict]) -> dict:
    """Per mode, metrics on the questions as written and on their diacritic-free twins."""
    searcher = engine.searcher
    table: dict[str, dict] = {}
    for mode in MODES:
        row: dict[str, object] = {}
        for variant, make in (("as_written", lambda q: q), ("folded", folded_question)):
            ranks, times = [], []
            for item in gold:
                started = time.perf_counter()
                hits = searcher.search(make(item["question"]), k=DEPTH, mode=mode)
                times.append(time.perf_counter() - started)
                ranks.append(first_hit(item, [h.chunk for h in hits]))
            row[variant] = metrics(ranks)
            row[f"{variant}_ranks"] = ranks
            row[f"{variant}_p50_ms"] = 1000 * statistics.median(times)
        table[mode] = row
    return table


def render(table: dict, gold: list[dict]) -> str:
    n_plain = sum(1 for g in gold if not has_diacritics(g["question"]))
    lines = [
        "# Retrieval evaluation",
        "",
        (
            f"Gold set: {len(gold)} questions over the five plans "
            f"({n_plain} typed without diacritics). "
            'Each question is also asked with its diacritics stripped ("folded").'
        ),
        "",
        "| configuration | hit@1 | hit@5 | MRR@10 "
        "| folded hit@1 | folded hit@5 | folded MRR@10 | p50 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for mode, row in table.items():
        a, f = row["as_written"], row["folded"]
        lines.append(
            f"| {mode} | {a['hit@1']:.3f} | {a['hit@5']:.3f} | {a['mrr@10']:.3f} | "
            f"{f['hit@1']:.3f} | {f['hit@5']:.3f} | {f['mrr@10']:.3f} | "
            f"{row['as_written_p50_ms']:.1f} |"
        )
    misses = [
        (g, r) for g, r in zip(gold, table["hybrid"]["as_written_ranks"]) if r is None or r > 5
    ]
    lines += ["", f"## Hybrid misses at 5 ({len(misses)})", ""]
    for g, r in misses:
        lines.append(f"- {g['id']} ({g['doc_id']}, rank {r or '>10'}): {g['question']}")
    return "\n".join(lines) + "\n"


def tune(engine, gold: list[dict]) -> str:
    """Grid the fusion weights on cached per-retriever scores; return the Markdown tables."""
    searcher = engine.searcher
    views = ("bm25_words", "bm25_syllables", "bm25_folded", "dense")
    cases = []  # (gold item, question, mask, {view: scores})
    for item in gold:
        for question in {item["question"], folded_question(item["question"])}:
            cases.append(
                (
                    item,
                    question,
                    searcher.mask(None, question),
                    {v: searcher.scores(question, v) for v in views},
                )
            )

    def score(subset, weights: dict[str, float]) -> dict[str, float]:
        ranks = []
        for item, _, mask, scores in subset:
            combined = np.where(mask, fuse(scores, weights), 0.0)
            order = np.argsort(-combined, kind="stable")[:DEPTH]
            ranks.append(first_hit(item, [searcher.chunks[i] for i in order if combined[i] > 0]))
        return metrics(ranks)

    def table(subset, names: tuple[str, ...], grid: dict[str, tuple[float, ...]]) -> list[str]:
        rows = []
        for values in itertools.product(*(grid[n] for n in names)):
            if not any(values):
                continue
            m = score(subset, dict(zip(names, values)))
            rows.append(((m["mrr@10"], m["hit@5"], m["hit@1"]), values, m))
        rows.sort(key=lambda r: r[0], reverse=True)
        head = "| " + " | ".join(f"w {n}" for n in names) + " | hit@1 | hit@5 | MRR@10 |"
        out = [head, "|" + "---|" * (len(names) + 3)]
        for _, values, m in rows[:20]:
            out.append(
                "| "
                + " | ".join(str(v) for v in values)
                + f" | {m['hit@1']:.3f} | {m['hit@5']:.3f} | {m['mrr@10']:.3f} |"
            )
        return out

    written = [c for c in cases if has_diacritics(c[1])]
    plain = [c for c in cases if not has_diacritics(c[1])]
    grid = {
        "bm25_words": (0.0, 0.25, 0.5, 1.0),
        "bm25_syllables": (0.0, 0.25, 0.5, 1.0),
        "bm25_folded": (0.0, 0.5, 1.0),
        "dense": (0.0, 0.1, 0.2, 0.3, 0.5),
    }
    return "\n".join(
        [
            "# Fusion weights, chosen by measurement",
            "",
            "Convex fusion of max-scaled scores (`retriever/fuse.py`), "
            "commune named in the question",
            "applied as a filter, as in `Searcher.search`. "
            f"{len(written)} questions with diacritics;",
            f"{len(plain)} without (typed so, or the others with their diacritics stripped).",
            "Top 20 rows of each grid, best MRR@10 first.",
            "",
            "## Questions with diacritics",
            "",
            *table(written, views, grid),
            "",
            "## Questions without diacritics",
            "",
            *table(plain, ("bm25_folded", "dense"), grid),
            "",
        ]
    )


def main(engine, args) -> int:
    engine.load()
    gold = load_gold(Path(args.gold))
    report = Path(args.report)
    report.parent.mkdir(parents=True, exist_ok=True)
    if args.tune:
        text = tune(engine, gold)
        (report.parent / "fusion.md").write_text(text, encoding="utf-8")
        print(text)
        return 0
    text = render(evaluate(engine, gold), gold)
    report.write_text(text, encoding="utf-8")
    print(text)
    return 0
