"""Numeric code against oracles: FAISS vs brute force, the BM25 wrapper vs bm25s, fusion by hand."""

import bm25s
import numpy as np

from retriever.dense import DenseIndex
from retriever.fuse import fuse
from retriever.lexical import BM25


def test_faiss_matches_numpy_brute_force(tmp_path):
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((500, 48)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = DenseIndex(vectors)
    index.save(tmp_path / "dense.faiss")
    reloaded = DenseIndex.load(tmp_path / "dense.faiss")
    for _ in range(20):
        query = rng.standard_normal(48).astype(np.float32)
        query /= np.linalg.norm(query)
        expected = np.argsort(-(vectors @ query), kind="stable")[:10]
        for idx in (index, reloaded):
            ids, scores = idx.search(query, 10)
            assert ids.tolist() == expected.tolist()
            np.testing.assert_allclose(scores, (vectors @ query)[expected], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(reloaded.vectors(), vectors, atol=1e-7)


def _columns(vocab: dict, data, indices, indptr) -> dict[str, tuple[list, bytes]]:
    """Each token's column of a score matrix: its texts and the bits of their scores."""
    return {
        t: (indices[indptr[j] : indptr[j + 1]].tolist(), data[indptr[j] : indptr[j + 1]].tobytes())
        for t, j in vocab.items()
        if j + 1 < len(indptr)
    }


def test_bm25_wrapper_matches_bm25s_direct(tmp_path):
    """The wrapper's score matrix, computed with numpy, is bm25s's `index`'s to the bit; the
    files it saves load in bm25s; its scores, built or loaded (memory-mapped), are bm25s's
    `get_scores` to the bit, on the real segmenter's three views of the bundled plans and on
    a small hand-made corpus."""
    from conftest import CORPUS

    from retriever.segment import TokenViews

    plans = sorted((CORPUS / "plans").glob("*.txt"))
    lines = [line for p in plans for line in p.read_text(encoding="utf-8").splitlines()]
    views = [TokenViews.of(line) for line in lines[:400]]
    corpora = [
        [
            ["xã", "dân_hòa", "ban_hành", "kế_hoạch", "chuyển_đổi", "số"],
            ["trung_tâm", "phục_vụ", "hành_chính", "công", "tiếp_nhận", "hồ_sơ"],
            ["kế_hoạch", "cải_cách", "hành_chính", "năm", "2026"],
            ["hồ_sơ", "hồ_sơ", "số_hóa", "100%"],
            [],
        ],
        *([list(v[view]) for v in views] for view in ("words", "syllables", "folded")),
    ]
    for n, corpus in enumerate(corpora):
        direct = bm25s.BM25()
        direct.index(corpus, show_progress=False)
        wrapper = BM25(corpus)
        assert _columns(wrapper._vocab, *wrapper._matrix) == _columns(
            direct.vocab_dict, *(direct.scores[a] for a in ("data", "indices", "indptr"))
        )
        wrapper.save(tmp_path / str(n))
        loaded, in_bm25s = BM25.load(tmp_path / str(n)), bm25s.BM25.load(str(tmp_path / str(n)))
        queries = [corpus[i][:6] + ["không_có_từ_này"] for i in range(0, len(corpus), 7)]
        for query in queries + [["hồ_sơ", "hồ_sơ"], ["không_có_từ_này"]]:
            known = [t for t in query if t in direct.vocab_dict]
            expected = direct.get_scores(known) if known else np.zeros(len(corpus), np.float32)
            for index in (wrapper, loaded):
                assert index.scores(query).tobytes() == expected.astype(np.float32).tobytes()
            if known:
                assert in_bm25s.get_scores(known).tobytes() == expected.tobytes()
    assert BM25([]).scores(["x"]).size == 0


def test_fusion_matches_hand_computation():
    scores = {
        "lexical": np.array([4.0, 2.0, 0.0, 1.0]),
        "dense": np.array([0.1, 0.5, -0.3, 0.25]),
    }
    fused = fuse(scores, {"lexical": 1.0, "dense": 0.2})
    # lexical / 4, dense clipped at 0 then / 0.5
    expected = [1.0 + 0.2 * 0.2, 0.5 + 0.2 * 1.0, 0.0, 0.25 + 0.2 * 0.5]
    np.testing.assert_allclose(fused, expected)
    assert np.argsort(-fused).tolist() == [0, 1, 3, 2]
    # a retriever with weight 0 changes nothing; all-zero scores stay zero
    np.testing.assert_allclose(fuse(scores, {"lexical": 1.0, "dense": 0.0}), [1.0, 0.5, 0.0, 0.25])
    assert not fuse({"a": np.zeros(3)}, {"a": 1.0}).any()


def test_document_frequencies_and_rarities_match_counting_the_tokens(
    tiny_corpus, tmp_path, hash_embedder
):
    """Each scope's BM25 views, saved and memory-mapped, count every token's document
    frequency as counting the passages' token views does; the answerer's word rarities built
    on them are those counted from the tokens (as they were computed before), the public's
    over public passages only."""
    import math
    from collections import Counter

    from retriever.build import update
    from retriever.scope import Scope, documents_for
    from retriever.search import Searcher
    from retriever.store import Store
    from service.answer.compose import Rarity

    internal = tiny_corpus / "noi-bo"
    internal.mkdir()
    (internal / "kiem-tra.txt").write_text(
        "KẾ HOẠCH\nKiểm tra nội bộ năm 2026 xã Dân Hòa\n- Rà soát hồ sơ Quetzalbi Quý II/2026.\n",
        encoding="utf-8",
    )
    store = Store(tmp_path / "data")
    update([tiny_corpus], store, hash_embedder)
    generation = store.load()
    searcher = Searcher(generation, hash_embedder)
    tokens = generation.read_tokens()
    sizes = {}
    for scope in (Scope.PUBLIC, Scope.OFFICER):
        ids = frozenset(d.doc_id for d in documents_for(scope, generation.documents))
        rows = [t for c, t in zip(generation.chunks, tokens) if c.doc_id in ids]
        counted: Counter[str] = Counter()
        for view in ("words", "syllables", "folded"):
            df = Counter(t for row in rows for t in set(row[view]))
            index = searcher.lexical(f"bm25_{view}", scope)
            assert isinstance(index._matrix[2], np.memmap)
            assert {t: index.frequency(t) for t in index.vocabulary if t} == df
            assert index.frequency("") == index.frequency("không_có_từ_này") == 0
            counted += df if view != "words" else Counter()
        rarity = Rarity.of(searcher, ids)
        n = len(rows)
        for token, c in counted.items():
            assert rarity.weight(token) == math.log(1 + n / c)
        assert rarity.weight("quetzalbi") == (
            math.log(1 + n) if scope is Scope.PUBLIC else math.log(1 + n / 2)
        )
        assert rarity.weight("không_có_từ_này") == rarity.unknown == math.log(1 + n)
        sizes[scope] = n
    assert sizes[Scope.PUBLIC] < sizes[Scope.OFFICER]  # the public's counts are its own
