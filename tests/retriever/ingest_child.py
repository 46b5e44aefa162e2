"""An ingest run in its own process, to be killed: `test_resume.py` starts it and sends it
SIGKILL once it has reached the point asked for.

    python ingest_child.py DATA CORPUS POINT MARK

POINT is `segment:N` or `embed:N` (stop in the middle of the N-th group of texts that phase
computes, N counted from 1: the groups before it are committed to the cache) or `write`
(stop in the middle of writing the new generation: its JSONL files are in the temporary
folder, its FAISS index not yet). At that point the process creates MARK and waits to be
killed. Groups are `GROUP` texts, so that a small corpus makes several of them.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # conftest's HashEmbedder

from conftest import HashEmbedder  # noqa: E402

from retriever import build, cache  # noqa: E402
from retriever.dense import DenseIndex  # noqa: E402
from retriever.segment import TokenViews  # noqa: E402
from retriever.store import Store  # noqa: E402

GROUP = 8


def _stop(mark: Path) -> None:
    mark.touch()
    while True:  # until SIGKILL
        time.sleep(1)


class _Embedder(HashEmbedder):
    def __init__(self, stop_at: int | None, mark: Path):
        super().__init__()
        self._stop_at, self._mark = stop_at, mark

    def embed(self, texts: list[str]):
        if self.calls + 1 == self._stop_at:
            _stop(self._mark)
        return super().embed(texts)


def main(data: str, corpus: str, point: str, mark: str) -> None:
    cache._GROUP = GROUP
    phase, _, number = point.partition(":")
    flag = Path(mark)
    if phase == "segment":
        stop_at = (int(number) - 1) * GROUP + GROUP // 2  # halfway through group N
        real, count = TokenViews.of, [0]

        def segmenting(text: str) -> TokenViews:
            count[0] += 1
            if count[0] > stop_at:
                _stop(flag)
            return real(text)

        TokenViews.of = segmenting  # type: ignore[method-assign]
    if phase == "write":
        DenseIndex.save = lambda self, path: _stop(flag)  # type: ignore[method-assign]
    embedder = _Embedder(int(number) if phase == "embed" else None, flag)
    build.update([Path(corpus)], Store(Path(data)), embedder)


if __name__ == "__main__":
    main(*sys.argv[1:5])
