"""Segmentation on several cores: `Segmenter(workers)` turns a group of texts into their
token views, in worker processes when the group is large enough to pay for them.

underthesea runs Python and a CRF per sentence and holds the interpreter's lock, so threads
would not help; processes do (`TTHC_INGEST_WORKERS`, default the cores). A worker is this
module run as `python -m retriever.workers`: it reads a JSON list of texts per line and
answers a JSON list of token views per line. Not `multiprocessing`: its `fork` would copy the
building process's torch threads (not safe), and its `spawn` imports the caller's main
script again in each worker (a script without a `__main__` guard would run its ingest there
and wait forever on the data folder's lock). Each worker loads underthesea once (about 3 s),
so a small group — an edited file, a test corpus — is segmented in the building process.
The token views are the same either way: the segmenter is a pure function of the text
(`tests/retriever/test_workers.py`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import IO

from retriever.segment import TokenViews

# Below this many texts a group is segmented in this process: the workers spend about 3 s
# each loading underthesea, the time of some 400 texts of the crawl on one core.
POOL_FROM = 400


class Segmenter:
    """`segmenter(texts)` → their token views, in order; a context manager that stops its
    workers (started on the first large group, and only when `workers` > 1)."""

    def __init__(self, workers: int = 1):
        self.workers = max(1, workers)
        self._pool: list[subprocess.Popen] = []

    def __call__(self, texts: list[str]) -> list[TokenViews]:
        if not self._pool and (self.workers == 1 or len(texts) < POOL_FROM):
            return [TokenViews.of(text) for text in texts]
        pool = self._pool or self._start()
        shares = [texts[i :: len(pool)] for i in range(len(pool))]  # alike in length
        for worker, share in zip(pool, shares):
            _send(worker.stdin, share)
        out: list[TokenViews] = [TokenViews((), (), ())] * len(texts)
        for i, worker in enumerate(pool):
            line = worker.stdout.readline() if worker.stdout else ""
            if not line:
                raise RuntimeError(f"tiến trình tách từ {worker.pid} đã dừng (mã {worker.poll()})")
            out[i :: len(pool)] = [TokenViews.from_json(v) for v in json.loads(line)]
        return out

    def _start(self) -> list[subprocess.Popen]:
        # The workers import this package from where this process did.
        root = str(Path(__file__).resolve().parent.parent)
        path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
        self._pool = [
            subprocess.Popen(
                [sys.executable, "-m", "retriever.workers"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env={**os.environ, "PYTHONPATH": path},
                text=True,
                encoding="utf-8",
            )
            for _ in range(self.workers)
        ]
        return self._pool

    def __enter__(self) -> Segmenter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for worker in self._pool:
            if worker.stdin:
                worker.stdin.close()  # end of input: the worker exits
        for worker in self._pool:
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        self._pool = []


def _send(stream: IO[str] | None, texts: list[str]) -> None:
    assert stream is not None
    stream.write(json.dumps(texts, ensure_ascii=False) + "\n")
    stream.flush()


def serve(lines: IO[str], out: IO[str]) -> None:
    """A worker: for each line (a JSON list of texts), one line of their token views."""
    for line in lines:
        views = [TokenViews.of(text).to_json() for text in json.loads(line)]
        out.write(json.dumps(views, ensure_ascii=False) + "\n")
        out.flush()


if __name__ == "__main__":
    sys.stdin.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    serve(sys.stdin, sys.stdout)
