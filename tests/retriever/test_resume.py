"""An ingest killed with SIGKILL (segmenting, embedding, writing) resumes: the next run does
only the work the killed one had not committed, ends with exactly the index an uninterrupted
run builds, and the previous generation answers searches all along.

The killed ingest runs in its own process (`ingest_child.py`) with the hash embedder and
groups of 8 texts, over a corpus of about a hundred passages, and is killed at a point it
reaches deterministically (it says so by creating a file, then waits)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, TINY, HashEmbedder

from retriever import cache
from retriever.build import update
from retriever.search import Searcher
from retriever.store import Store

CHILD = Path(__file__).with_name("ingest_child.py")
GROUP = 8  # as in ingest_child.py


def _plan(n: int) -> str:
    """A small plan of its own: eight sections, two bullets each, every line distinct."""
    sections = "\n".join(
        f"{s}. Nhiệm vụ số {s} của xã Thử Nghiệm {n}\n"
        f"- Ủy ban nhân dân xã giao đơn vị {n}-{s} rà soát hồ sơ trong tháng {s}/2026.\n"
        f"- Trung tâm phục vụ hành chính công số hóa {n * 10 + s}% kết quả giải quyết."
        for s in range(1, 9)
    )
    return f"KẾ HOẠCH\nCải cách hành chính năm 2026 xã Thử Nghiệm {n}\n\nI. NHIỆM VỤ\n{sections}\n"


def _second_version(corpus: Path) -> None:
    """The corpus as the killed ingest finds it: one plan edited, twelve plans added."""
    plan = corpus / "dan-hoa-2026.txt"
    plan.write_text(plan.read_text("utf-8").replace("02/2026", "04/2026"), "utf-8")
    for n in range(12):
        (corpus / f"thu-nghiem-{n:02d}.txt").write_text(_plan(n), encoding="utf-8")


def _old_generation_serves(store: Store, name: str) -> None:
    """The data folder's current generation is `name`, and it answers a search."""
    generation = store.load()
    assert generation.name == name
    hits = Searcher(generation, HashEmbedder()).search("kế hoạch chuyển đổi số Dân Hòa", k=3)
    assert hits and "02/2026" in " ".join(h.chunk.text for h in hits)


def _kill_at(point: str, store: Store, corpus: Path, tmp: Path, old: str) -> None:
    """Start the child ingest, wait until it is at `point`, check the old generation still
    serves while it works there, then SIGKILL it."""
    mark = tmp / f"at-{point.replace(':', '-')}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, str(CHILD), str(store.root), str(corpus), point, str(mark)]
    child = subprocess.Popen(args, env=env, cwd=ROOT, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not mark.exists():
            assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
            assert time.monotonic() < deadline, f"the child never reached {point}"
            time.sleep(0.05)
        _old_generation_serves(store, old)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    _old_generation_serves(store, old)


def _rows(store: Store) -> tuple[list[dict], list[dict], np.ndarray]:
    generation = store.load()
    return (
        [c.to_json() for c in generation.chunks],
        [t.to_json() for t in generation.read_tokens()],
        generation.dense.vectors(),
    )


@pytest.fixture
def corpus(tiny_corpus: Path) -> Path:
    """The shared tiny corpus (conftest), under the name this module's helpers use."""
    return tiny_corpus


@pytest.fixture
def reference(corpus: Path, tmp_path: Path, monkeypatch) -> tuple[Store, dict]:
    """The uninterrupted run (first version, then the second) in a data folder of its own,
    and the work it did on the second version: texts segmented and embedded."""
    monkeypatch.setattr(cache, "_GROUP", GROUP)
    store = Store(tmp_path / "reference")
    update([corpus], store, HashEmbedder())
    _second_version(corpus)
    report = update([corpus], store, HashEmbedder())
    _first_version(corpus)
    return store, {p.name: p.computed for p in report.phases}


def _first_version(corpus: Path) -> None:
    for name, text in TINY.items():
        (corpus / name).write_text(text, encoding="utf-8")
    for extra in corpus.glob("thu-nghiem-*.txt"):
        extra.unlink()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("points", "segmented", "embedded"),
    [
        # killed halfway through the third group of texts segmented: two groups kept
        (["segment:3"], lambda total: total - 2 * GROUP, lambda total: total),
        # killed in the second group embedded: everything segmented, one group embedded
        (["embed:2"], lambda total: 0, lambda total: total - GROUP),
        # killed while writing the generation: nothing left to compute
        (["write"], lambda total: 0, lambda total: 0),
        # killed three times, each run further along
        (["segment:2", "embed:3", "write"], lambda total: 0, lambda total: 0),
    ],
    ids=["segment", "embed", "write", "three-kills"],
)
def test_a_killed_ingest_resumes_and_ends_with_the_uninterrupted_index(
    points, segmented, embedded, corpus, reference, tmp_path, monkeypatch
):
    reference_store, cold = reference
    assert cold["segment"] > 4 * GROUP and cold["embed"] > 4 * GROUP  # several groups each
    store = Store(tmp_path / "data")
    old = update([corpus], store, HashEmbedder()).generation
    assert old is not None
    _second_version(corpus)

    for point in points:
        _kill_at(point, store, corpus, tmp_path, old)
    visible = [p.name for p in store.generations.iterdir() if not p.name.startswith(".")]
    assert visible == [old]  # nothing half-written became a generation

    monkeypatch.setattr(cache, "_GROUP", GROUP)
    embedder = HashEmbedder()
    resumed = update([corpus], store, embedder)
    computed = {p.name: p.computed for p in resumed.phases}
    assert computed["segment"] == segmented(cold["segment"])
    assert computed["embed"] == embedded(cold["embed"]) == embedder.texts
    assert store.current_name() == resumed.generation != old
    done, expected = _rows(store), _rows(reference_store)
    assert done[0] == expected[0] and done[1] == expected[1]  # the same chunks and tokens
    assert np.array_equal(done[2], expected[2])
    assert not list(store.generations.glob(".tmp-*"))  # the killed write's folder is gone
