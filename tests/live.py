"""A real `tthc serve` process on a free loopback port, for end-to-end, browser, fuzzing and
load tests. Not a fixture itself: each test module makes the fixture it needs with
`running_server(...)`, choosing the settings (admin key, CORS origins, limits) it tests."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from eval.server import ROOT, free_port, serving

CORPUS = ROOT / "corpus"
__all__ = ["CORPUS", "ROOT", "Server", "free_port", "running_server"]


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
def running_server(
    tmp: Path,
    env: dict[str, str] | None = None,
    data_dir: Path | None = None,
    corpus: Path = CORPUS,
) -> Iterator[Server]:
    """Start `python -m service.cli serve` with only the `TTHC_*` settings given (plus data and
    corpus folders), wait until `/readyz` answers 200, stop it afterwards. With no index in
    `data_dir` the server builds one from `corpus` first (real segmenter and model)."""
    data_dir = data_dir or tmp / "data"
    # No portal import unless a test asks for one: the checkout sits beside ../shared, and
    # the default build would import its 588 commune records (minutes) into every server.
    settings = {
        "TTHC_DATA_DIR": str(data_dir),
        "TTHC_CORPUS_DIR": str(corpus),
        "TTHC_PORTAL_DIR": "",
        **(env or {}),
    }
    out_path, err_path = tmp / "stdout.log", tmp / "stderr.log"
    with (
        out_path.open("wb") as out,
        err_path.open("wb") as err,
        serving(settings, out, err, err_path) as (base, process),
    ):
        yield Server(base, data_dir, process, out_path, err_path)
