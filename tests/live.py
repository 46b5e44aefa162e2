"""A real `tthc serve` process on a free loopback port, for end-to-end, browser, fuzzing and
load tests. Not a fixture itself: each test module makes the fixture it needs with
`running_server(...)`, choosing the settings (admin key, CORS origins, limits) it tests."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
START_TIMEOUT = 240.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    base: str
    data_dir: Path
    process: subprocess.Popen
    stdout: Path
    stderr: Path

    def post(self, path: str, **kwargs) -> httpx.Response:
        return httpx.post(self.base + path, timeout=60, **kwargs)

    def get(self, path: str, **kwargs) -> httpx.Response:
        return httpx.get(self.base + path, timeout=60, **kwargs)

    def logs(self) -> str:
        """Everything the server wrote so far (its log lines go to stderr)."""
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")


@contextlib.contextmanager
def running_server(tmp: Path, env: dict[str, str] | None = None, data_dir: Path | None = None,
                   corpus: Path = CORPUS) -> Iterator[Server]:
    """Start `python -m service.cli serve` with only the `TTHC_*` settings given (plus data and
    corpus folders), wait until `/readyz` answers 200, stop it afterwards. With no index in
    `data_dir` the server builds one from `corpus` first (real segmenter and model)."""
    data_dir = data_dir or tmp / "data"
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TTHC_")}
    environment.update(TTHC_DATA_DIR=str(data_dir), TTHC_CORPUS_DIR=str(corpus), PYTHONUNBUFFERED="1")
    environment.update(env or {})
    out_path, err_path = tmp / "stdout.log", tmp / "stderr.log"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=environment, stdout=out, stderr=err,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode} before it was ready:\n"
                                   f"{err_path.read_text(errors='replace')[-5000:]}")
            try:
                if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready after {START_TIMEOUT:.0f} s:\n"
                                   f"{err_path.read_text(errors='replace')[-5000:]}")
            time.sleep(0.5)
        yield Server(base, data_dir, process, out_path, err_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
