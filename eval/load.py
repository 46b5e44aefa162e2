"""Load benchmark: `POST /api/ask` under N concurrent clients over real HTTP for S seconds.

    python -m eval.load [--base URL | --start [--data DIR]] [--clients 50] [--seconds 60]
                        [--warmup 5] [--distinct-clients] [--questions FILE ...] [--prime] [--json]

Each client loops over the gold questions (`question` of each JSONL line; by default the
procedure and duty questions), each client starting at a different one, and waits what
`Retry-After` says after a 429, as the chat page does. With `--distinct-clients` every
client sends its own `X-Forwarded-For`, as behind the portal's reverse proxy (the server
must trust it: `TTHC_TRUST_PROXY=1`, which `--start` sets). Meanwhile `/healthz` is sampled
on its own connection: it shows whether the answering stalls the event loop.

With `--start` the script runs `tthc serve` itself on a free loopback port over the index
in `--data` (built from corpus/ first if there is none), passing on the caller's `TTHC_*`
environment, e.g. `TTHC_RATE_LIMIT_PER_MINUTE=1000000` to measure raw capacity. `--prime`
asks a few questions one at a time first, so loading the segmenter is not part of the
figures; without it, the clients' first questions are the server's first.

Prints total requests, sustained requests/s (200s completed per second of the measured
window, after the warm-up), p50/p95/p99 latency of the 200s, the count per status code and
the errors. Exits 1 when there was any error other than a deliberate 429: a connection error
or timeout, a 5xx, another 4xx, or a body that is not the contract's JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from eval.bench import _percentiles
from eval.retrieval import load_gold
from eval.server import serving

QUESTIONS = ["eval/gold/procedures.jsonl", "eval/gold/duty_questions.jsonl"]
ANSWER_FIELDS = {"answer", "citations", "abstained", "mode", "session_id"}
HEALTH_EVERY = 0.2  # seconds between /healthz samples
REQUEST_TIMEOUT = 60.0  # above the server's own 30 s limit, so a slow answer shows as its 503
PRIME = 3  # questions asked alone by --prime: enough to have loaded every model the answer uses


@dataclass
class Tally:
    """What the clients saw; only requests completed inside the measured window count."""

    started: float = 0.0  # when the window opens (after the warm-up)
    ended: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # ms, 200s only
    health: list[float] = field(default_factory=list)  # ms
    examples: dict[str, str] = field(default_factory=dict)  # one request per kind of error

    def counts(self, at: float) -> bool:
        return self.started <= at <= self.ended

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        self.examples.setdefault(kind, detail[:300])


def questions_of(paths: list[Path]) -> list[str]:
    questions = [item["question"] for path in paths for item in load_gold(path)]
    if not questions:
        raise SystemExit(f"no questions in {', '.join(map(str, paths))}")
    return questions


def _is_contract_json(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    if response.status_code == 200:
        return isinstance(body, dict) and ANSWER_FIELDS <= set(body)
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and {"code", "message"} <= set(error)


async def client_loop(
    http: httpx.AsyncClient,
    questions: list[str],
    first: int,
    tally: Tally,
    forwarded_for: str | None,
) -> None:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    i = first
    while (now := time.monotonic()) < tally.ended:
        question = questions[i % len(questions)]
        i += 1
        try:
            response = await http.post("/api/ask", json={"question": question}, headers=headers)
        except httpx.HTTPError as exc:
            tally.error("connection", f"{type(exc).__name__}: {exc} (question {question!r})")
            continue
        done = time.monotonic()
        status = response.status_code
        if tally.counts(done):
            tally.statuses[status] += 1
            if status == 200:
                tally.latencies.append(1000 * (done - now))
        if not _is_contract_json(response):
            tally.error(
                "not contract JSON", f"{status} {response.text[:200]!r} (question {question!r})"
            )
        elif status >= 500:
            tally.error("5xx", f"{status} {response.text[:200]} (question {question!r})")
        elif status == 429:
            wait = float(response.headers.get("retry-after", "1"))
            await asyncio.sleep(min(wait, max(0.0, tally.ended - time.monotonic())))
        elif status != 200:
            tally.error(f"unexpected {status}", f"{response.text[:200]} (question {question!r})")


async def health_loop(base: str, tally: Tally) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT) as http:
        while (now := time.monotonic()) < tally.ended:
            try:
                response = await http.get("/healthz")
                if response.status_code != 200:
                    tally.error("healthz", f"{response.status_code} {response.text[:200]}")
            except httpx.HTTPError as exc:
                tally.error("healthz", f"{type(exc).__name__}: {exc}")
            done = time.monotonic()
            if tally.counts(done):
                tally.health.append(1000 * (done - now))
            await asyncio.sleep(max(0.0, HEALTH_EVERY - (done - now)))


async def run(
    base: str, clients: int, seconds: float, warmup: float, questions: list[str], distinct: bool
) -> Tally:
    tally = Tally()
    tally.started = time.monotonic() + warmup
    tally.ended = tally.started + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT, limits=limits) as http:
        await asyncio.gather(
            health_loop(base, tally),
            *(
                client_loop(
                    http,
                    questions,
                    n * len(questions) // clients,
                    tally,
                    f"10.0.{n // 256}.{n % 256}" if distinct else None,
                )
                for n in range(clients)
            ),
        )
    return tally


@contextlib.contextmanager
def serve(data: Path, env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen]]:
    """`tthc serve` on a free loopback port over the index in `data` (the server builds it from
    corpus/ when there is none), with the caller's `TTHC_*` settings; yields its base URL and
    process once `/readyz` answers. Only a failed start keeps its log."""
    log = tempfile.NamedTemporaryFile(prefix="tthc-load-", suffix=".log", delete=False)  # noqa: SIM115
    try:
        with serving(
            {"TTHC_DATA_DIR": str(data), **env}, log, log, Path(log.name), inherit_settings=True
        ) as running:
            yield running
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from None
    finally:
        log.close()
    Path(log.name).unlink()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rank(times: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted times, as eval.bench reports them."""
    return times[min(len(times) - 1, int(q * len(times)))] if times else float("nan")


def summary(tally: Tally, seconds: float, load_average: float) -> dict:
    latencies, health = sorted(tally.latencies), sorted(tally.health)
    ok = tally.statuses.get(200, 0)
    return {
        "requests": sum(tally.statuses.values()),
        "ok_per_second": round(ok / seconds, 2),
        "latency_ms": {
            "p50": round(_rank(latencies, 0.5), 1),
            "p95": round(_rank(latencies, 0.95), 1),
            "p99": round(_rank(latencies, 0.99), 1),
        },
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "healthz_ms": {
            "samples": len(health),
            "p95": round(_rank(health, 0.95), 1),
            "max": round(health[-1], 1) if health else None,
        },
        "load_average": load_average,
        "errors": dict(tally.errors),
        "error_examples": tally.examples,
    }


def print_summary(
    figures: dict, tally: Tally, args: argparse.Namespace, cpu: dict[str, float]
) -> None:
    mode = "distinct clients (X-Forwarded-For)" if args.distinct_clients else "one client address"
    print(
        f"POST /api/ask  {args.clients} clients, {mode}, "
        f"{args.seconds:g} s after {args.warmup:g} s warm-up"
    )
    print(
        f"machine               {os.cpu_count()} cores, "
        f"load average {figures['load_average']} before the run"
    )
    print(f"requests              {figures['requests']}")
    print(f"sustained             {figures['ok_per_second']:.2f} answers/s (200s)")
    latencies = sorted(tally.latencies)
    if latencies:
        print(
            f"latency of 200s       {_percentiles(latencies)}, p99 {_rank(latencies, 0.99):.1f} ms"
        )
    print("statuses              " + ", ".join(f"{k}: {v}" for k, v in figures["statuses"].items()))
    health = figures["healthz_ms"]
    print(
        f"/healthz during load  p95 {health['p95']:.1f} ms, max {health['max']} ms "
        f"over {health['samples']} samples"
    )
    for who, share in cpu.items():
        print(f"CPU {who:<18}{share:6.0%} of one core")
    print(
        "errors                "
        + (", ".join(f"{k}: {v}" for k, v in figures["errors"].items()) or "none")
    )
    for kind, example in figures["error_examples"].items():
        print(f"  e.g. {kind}: {example}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--base", default="http://127.0.0.1:8000", help="a running server")
    where.add_argument("--start", action="store_true", help="start `tthc serve` on a free port")
    parser.add_argument("--data", type=Path, default=Path("data"), help="index folder for --start")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument(
        "--distinct-clients",
        action="store_true",
        help="each client its own X-Forwarded-For, as behind the portal's proxy",
    )
    parser.add_argument("--questions", type=Path, nargs="+", default=[Path(p) for p in QUESTIONS])
    parser.add_argument(
        "--prime",
        action="store_true",
        help="ask a few questions one at a time before the clients start",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    questions = questions_of(args.questions)
    load_average = round(os.getloadavg()[0], 2)  # other work on the machine skews the figures

    def measure(base: str, server: subprocess.Popen | None) -> tuple[Tally, dict[str, float]]:
        for question in questions[:PRIME] if args.prime else ():
            httpx.post(base + "/api/ask", json={"question": question}, timeout=REQUEST_TIMEOUT)
        wall, mine = time.monotonic(), resource.getrusage(resource.RUSAGE_SELF)
        theirs = _cpu_seconds(server.pid) if server else 0.0
        tally = asyncio.run(
            run(base, args.clients, args.seconds, args.warmup, questions, args.distinct_clients)
        )
        wall = time.monotonic() - wall
        now = resource.getrusage(resource.RUSAGE_SELF)
        cpu = {
            "load generator": (now.ru_utime + now.ru_stime - mine.ru_utime - mine.ru_stime) / wall
        }
        if server:
            cpu["server"] = (_cpu_seconds(server.pid) - theirs) / wall
        return tally, cpu

    if args.start:
        env = {"TTHC_TRUST_PROXY": "1"} if args.distinct_clients else {}
        with serve(args.data.resolve(), env) as (base, server):
            tally, cpu = measure(base, server)
    else:
        tally, cpu = measure(args.base.rstrip("/"), None)
    figures = summary(tally, args.seconds, load_average)
    if args.json:
        print(
            json.dumps(
                {**figures, "cpu_of_one_core": {k: round(v, 2) for k, v in cpu.items()}},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print_summary(figures, tally, args, cpu)
    return 1 if figures["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
