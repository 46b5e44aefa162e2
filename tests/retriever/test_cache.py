"""The content-hash cache of token views and vectors: what was computed once is not computed
again, and what it gives back is what was computed."""

import shutil
import sqlite3

import numpy as np
import pytest
from conftest import HashEmbedder

from retriever import build, cache
from retriever.build import update
from retriever.segment import TokenViews
from retriever.store import Store


@pytest.fixture
def segmented(monkeypatch) -> list[str]:
    """The texts the build hands to the segmenter, in order."""
    texts: list[str] = []
    real = TokenViews.of

    def counting(text: str) -> TokenViews:
        texts.append(text)
        return real(text)

    monkeypatch.setattr(TokenViews, "of", counting)
    return texts


def _phases(report) -> dict:
    return {p.name: (p.total, p.computed) for p in report.phases}


def _rows(store: Store):
    generation = store.load()
    return generation.chunks, generation.read_tokens(), generation.dense.vectors()


def test_a_lost_index_is_rebuilt_from_the_cache_without_segmenting_or_embedding(
    tiny_corpus, tmp_path, hash_embedder, segmented
):
    store = Store(tmp_path / "data")
    first = update([tiny_corpus], store, hash_embedder)
    chunks, tokens, vectors = _rows(store)
    assert len(segmented) == len(chunks) and hash_embedder.texts > 0
    shutil.rmtree(store.generations)
    store.pointer.unlink()
    embedded, segmented[:] = hash_embedder.texts, []

    again = update([tiny_corpus], store, hash_embedder)
    assert sorted(again.added) == sorted(first.added)
    assert hash_embedder.texts == embedded and segmented == []
    assert _phases(again)["segment"] == (len(chunks), 0)
    rebuilt = _rows(store)
    assert rebuilt[0] == chunks and rebuilt[1] == tokens
    assert np.array_equal(rebuilt[2], vectors)  # the very bits computed the first time


def test_editing_one_line_segments_and_embeds_only_its_chunk(
    tiny_corpus, tmp_path, hash_embedder, segmented
):
    store = Store(tmp_path / "data")
    update([tiny_corpus], store, hash_embedder)
    before = {c.index_text() for c in store.load().chunks}
    edited = tiny_corpus / "dan-hoa-2026.txt"
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace("trong tháng 02/2026", "trong tháng 03/2026"), "utf-8")
    embedded, segmented[:] = hash_embedder.texts, []

    report = update([tiny_corpus], store, hash_embedder)
    assert report.updated == ["dan-hoa-2026.txt"]
    changed = [c.index_text() for c in store.load().chunks if c.index_text() not in before]
    assert len(changed) == 1 and "03/2026" in changed[0]
    assert segmented == changed
    assert hash_embedder.texts - embedded == 1
    dan_hoa = sum(1 for c in store.load().chunks if c.doc_id == "dan-hoa-2026")
    assert _phases(report)["segment"] == (dan_hoa, 1)


def test_a_renamed_file_is_read_again_but_not_segmented_or_embedded(
    tiny_corpus, tmp_path, hash_embedder, segmented
):
    store = Store(tmp_path / "data")
    update([tiny_corpus], store, hash_embedder)
    (tiny_corpus / "duc-an-2026.md").rename(tiny_corpus / "duc-an-2026-ban-moi.md")
    embedded, segmented[:] = hash_embedder.texts, []
    report = update([tiny_corpus], store, hash_embedder)
    assert report.added == ["duc-an-2026-ban-moi.md"] and report.removed == ["duc-an-2026.md"]
    assert hash_embedder.texts == embedded and segmented == []


def test_another_model_embeds_everything_again(tiny_corpus, tmp_path, hash_embedder):
    store = Store(tmp_path / "data")
    update([tiny_corpus], store, hash_embedder)
    shutil.rmtree(store.generations)
    store.pointer.unlink()
    hash_embedder.name = "test:another-model"
    embedded = hash_embedder.texts
    update([tiny_corpus], store, hash_embedder)
    assert hash_embedder.texts - embedded == len({c.dense_text() for c in store.load().chunks})


def test_the_cache_holds_the_current_generation_only(tiny_corpus, tmp_path, hash_embedder):
    store = Store(tmp_path / "data")
    update([tiny_corpus], store, hash_embedder)
    (tiny_corpus / "duc-an-2026.md").unlink()
    update([tiny_corpus], store, hash_embedder)
    chunks = store.load().chunks
    with sqlite3.connect(store.root / "cache" / "ingest.sqlite3") as db:
        tokens = db.execute("SELECT count(*) FROM tokens").fetchone()[0]
        vectors = db.execute("SELECT count(*) FROM vectors").fetchone()[0]
    assert tokens == len({c.index_text() for c in chunks})
    assert vectors == len({c.dense_text() for c in chunks})


def test_a_damaged_cache_is_started_again(tiny_corpus, tmp_path, hash_embedder):
    store = Store(tmp_path / "data")
    (store.root / "cache").mkdir(parents=True)
    (store.root / "cache" / "ingest.sqlite3").write_bytes(b"not a database" * 100)
    report = update([tiny_corpus], store, hash_embedder)
    assert sorted(report.added) == ["dan-hoa-2026.txt", "duc-an-2026.md"] and not report.failed


def test_an_index_from_before_the_cache_gives_its_vectors_to_it(
    tiny_corpus, tmp_path, hash_embedder, monkeypatch
):
    """Rows carried over from an index built without the cache are added to it at the next
    build, so editing one of their files later embeds only what changed."""
    store = Store(tmp_path / "data")
    update([tiny_corpus], store, hash_embedder)
    shutil.rmtree(store.root / "cache")
    (tiny_corpus / "extra.txt").write_text("KẾ HOẠCH\nXã Tân Phú\n\nI. MỤC TIÊU\n- Một việc.\n")
    update([tiny_corpus], store, hash_embedder)  # duc-an and dan-hoa carried over
    edited = tiny_corpus / "duc-an-2026.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n- Một việc mới.\n", "utf-8")
    embedded = hash_embedder.texts
    report = update([tiny_corpus], store, hash_embedder)
    assert report.updated == ["duc-an-2026.md"]
    assert hash_embedder.texts - embedded == 1


def test_each_phase_is_one_short_line(tiny_corpus, tmp_path, hash_embedder, caplog):
    store = Store(tmp_path / "data")
    with caplog.at_level("INFO", logger=build.log.name):
        report = update([tiny_corpus], store, hash_embedder)
    lines = [r.getMessage() for r in caplog.records if r.name == build.log.name]
    assert [p.name for p in report.phases] == ["read", "segment", "embed", "write"]
    assert [line.split(":")[0] for line in lines] == ["read", "segment", "embed", "write"]
    assert all(len(line) < 120 and " s" in line for line in lines)
    assert report.to_json()["phases"][1]["total"] == report.chunks


def test_a_build_that_fails_midway_keeps_what_it_embedded(
    tiny_corpus, tmp_path, hash_embedder, monkeypatch
):
    """The model failing (or the build killed) after some groups: the next build embeds the
    rest only, and the index is the one an uninterrupted build writes."""
    monkeypatch.setattr(cache, "_GROUP", 2)
    store = Store(tmp_path / "data")
    real_embed = hash_embedder.embed

    def failing(texts):
        if hash_embedder.calls == 2:
            raise RuntimeError("killed")
        return real_embed(texts)

    monkeypatch.setattr(hash_embedder, "embed", failing)
    with pytest.raises(RuntimeError):
        update([tiny_corpus], store, hash_embedder)
    assert not store.exists() and hash_embedder.texts == 4  # two groups kept

    monkeypatch.setattr(hash_embedder, "embed", real_embed)
    update([tiny_corpus], store, hash_embedder)
    distinct = len({c.dense_text() for c in store.load().chunks})
    assert hash_embedder.texts == distinct
    fresh = HashEmbedder()
    update([tiny_corpus], Store(tmp_path / "other"), fresh)
    assert _rows(store)[1] == _rows(Store(tmp_path / "other"))[1]
    assert np.array_equal(_rows(store)[2], _rows(Store(tmp_path / "other"))[2])


def test_progress_counts_each_phase_to_its_end(tiny_corpus, tmp_path, hash_embedder, monkeypatch):
    monkeypatch.setattr(cache, "_GROUP", 2)
    steps = []
    update([tiny_corpus], Store(tmp_path / "data"), hash_embedder, progress=steps.append)
    phases = [s.phase for s in steps]
    assert phases == sorted(phases, key=["read", "segment", "embed"].index)
    for phase in ("read", "segment", "embed"):
        mine = [(s.done, s.total) for s in steps if s.phase == phase]
        assert mine[-1][0] == mine[-1][1] and [d for d, _ in mine] == sorted(d for d, _ in mine)
    assert str(steps[0]) == "[1/2] đang xử lý dan-hoa-2026.txt"
