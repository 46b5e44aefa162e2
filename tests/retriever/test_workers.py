"""Segmenting in a pool of processes (`TTHC_INGEST_WORKERS`) gives the very tokens of
segmenting in the building process, so the index and its rankings do not depend on it."""

from __future__ import annotations

import pytest
from conftest import CORPUS, HashEmbedder

from retriever import workers
from retriever.build import update
from retriever.segment import TokenViews
from retriever.store import Store
from retriever.workers import Segmenter


def test_a_small_group_is_segmented_here_without_a_pool(monkeypatch):
    texts = ["Xã Dân Hòa ban hành kế hoạch CĐS.", "Lệ phí đăng ký khai sinh là bao nhiêu?"]
    with Segmenter(2) as segmenter:
        assert segmenter(texts) == [TokenViews.of(t) for t in texts]
        assert not segmenter._pool  # two texts do not pay for starting workers


@pytest.mark.slow
def test_the_pool_gives_the_tokens_of_one_process(tmp_path, monkeypatch):
    """The plans of the bundled corpus built with one process and with a pool of two (every
    group through the pool): the same chunks and token views, row for row."""
    monkeypatch.setattr(workers, "POOL_FROM", 1)
    built = {}
    for count in (1, 2):
        store = Store(tmp_path / f"data-{count}")
        report = update([CORPUS / "plans"], store, HashEmbedder(), workers=count)
        assert dict((p.name, p.computed) for p in report.phases)["segment"] > 100
        generation = store.load()
        built[count] = ([c.to_json() for c in generation.chunks], generation.read_tokens())
    assert built[1] == built[2]


def test_a_bad_worker_count_is_refused_in_vietnamese(monkeypatch, capsys):
    from service import cli
    from service.settings import get_settings

    get_settings.cache_clear()
    monkeypatch.setenv("TTHC_INGEST_WORKERS", "0")
    try:
        assert cli.main(["search", "lệ phí khai sinh"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "TTHC_INGEST_WORKERS=0" in err and "từ 1 trở lên" in err
