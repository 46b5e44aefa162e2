"""A real `tthc serve` process on a free loopback port: the one way the benchmarks
(`eval/load.py`) and the end-to-end, browser and fuzzing tests (`tests/live.py`) start it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 300.0  # building the index from corpus/ takes about a minute on 2 cores


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ready(base: str) -> bool:
    try:
        return httpx.get(base + "/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@contextlib.contextmanager
def serving(
    env: dict[str, str], stdout: IO, stderr: IO, log: Path, inherit_settings: bool = False
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start the server with the `TTHC_*` settings in `env` (and the caller's own too when
    `inherit_settings`), yield its base URL and process once `/readyz` answers 200, stop it
    afterwards. A server that exits or is not ready in time raises RuntimeError with the end
    of `log`. Without an index in its data folder the server first builds one from its corpus."""
    environment = {
        k: v for k, v in os.environ.items() if inherit_settings or not k.startswith("TTHC_")
    }
    environment.update(PYTHONUNBUFFERED="1", **env)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=environment,
        stdout=stdout,
        stderr=stderr,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not ready(base):
            if process.poll() is not None or time.monotonic() > deadline:
                state = (
                    f"exited with {process.returncode}"
                    if process.poll() is not None
                    else f"not ready after {START_TIMEOUT:.0f} s"
                )
                raise RuntimeError(
                    f"the server {state} (log: {log}):\n{log.read_text(errors='replace')[-5000:]}"
                )
            time.sleep(0.5)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
