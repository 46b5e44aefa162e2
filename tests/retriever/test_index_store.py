"""The index on disk: incremental updates, generations, checksums, crashes."""

import json
import shutil

import pytest

from retriever.build import update
from retriever.dense import DenseIndex
from retriever.search import Searcher
from retriever.segment import TokenViews
from retriever.store import FORMAT_VERSION, IndexMissing, Store, _sha256


def _ingest(folder, store, embedder):
    return update([folder], store, embedder)


def test_second_ingest_reprocesses_nothing(tiny_corpus, tmp_path, hash_embedder):
    store = Store(tmp_path / "data")
    first = _ingest(tiny_corpus, store, hash_embedder)
    assert sorted(first.added) == ["dan-hoa-2026.txt", "duc-an-2026.md"] and first.generation
    calls = hash_embedder.texts
    second = _ingest(tiny_corpus, store, hash_embedder)
    assert not second.changed and sorted(second.unchanged) == sorted(first.added)
    assert second.generation == first.generation  # no new generation written
    assert hash_embedder.texts == calls  # nothing embedded again


def test_editing_one_file_reprocesses_only_that_file(tiny_corpus, tmp_path, hash_embedder):
    store = Store(tmp_path / "data")
    first = _ingest(tiny_corpus, store, hash_embedder)
    before = store.load()
    duc_an_chunks = [c for c in before.chunks if c.doc_id == "duc-an-2026"]
    edited = tiny_corpus / "dan-hoa-2026.txt"
    edited.write_text(
        edited.read_text(encoding="utf-8")
        + "- Tổ chức đối thoại với người dân trong Quý III/2026.\n",
        encoding="utf-8",
    )
    texts_before = hash_embedder.texts
    report = _ingest(tiny_corpus, store, hash_embedder)
    assert report.updated == ["dan-hoa-2026.txt"] and report.unchanged == ["duc-an-2026.md"]
    after = store.load()
    assert after.name != first.generation
    new_dan_hoa = [c for c in after.chunks if c.doc_id == "dan-hoa-2026"]
    # only the edited file is read again, and of its chunks only the edited one is embedded
    # (the others are in the cache: tests/retriever/test_cache.py)
    new_texts = {c.dense_text() for c in new_dan_hoa} - {c.dense_text() for c in before.chunks}
    assert hash_embedder.texts - texts_before == len(new_texts) == 1
    assert [c.id for c in after.chunks if c.doc_id == "duc-an-2026"] == [
        c.id for c in duc_an_chunks
    ]
    hits = Searcher(after, hash_embedder).search("đối thoại với người dân Quý III/2026", k=1)
    assert "Quý III/2026" in hits[0].chunk.text


def test_removed_file_is_removed_and_other_roots_are_kept(tiny_corpus, tmp_path, hash_embedder):
    store = Store(tmp_path / "data")
    _ingest(tiny_corpus, store, hash_embedder)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "loc-binh.txt").write_text(
        "KẾ HOẠCH\nCải cách hành chính xã Lộc Bình giai đoạn 2026 - 2030\n- Phủ sóng 5G toàn xã.\n",
        encoding="utf-8",
    )
    added = update([extra], store, hash_embedder)
    assert added.added == ["loc-binh.txt"] and not added.removed
    assert {d.doc_id for d in store.load().documents} == {
        "dan-hoa-2026",
        "duc-an-2026",
        "loc-binh",
    }
    (tiny_corpus / "duc-an-2026.md").unlink()
    report = _ingest(tiny_corpus, store, hash_embedder)
    assert report.removed == ["duc-an-2026.md"]
    doc_ids = {d.doc_id for d in store.load().documents}
    assert doc_ids == {"dan-hoa-2026", "loc-binh"}


def test_corrupt_generation_falls_back_to_previous(tiny_corpus, tmp_path, hash_embedder):
    store = Store(tmp_path / "data")
    first = _ingest(tiny_corpus, store, hash_embedder).generation
    (tiny_corpus / "dan-hoa-2026.txt").write_text(
        "KẾ HOẠCH\nBản sửa đổi của xã Dân Hòa\n- Nội dung mới.\n", encoding="utf-8"
    )
    second = _ingest(tiny_corpus, store, hash_embedder).generation
    assert store.load().name == second
    chunks_file = store.generations / second / "chunks.jsonl"
    chunks_file.write_text(
        chunks_file.read_text(encoding="utf-8").replace("Nội dung mới", "Nội dung giả"),
        encoding="utf-8",
    )
    assert store.load().name == first  # checksum fails → previous generation serves
    shutil.rmtree(store.generations / first)
    with pytest.raises(IndexMissing, match="tthc ingest"):
        store.load()


def test_crash_while_writing_keeps_previous_index(
    tiny_corpus, tmp_path, hash_embedder, monkeypatch
):
    store = Store(tmp_path / "data")
    first = _ingest(tiny_corpus, store, hash_embedder).generation
    (tiny_corpus / "dan-hoa-2026.txt").write_text(
        "KẾ HOẠCH\nxã Dân Hòa\n- Nội dung khác.\n", encoding="utf-8"
    )

    def crash(self, path):
        path.write_bytes(b"half a faiss index")
        raise OSError("disk full")

    monkeypatch.setattr(DenseIndex, "save", crash)
    with pytest.raises(OSError):
        _ingest(tiny_corpus, store, hash_embedder)
    assert store.current_name() == first
    loaded = store.load()
    assert loaded.name == first and loaded.chunks
    visible = [p.name for p in store.generations.iterdir() if not p.name.startswith(".")]
    assert visible == [first]  # the half-written generation never became one


def test_manifest_records_model_segmenter_and_hashes(tiny_corpus, tmp_path, hash_embedder):
    store = Store(tmp_path / "data")
    _ingest(tiny_corpus, store, hash_embedder)
    folder = store.generations / store.current_name()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"] == hash_embedder.name and manifest["dim"] == hash_embedder.dim
    assert (
        manifest["segmenter"].startswith("underthesea")
        and manifest["format_version"] == FORMAT_VERSION
    )
    assert all(len(s["sha256"]) == 64 for s in manifest["sources"].values())
    checksums = json.loads((folder / "checksums.json").read_text())
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert set(checksums) == files - {"checksums.json"}  # every file of the generation
    core = {"manifest.json", "documents.jsonl", "chunks.jsonl", "dense.faiss"}
    assert core < set(checksums) and "bm25/all/bm25_folded/params.index.json" in checksums


def test_changed_model_reembeds_everything(tiny_corpus, tmp_path, hash_embedder):
    store = Store(tmp_path / "data")
    _ingest(tiny_corpus, store, hash_embedder)
    other = type(hash_embedder)()
    other.name = "test:other-model"
    report = _ingest(tiny_corpus, store, other)
    assert sorted(report.updated) == ["dan-hoa-2026.txt", "duc-an-2026.md"]
    assert store.load().manifest["model"] == "test:other-model"


def test_token_views_are_stored_apart_as_three_lists_and_read_back_unchanged(
    tiny_corpus, tmp_path, hash_embedder
):
    store = Store(tmp_path / "data")
    _ingest(tiny_corpus, store, hash_embedder)
    loaded = store.load()
    folder = store.generations / loaded.name
    chunk_rows = (folder / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    assert all(list(json.loads(row)) == ["chunk"] for row in chunk_rows)
    written = (folder / "tokens.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in written.splitlines()]
    tokens = loaded.read_tokens()
    for row, chunk, views in zip(rows, loaded.chunks, tokens, strict=True):
        assert list(row) == ["words", "syllables", "folded"]
        assert views == TokenViews.of(chunk.index_text())
        assert row == views.to_json() and views["folded"] == views.folded
    copy = Store(tmp_path / "copy")
    name = copy.write(loaded.manifest, loaded.documents, loaded.chunks, tokens, loaded.dense)
    assert (copy.generations / name / "tokens.jsonl").read_text(encoding="utf-8") == written


def test_a_server_reads_no_token_view(engine, monkeypatch):
    """Loading a generation, searching and answering never read the chunks' token views
    (the BM25 indexes and the answerer's word rarities come from the saved indexes)."""
    from service.engine import Engine

    def unread(*args):
        raise AssertionError("token views were read")

    monkeypatch.setattr(TokenViews, "from_json", unread)
    fresh = Engine(engine.settings, engine.embedder, engine.store)
    fresh.load()
    assert fresh.search("chuyển đổi số Dân Hòa")
    assert not fresh.ask("Xã Dân Hòa chuyển đổi số thế nào?").abstained


def _as_format_2(folder) -> None:
    """Rewrite a generation as format 2 wrote it: each chunk's token views in its line of
    chunks.jsonl, no tokens.jsonl."""
    chunks = (folder / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    tokens = (folder / "tokens.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [{**json.loads(c), "tokens": json.loads(t)} for c, t in zip(chunks, tokens)]
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    (folder / "chunks.jsonl").write_text(text, encoding="utf-8")
    (folder / "tokens.jsonl").unlink()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 2
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    checksums = json.loads((folder / "checksums.json").read_text(encoding="utf-8"))
    del checksums["tokens.jsonl"]
    checksums.update({f: _sha256(folder / f) for f in ("chunks.jsonl", "manifest.json")})
    (folder / "checksums.json").write_text(json.dumps(checksums), encoding="utf-8")


def test_a_format_2_generation_still_serves_and_is_built_upon(tiny_corpus, tmp_path, hash_embedder):
    store = Store(tmp_path / "data")
    first = _ingest(tiny_corpus, store, hash_embedder).generation
    tokens = store.load().read_tokens()
    _as_format_2(store.generations / first)
    old = store.load()
    assert old.name == first and old.manifest["format_version"] == 2
    assert old.read_tokens() == tokens
    assert Searcher(old, hash_embedder).search("chuyển đổi số Dân Hòa", k=1)
    (tiny_corpus / "dan-hoa-2026.txt").write_text("KẾ HOẠCH\nxã Dân Hòa\n- Khác.\n", "utf-8")
    report = _ingest(tiny_corpus, store, hash_embedder)  # Đức An's rows carried from format 2
    assert report.unchanged == ["duc-an-2026.md"]
    new = store.load()
    assert new.manifest["format_version"] == FORMAT_VERSION == 3
    carried = [t for c, t in zip(old.chunks, tokens) if c.doc_id == "duc-an-2026"]
    assert [t for c, t in zip(new.chunks, new.read_tokens()) if c.doc_id == "duc-an-2026"] == (
        carried
    )


def test_saved_bm25_is_memory_mapped_and_scores_as_one_built_anew(
    tiny_corpus, tmp_path, hash_embedder
):
    """The BM25 indexes a generation saved are served from memory maps, and score every
    chunk exactly as indexes built from its tokens (a generation from before they were
    saved) do, in every mode."""
    import dataclasses

    import numpy as np

    store = Store(tmp_path / "data")
    _ingest(tiny_corpus, store, hash_embedder)
    generation = store.load()
    saved = generation.lexical["all"]
    assert set(saved) == {"bm25_words", "bm25_syllables", "bm25_folded"}
    assert all(isinstance(a, np.memmap) for a in saved["bm25_folded"]._matrix)
    mapped = Searcher(generation, hash_embedder)
    anew = Searcher(dataclasses.replace(generation, lexical={}), hash_embedder)
    assert anew.lexical("bm25_folded") is not saved["bm25_folded"]
    for query in ("chuyển đổi số Dân Hòa", "ung dung AI tra cuu", "HĐND pháp chế"):
        for mode in ("bm25_words", "bm25_syllables", "bm25_folded"):
            assert np.array_equal(mapped.scores(query, mode), anew.scores(query, mode))
        ranked = [(h.chunk.id, h.score) for h in mapped.search(query)]
        assert ranked and ranked == [(h.chunk.id, h.score) for h in anew.search(query)]


def test_a_damaged_bm25_file_fails_the_checksum(tiny_corpus, tmp_path, hash_embedder):
    store = Store(tmp_path / "data")
    first = _ingest(tiny_corpus, store, hash_embedder).generation
    (tiny_corpus / "dan-hoa-2026.txt").write_text("KẾ HOẠCH\nxã Dân Hòa\n- Khác.\n", "utf-8")
    second = _ingest(tiny_corpus, store, hash_embedder).generation
    vocab = store.generations / second / "bm25" / "all" / "bm25_words" / "vocab.index.json"
    vocab.write_text("{}", encoding="utf-8")
    assert store.load().name == first


def test_an_ingest_that_changes_nothing_reads_no_passage(
    tiny_corpus, tmp_path, hash_embedder, monkeypatch
):
    """Only the manifest and documents are read when no file changed; the passages (chunks,
    token views, vectors) only when a new generation is written."""
    store = Store(tmp_path / "data")
    first = _ingest(tiny_corpus, store, hash_embedder)

    def unread(self, name):
        raise AssertionError("the passages were read")

    with monkeypatch.context() as patched:
        patched.setattr(Store, "passages", unread)
        again = _ingest(tiny_corpus, store, hash_embedder)
    assert not again.changed and again.generation == first.generation
    assert again.chunks == first.chunks and len(again.phases) == 4
    (tiny_corpus / "dan-hoa-2026.txt").write_text("KẾ HOẠCH\nxã Dân Hòa\n- Khác.\n", "utf-8")
    edited = _ingest(tiny_corpus, store, hash_embedder)  # the other file's rows carried over
    assert edited.updated == ["dan-hoa-2026.txt"] and edited.unchanged == ["duc-an-2026.md"]
    assert {c.doc_id for c in store.load().chunks} == {"dan-hoa-2026", "duc-an-2026"}
