"""Serving benchmark: how soon `tthc serve` is ready on a built index, what the first
questions cost, latency at one client, and the server's memory.

    python -m eval.bench_serve --data DIR [--report eval/reports/perf.md] [--label TEXT]
                               [--limit N]

Starts the real server (`python -m service.cli serve`) as a process on a free loopback port
over the index already built in DIR (it must hold one: the benchmark does not build), and
polls `/readyz` every 20 ms: ready is the first 200. Then one client asks, in turn, the first
search and the first ask (they pay for what the server loads on first use), and every plan
and procedure question of the gold sets through `POST /api/search` (k=10) and `POST
/api/ask`; p50 and p95 in milliseconds. The server's resident memory (from /proc: all, its
anonymous part, and the part mapped from files, which other workers would share) is read
when ready and after the questions. Prints figures and replaces the "Serve" section of the
report (other sections are kept); asserts nothing. Load averages are printed beside the
timings: on a shared machine they move with it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from eval.bench_ingest import write_section
from eval.retrieval import load_gold
from eval.server import ROOT, free_port

SECTION = "## Serve (eval/bench_serve.py)"
POLL_S = 0.02
START_TIMEOUT_S = 300.0


def _load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS, RssAnon and RssFile of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "RssAnon", "RssFile"):
            fields[name] = int(value.split()[0]) / 1024
    return fields


def start(data: Path, log: Path) -> tuple[subprocess.Popen, str, float]:
    """The server over `data`, and the seconds from its start until `/readyz` said 200."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TTHC_")}
    env.update(
        PYTHONUNBUFFERED="1",
        TTHC_DATA_DIR=str(data),
        TTHC_PORTAL_DIR="",  # never build: the index is there
        TTHC_RATE_LIMIT_PER_MINUTE="1000000",
        TTHC_RATE_LIMIT_BURST="1000000",
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "service.cli", "serve", "--port", str(port)]
    started = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    with httpx.Client(timeout=5) as client:
        while time.perf_counter() - started < START_TIMEOUT_S:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{log.read_text()[-3000:]}")
            try:
                if client.get(base + "/readyz").status_code == 200:
                    return process, base, time.perf_counter() - started
            except httpx.TransportError:
                pass
            time.sleep(POLL_S)
    process.kill()
    raise RuntimeError(f"not ready after {START_TIMEOUT_S:.0f} s:\n{log.read_text()[-3000:]}")


def _timed(client: httpx.Client, url: str, bodies: list[dict]) -> list[float]:
    times = []
    for body in bodies:
        started = time.perf_counter()
        response = client.post(url, json=body)
        times.append(1000 * (time.perf_counter() - started))
        response.raise_for_status()
    return sorted(times)


def _p(times: list[float], q: float) -> float:
    return times[min(len(times) - 1, int(q * len(times)))]


def measure(data: Path, questions: list[str]) -> dict:
    """Ready time, first-question costs, latencies and memory of one server over `data`."""
    load_before = _load()
    with tempfile.TemporaryDirectory() as tmp:
        process, base, ready = start(data, Path(tmp) / "server.log")
        try:
            at_ready = memory_mb(process.pid)
            with httpx.Client(base_url=base, timeout=60) as client:
                first = {}
                for url, body in (
                    ("/api/search", {"query": questions[0]}),
                    ("/api/ask", {"question": questions[1]}),
                ):
                    first[url] = _timed(client, url, [body])[0]
                search = _timed(client, "/api/search", [{"query": q, "k": 10} for q in questions])
                ask = _timed(client, "/api/ask", [{"question": q} for q in questions])
            after = memory_mb(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)
    return {
        "ready": ready,
        "first": first,
        "search": search,
        "ask": ask,
        "at_ready": at_ready,
        "after": after,
        "load": f"{load_before} → {_load()}",
    }


def lines(label: str, chunks: int, figures: dict) -> list[str]:
    search, ask = figures["search"], figures["ask"]
    at_ready, after = figures["at_ready"], figures["after"]
    return [
        f"| {label} | {chunks} | {figures['ready']:.2f} | "
        f"{figures['first']['/api/search']:.0f} / {figures['first']['/api/ask']:.0f} | "
        f"{statistics.median(search):.1f} / {_p(search, 0.95):.1f} | "
        f"{statistics.median(ask):.1f} / {_p(ask, 0.95):.1f} | "
        f"{at_ready['VmRSS']:.0f} | {after['VmRSS']:.0f} ({after['RssAnon']:.0f} + "
        f"{after['RssFile']:.0f}) | {figures['load']} |"
    ]


HEADER = [
    "| index | chunks | ready s | first search / ask ms | search p50 / p95 ms "
    "| ask p50 / p95 ms | RSS at ready MB | RSS after MB (anon + file) "
    "| load avg (1/5/15 min, before → after) |",
    "|---|---|---|---|---|---|---|---|---|",
]


def earlier_rows(report: Path, label: str) -> list[str]:
    """The rows this section of the report already holds, but the one labelled `label`: runs
    over other indexes (or with other code) stay beside the new one."""
    text = report.read_text(encoding="utf-8") if report.exists() else ""
    section = text.partition(SECTION)[2].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return [r for r in rows[1:] if not r.startswith(f"| {label} |")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="a data folder with an index")
    parser.add_argument("--report", type=Path, default=Path("eval/reports/perf.md"))
    parser.add_argument("--label", default="", help="what the index is (default: its folder)")
    parser.add_argument("--limit", type=int, default=0, help="ask only the first N questions")
    parser.add_argument("--note", default="", help="a line written under the table")
    args = parser.parse_args(argv)
    from retriever.store import Store

    store = Store(args.data)
    if not store.exists():
        print(f"Không có chỉ mục trong {args.data}: chạy `tthc ingest` trước", file=sys.stderr)
        return 2
    manifest = store.generations / str(store.current_name()) / "manifest.json"
    chunks = json.loads(manifest.read_text(encoding="utf-8"))["counts"]["chunks"]
    gold = load_gold(Path("eval/gold/plans.jsonl")) + load_gold(Path("eval/gold/procedures.jsonl"))
    questions = [g["question"] for g in gold][: args.limit or None]
    figures = measure(args.data, questions)
    label = args.label or args.data.name
    rows = [*earlier_rows(args.report, label), *lines(label, chunks, figures)]
    print("\n".join(HEADER + rows[-1:]))
    head = [
        f"Last run {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores (a row per "
        "index or code measured, each with its load average), one worker, "
        f"one client, {len(questions)} gold questions (plans, procedures) each through "
        "/api/search (k=10) and /api/ask, after the first of each. Ready: from starting "
        "`tthc serve` to the first 200 of /readyz.",
        "",
    ]
    notes = ["", args.note] if args.note else []
    write_section(args.report, [*head, *HEADER, *rows, *notes], SECTION)
    print(f"→ {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
