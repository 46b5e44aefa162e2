"""Benchmark on this machine: ingest time, index size, search and ask latency p50/p95.

    python -m eval.bench [--corpus corpus/] [--crawl ../shared/data/dvcqg-procedures]
                         [--data DIR] [--repeat 3]

Builds a fresh index in a temporary folder (so the figures are a cold ingest) from the
corpus, plus the national portal's crawl with `--crawl`; or, with `--data`, loads an index
already built there. Then runs every plan, procedure and must-decline question through
hybrid search and through the answerer `--repeat` times, in-process and through the HTTP
stack. Prints figures, peak memory (RSS) included; asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from eval.retrieval import load_gold
from service.app import create_app
from service.engine import build_engine
from service.settings import Settings


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _timed(call, questions: list[str], repeat: int, forget=lambda: None) -> list[float]:
    """Milliseconds per call. `forget` runs before each pass: the searcher caches a question's
    vector, and a pass over questions already asked would not pay for embedding them."""
    times = []
    for _ in range(repeat):
        forget()
        for question in questions:
            started = time.perf_counter()
            call(question)
            times.append(1000 * (time.perf_counter() - started))
    return sorted(times)


def _percentiles(times: list[float]) -> str:
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    return f"p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", default="corpus")
    parser.add_argument("--gold", default="eval/gold/plans.jsonl")
    parser.add_argument("--decline", default="eval/gold/decline.jsonl")
    parser.add_argument("--procedures", default="eval/gold/procedures.jsonl")
    parser.add_argument(
        "--crawl", type=Path, help="also ingest the portal crawl (folder of JSON records)"
    )
    parser.add_argument("--data", type=Path, help="use the index already built in this folder")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        # One client sends every question: the per-client rate limit would answer most of
        # them with 429 in microseconds and the HTTP figure would measure the refusals.
        settings = Settings(
            data_dir=args.data or Path(tmp), rate_limit_per_minute=10**6, rate_limit_burst=10**6
        )
        engine = build_engine(settings)
        getattr(engine.embedder, "model", lambda: None)()  # loaded on first use otherwise
        model_load = time.perf_counter() - started
        sources = [Path(args.corpus)] + ([args.crawl] if args.crawl else [])
        if args.data:
            engine.load()
            report = again = None
            generation = engine.store.generations / engine.searcher.generation.name
        else:
            report = engine.ingest(sources)
            generation = engine.store.generations / report.generation
            again = engine.ingest(sources)
        gold = load_gold(Path(args.gold)) + load_gold(Path(args.procedures))
        questions = [g["question"] for g in gold + load_gold(Path(args.decline))]
        engine.ask("khởi động")  # first-call costs (segmenter load) out of the figures
        forget = engine.current().searcher.forget_queries
        search_ms = _timed(
            lambda q: engine.search(q, k=10), [g["question"] for g in gold], args.repeat, forget
        )
        ask_ms = _timed(engine.ask, questions, args.repeat, forget)
        with TestClient(create_app(settings, engine)) as client:  # the whole HTTP stack, in-process
            http_ms = _timed(
                lambda q: client.post("/api/ask", json={"question": q}),
                questions,
                args.repeat,
                forget,
            )
        print(f"model load            {model_load:8.2f} s")
        if report is not None and again is not None:
            print(
                f"ingest (cold)         {report.seconds:8.2f} s  "
                f"({len(report.added)} files, {report.chunks} chunks)"
            )
            print(f"ingest (unchanged)    {again.seconds:8.2f} s")
        print(
            f"index                 {len(engine.searcher.chunks)} chunks, "
            f"{len(engine.searcher.generation.documents)} documents"
        )
        print(f"index size on disk    {_size(generation) / 1024:8.1f} KiB  ({generation.name})")
        print(
            f"search latency        {_percentiles(search_ms)} over {len(search_ms)} queries "
            "(hybrid, k=10)"
        )
        print(
            f"ask latency           {_percentiles(ask_ms)} over {len(ask_ms)} questions "
            "(extractive)"
        )
        print(
            f"POST /api/ask         {_percentiles(http_ms)} over {len(http_ms)} requests "
            "(ASGI in-process)"
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        print(f"peak memory (RSS)     {peak:8.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
