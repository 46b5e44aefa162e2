"""What an LLM endpoint that is down or slow costs `/api/ask`: latency p50/p95 in three modes.

    python -m eval.bench_llm --data /tmp/d1 [--repeat 2] [--llm-timeout 8]

Loads the index already built in `--data` (`TTHC_DATA_DIR=/tmp/d1 tthc ingest corpus`) and
the bundled embedding model, then posts every plan and procedure gold question to
`/api/ask` through the whole HTTP stack (in process), in three modes taken in turn for each
question (in rotating order), so that the machine's drift touches them alike:

    extractive   no LLM configured
    down         TTHC_LLM_BASE_URL points at a closed port (connection refused)
    slow         an OpenAI-compatible server on loopback that replies only after the timeout
    again        no LLM configured, measured again (the noise between two equal runs)

Prints p50/p95/max per mode, the answers' modes, the calls the slow server received, and
p95(down) / p95(extractive), whose target is ≤ 1.2, beside p95(again) / p95(extractive),
the noise of such a ratio on this machine. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from fastapi.testclient import TestClient

from eval.bench import _percentiles
from eval.retrieval import load_gold
from service.app import create_app
from service.engine import build_engine
from service.llm import build_generator
from service.settings import Settings

# `again` is extractive-only a second time: its ratio to `extractive` is the noise floor of
# the p95 ratios on this machine.
MODES = ("extractive", "down", "slow", "again")


class SlowServer:
    """Speaks just enough of the chat-completions protocol, after sleeping `delay` seconds."""

    def __init__(self, delay: float):
        self.hits = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                server.hits += 1
                self.rfile.read(int(self.headers.get("content-length", 0)))
                time.sleep(delay)
                body = json.dumps(
                    {
                        "id": "x",
                        "object": "chat.completion",
                        "created": 0,
                        "model": "slow",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": "Chậm."},
                                "finish_reason": "stop",
                            }
                        ],
                    }
                )
                try:
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.end_headers()
                    self.wfile.write(body.encode())
                except OSError:
                    pass  # the client stopped waiting long ago

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_port}/v1"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


class _Fallbacks(logging.Handler):
    """Counts the generator's log lines by reason instead of printing them: fallbacks by the
    mode of the question, the breaker's background trial calls (which end at any time) apart."""

    def __init__(self):
        super().__init__()
        self.mode = ""
        self.reasons: dict[str, Counter] = {mode: Counter() for mode in (*MODES, "trials")}

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        self.reasons["trials" if message.startswith("trial") else self.mode][
            message.rsplit(": ", 1)[-1]
        ] += 1


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


def _p95(times: list[float]) -> float:
    return sorted(times)[min(len(times) - 1, int(0.95 * len(times)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, required=True, help="folder with an index built by `tthc ingest`"
    )
    parser.add_argument(
        "--questions",
        type=Path,
        nargs="+",
        default=[Path("eval/gold/procedures.jsonl"), Path("eval/gold/plans.jsonl")],
    )
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--llm-timeout",
        type=float,
        default=Settings().llm_timeout_s,
        help="seconds (TTHC_LLM_TIMEOUT_S)",
    )
    args = parser.parse_args(argv)

    questions = [g["question"] for path in args.questions for g in load_gold(path)]
    engine = build_engine(Settings(data_dir=args.data))
    engine.load()
    slow = SlowServer(delay=args.llm_timeout + 2)
    llm = {"llm_model": "bench", "llm_timeout_s": args.llm_timeout}
    generators = {
        "extractive": None,
        "down": build_generator(Settings(llm_base_url=_closed_port_url(), **llm)),
        "slow": build_generator(Settings(llm_base_url=slow.url, **llm)),
        "again": None,
    }
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    answered: dict[str, Counter] = {mode: Counter() for mode in MODES}
    fallbacks, llm_log = _Fallbacks(), logging.getLogger("tthc.llm")
    llm_log.addHandler(fallbacks)
    llm_log.propagate = False
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        # The journal goes to a scratch folder; no client is rate-limited here.
        settings = Settings(data_dir=Path(tmp), rate_limit_per_minute=10**9, rate_limit_burst=10**9)
        with TestClient(create_app(settings, engine)) as client:
            client.post(
                "/api/ask", json={"question": "khởi động"}
            )  # first-call costs out of the figures
            for _ in range(args.repeat):
                for i, question in enumerate(questions):
                    for mode in (
                        MODES[i % len(MODES) :] + MODES[: i % len(MODES)]
                    ):  # each first as often
                        engine.generator, fallbacks.mode = generators[mode], mode
                        began = time.perf_counter()
                        response = client.post("/api/ask", json={"question": question})
                        times[mode].append(1000 * (time.perf_counter() - began))
                        body = response.json()
                        answered[mode][body.get("mode", f"http_{response.status_code}")] += 1
    engine.generator = None
    slow.close()

    print(
        f"{len(questions)} questions × {args.repeat} per mode, interleaved; "
        f"LLM timeout {args.llm_timeout:g} s, "
        f"{Settings().llm_retries} retry, "
        f"breaker opens after {Settings().llm_breaker_failures} failures "
        f"for {Settings().llm_breaker_reset_s:g} s; total {time.perf_counter() - started:.0f} s"
    )
    for mode in MODES:
        figures = sorted(times[mode])
        print(
            f"POST /api/ask {mode:<11} {_percentiles(figures)}, max {figures[-1]:.0f} ms  "
            f"answers: {dict(answered[mode])}  fallbacks: {dict(fallbacks.reasons[mode])}"
        )
    print(
        f"slow server received {slow.hits} calls for {len(times['slow'])} questions; "
        f"failed background trial calls (both modes): {dict(fallbacks.reasons['trials'])}"
    )
    base = _p95(times["extractive"])
    print(f"p95 ratio down/extractive  {_p95(times['down']) / base:.2f}  (target ≤ 1.2)")
    print(f"p95 ratio slow/extractive  {_p95(times['slow']) / base:.2f}")
    print(
        f"p95 ratio again/extractive {_p95(times['again']) / base:.2f}  "
        "(noise: both are extractive only)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
