"""Ingest benchmark: seconds per phase, chunks per second and peak memory, cold and warm.

    python -m eval.bench_ingest [--corpus corpus] [--portal ../shared/data/dvcqg-procedures]
                                [--only bundled|default] [--report eval/reports/perf.md]
                                [--keep DIR] [--no-bare] [--seed-cache DATA_DIR]

Two builds: the bundled corpus, and the default build (`tthc ingest` with no paths: the
corpus and the portal's commune-level records, when the crawl is there), both from a copy of
the corpus. Each is ingested cold (a fresh data folder, so an empty cache), warm (the same
folder again, nothing changed) and after one line of one plan is edited in the copy, each
run in its own process so that its peak RSS is its own; then the model alone
embeds the same distinct texts the build embedded, so the ingest's overhead is visible
beside the model's bare throughput. Prints figures and replaces the "Ingest" section of the
report (other sections are kept); asserts nothing. The machine's load average is printed
beside the timings: on a shared machine they move with it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SECTION = "## Ingest (eval/bench_ingest.py)"
PHASES = ("read", "segment", "embed", "write")


def _load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def _settings(data: Path, corpus: Path, portal: Path | None):
    from service.settings import Settings

    return Settings(data_dir=data, corpus_dir=corpus, portal_dir=portal)


def edit_one_plan(corpus: Path) -> None:
    """Add a bullet after the first bullet of the first plan: one section's chunk changes."""
    plan = sorted((corpus / "plans").glob("*.txt"))[0]
    lines = plan.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("- "))
    lines.insert(at + 1, "- Rà soát kết quả thực hiện kế hoạch hằng quý.")
    plan.write_text("\n".join(lines), encoding="utf-8")


def run_ingest(build: str, data: Path, corpus: Path, portal: Path | None) -> dict:
    """One ingest in this process: the model loaded, then `retriever.build.update`."""
    from retriever.build import update
    from retriever.dense import SentenceEmbedder
    from retriever.store import Store
    from service.sources import Sources

    load_before = _load()
    started = time.perf_counter()
    embedder = SentenceEmbedder()
    model_load = time.perf_counter() - started
    settings = _settings(data, corpus, portal if build == "default" else None)
    sources = Sources.default(settings)
    report = update(
        sources.paths, Store(data), embedder, select=sources.select, workers=settings.ingest_workers
    )
    return {
        "chunks": report.chunks,
        "files": len(report.added) + len(report.updated) + len(report.unchanged),
        "seconds": report.seconds,
        "model_load": model_load,
        "phases": {p.name: p.to_json() for p in report.phases},
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load": f"{load_before} → {_load()}",
    }


def run_bare(data: Path) -> dict:
    """The model alone on the distinct dense texts of the built index, in one call."""
    from retriever.dense import SentenceEmbedder
    from retriever.store import Store

    texts = list(dict.fromkeys(c.dense_text() for c in Store(data).load().chunks))
    embedder = SentenceEmbedder()
    load_before = _load()
    started = time.perf_counter()
    embedder.embed(texts)
    seconds = time.perf_counter() - started
    return {"texts": len(texts), "seconds": seconds, "load": f"{load_before} → {_load()}"}


def _child(*args: str) -> dict:
    """Run this module with `args` in a fresh process; its last stdout line is JSON."""
    done = subprocess.run(
        [sys.executable, "-m", "eval.bench_ingest", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _row(build: str, run: str, figures: dict) -> str:
    phases = figures["phases"]
    seconds = [f"{phases[p]['seconds']:.2f}" for p in PHASES]
    rate = figures["chunks"] / figures["seconds"] if figures["seconds"] else 0
    computed = f"{phases['segment']['computed']} / {phases['embed']['computed']}"
    return (
        f"| {build} | {run} | {figures['files']} | {figures['chunks']} | {computed} | "
        + " | ".join(seconds)
        + f" | {figures['seconds']:.2f} | {rate:.0f} | {figures['model_load']:.1f} | "
        f"{figures['rss_mb']:.0f} | {figures['load']} |"
    )


def measure(
    builds: list[str],
    corpus: Path,
    portal: Path | None,
    keep: Path | None,
    bare: bool = True,
    seed: Path | None = None,
) -> list[str]:
    """The section's lines: a table of the runs, then the model's bare throughput (unless not
    `bare`). With `keep`, each build's data folder is kept there (to compare indexes, or
    reuse one). With `seed`, the first run starts from that data folder's cache (`cold
    (cache)`: an index lost, its cache kept), so that the warm and edit runs are measured
    without segmenting and embedding everything first."""
    lines = [
        "| build | run | files | chunks | segmented / embedded | read s | segment s | embed s "
        "| write s | total s | chunks/s | model load s | peak RSS MB "
        "| load avg (1/5/15 min, before → after) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    bare_lines = []
    for build in builds:
        with tempfile.TemporaryDirectory() as scratch:
            tmp = str(keep / build) if keep else str(Path(scratch) / "data")
            copy = Path(scratch) / "corpus"
            shutil.copytree(corpus, copy)
            common = ["--build", build, "--data", tmp, "--corpus", str(copy)]
            common += ["--portal", str(portal)] if portal else []
            if seed:
                shutil.copytree(seed / "cache", Path(tmp) / "cache")
            for run in ("cold", "warm", "edit"):
                if run == "edit":
                    edit_one_plan(copy)
                figures = _child("--run-ingest", *common)
                label = "cold (cache)" if seed and run == "cold" else run
                lines.append(_row(_label(build), label, figures))
                print(lines[-1], flush=True)
                if run == "cold":
                    embed = figures["phases"]["embed"]
            if not bare:
                continue
            alone = _child("--run-bare", "--data", tmp)
        ingest_rate = embed["computed"] / embed["seconds"] if embed["seconds"] else 0
        bare_lines.append(
            f"- {_label(build)}: the model alone embeds the build's {alone['texts']} distinct "
            f"texts in {alone['seconds']:.1f} s ({alone['texts'] / alone['seconds']:.1f} texts/s;"
            f" load {alone['load']}); the cold ingest's embed phase: {embed['computed']} texts in "
            f"{embed['seconds']:.1f} s ({ingest_rate:.1f} texts/s)."
        )
        print(bare_lines[-1], flush=True)
    return lines + [""] + bare_lines


def _label(build: str) -> str:
    """`default`, or what the default build takes when `TTHC_PORTAL_LEVEL` is set otherwise."""
    from service.settings import Settings

    level = Settings().portal_level
    if build != "default" or level == "Cấp xã":
        return build
    return f"default, TTHC_PORTAL_LEVEL={level!r}" + (" (every record)" if not level else "")


def write_section(report: Path, body: list[str], heading: str = SECTION) -> None:
    """Replace one benchmark's section of the report (or add it), keeping the others."""
    text = report.read_text(encoding="utf-8") if report.exists() else "# Performance\n"
    section = "\n".join([heading, "", *body, ""])
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    report.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--portal", type=Path, default=Path("../shared/data/dvcqg-procedures"))
    parser.add_argument("--only", choices=["bundled", "default"])
    parser.add_argument("--report", type=Path, default=Path("eval/reports/perf.md"))
    parser.add_argument("--keep", type=Path, help="keep each build's data folder under this one")
    parser.add_argument(
        "--no-bare",
        action="store_true",
        help="skip the model's bare throughput (a second embedding)",
    )
    parser.add_argument(
        "--seed-cache",
        type=Path,
        help="start the first run from this data folder's cache (no embedding)",
    )
    parser.add_argument("--run-ingest", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--run-bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--build", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    portal = args.portal if args.portal and args.portal.is_dir() else None
    if args.run_ingest:
        print(json.dumps(run_ingest(args.build, args.data, args.corpus, portal)))
        return 0
    if args.run_bare:
        print(json.dumps(run_bare(args.data)))
        return 0
    builds = [args.only] if args.only else ["bundled"] + (["default"] if portal else [])
    started = time.strftime("%Y-%m-%d %H:%M")
    header = [
        f"Measured {started} on {os.cpu_count()} cores; load average before: {_load()}. "
        "Cold: a fresh data folder (empty cache); warm: the same folder, nothing changed; "
        "edit: then one line of one plan edited. "
        "Seconds per phase from the build's own phase lines; total includes finding and "
        "hashing the files and loading the previous generation; the model's load is apart.",
        "",
    ]
    body = header + measure(
        builds, args.corpus, portal, args.keep, not args.no_bare, args.seed_cache
    )
    write_section(args.report, body)
    print(f"→ {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
