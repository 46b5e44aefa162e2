"""BM25 over pre-tokenised texts, in bm25s's format; saved with a generation and served from
memory maps.

The index is bm25s's (its defaults: Lucene's BM25, k1 1.5, b 0.75): the score of each
(text, token) pair as a sparse column matrix, and the vocabulary. `BM25(texts)` computes it
with numpy (`_score_matrix`) instead of bm25s's `index`, whose loops over every token took
4.0 s of each build of the default build's three views (8,301 chunks, load 4.2; 2.6 s here).
`BM25.save(folder)` writes it with bm25s's own `save` (three `.npy` arrays without pickle,
the vocabulary and parameters as JSON). `BM25.load(folder)` maps the arrays instead of reading
them and `scores` adds a query's columns as bm25s's `get_scores` does, so a server neither
imports bm25s (0.13 s and 26 MB of its start) nor indexes again, and the pages are the
operating system's to share between workers and to drop. Oracle tests hold the matrix, the
saved files and the scores to bm25s's own, to the bit (tests/retriever/test_oracles.py).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import orjson

_ARRAYS = ("data", "indices", "indptr")  # bm25s's `<name>.csc.index.npy`
Matrix = tuple[np.ndarray, np.ndarray, np.ndarray]  # data, indices (texts), indptr (columns)


class BM25:
    """A BM25 index over token lists; `scores` gives one score per text.

    >>> BM25([["xã", "dân_hòa"], ["xã", "đức_an"]]).scores(["dân_hòa"]).argmax()
    0
    """

    def __init__(self, corpus_tokens: Sequence[Sequence[str]]):
        self.size = len(corpus_tokens)
        self._vocab: dict[str, int] = {}
        self._matrix: Matrix | None = None
        if corpus_tokens:
            self._matrix, vocab = _score_matrix(corpus_tokens)
            # bm25s's index adds an empty token without a column (a query with no known token)
            self._vocab = {**vocab, "": len(vocab)}

    @property
    def vocabulary(self) -> set[str]:
        return set(self._vocab)

    def _column(self, token: str) -> slice | None:
        """Where `token`'s column lies in the matrix's data and indices (None: no column)."""
        column = self._vocab.get(token)
        if column is None or self._matrix is None or column + 1 >= len(self._matrix[2]):
            return None
        indptr = self._matrix[2]
        return slice(int(indptr[column]), int(indptr[column + 1]))

    def frequency(self, token: str) -> int:
        """In how many of the indexed texts `token` occurs: the length of its column, which
        holds one entry per text that has it (so a server counts document frequencies
        without the texts' tokens).

        >>> BM25([["xã", "xã"], ["xã", "đức_an"], ["đức_an"]]).frequency("xã")
        2
        """
        column = self._column(token)
        return 0 if column is None else column.stop - column.start

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """The sum of the query tokens' columns, one token at a time in the query's order (a
        token the query repeats, as often), in float32: bm25s's `get_scores`."""
        out = np.zeros(self.size, dtype=np.float32)
        if self._matrix is None:
            return out
        data, indices, _ = self._matrix
        for token in query_tokens:
            column = self._column(token)
            if column is not None:
                np.add.at(out, indices[column], data[column])
        return out

    def save(self, folder: Path) -> list[Path]:
        """Write the index into `folder` (an empty index writes only its size); returns the
        files written."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "size.txt").write_text(f"{self.size}\n", encoding="utf-8")
        if self._matrix is not None:
            import bm25s

            index = bm25s.BM25()  # the parameters `_score_matrix` computed with
            index.scores = {**dict(zip(_ARRAYS, self._matrix)), "num_docs": self.size}
            index.vocab_dict = self._vocab
            index.nonoccurrence_array = None  # as its `index` sets it for Lucene's variant
            index.save(str(folder), show_progress=False)
        return sorted(p for p in folder.iterdir() if p.is_file())

    @classmethod
    def load(cls, folder: Path) -> BM25:
        """The index `save` wrote, its arrays memory-mapped (read-only)."""
        self = cls.__new__(cls)
        self.size = int((folder / "size.txt").read_text(encoding="utf-8"))
        self._vocab, self._matrix = {}, None
        if (folder / "params.index.json").exists():
            params = orjson.loads((folder / "params.index.json").read_bytes())
            _check_method(params["method"], params.get("idf_method"))
            self._vocab = orjson.loads((folder / "vocab.index.json").read_bytes())
            data, indices, indptr = (
                np.load(folder / f"{name}.csc.index.npy", mmap_mode="r", allow_pickle=False)
                for name in _ARRAYS
            )
            self._matrix = data, indices, indptr
        return self


def _check_method(method: str, idf_method: str | None) -> None:
    """Only Lucene's variant is computed and scored here (bm25s's BM25L and BM25+ add a
    score for the tokens a text lacks)."""
    if (method, idf_method or method) != ("lucene", "lucene"):
        raise ValueError(f"biến thể BM25 {method!r} không được hỗ trợ")


def _score_matrix(corpus_tokens: Sequence[Sequence[str]]) -> tuple[Matrix, dict[str, int]]:
    """What bm25s's `index` computes for these texts with its default parameters: the score
    matrix and the vocabulary (token → column, here in order of first occurrence). The same
    arithmetic in the same precision, for all pairs at once: per text `k1 (1 - b + b len /
    average len)` in float64; per pair `idf * tf / (that + tf)` in float64 from float32 tf
    and idf, stored as float32; idf `log(1 + (N - df + 0.5) / (df + 0.5))` by `math.log`."""
    import bm25s

    params = bm25s.BM25()
    _check_method(params.method, params.idf_method)
    n = len(corpus_tokens)
    lengths = np.fromiter(map(len, corpus_tokens), dtype=np.int64, count=n)
    flat = itertools.chain.from_iterable
    vocab = {t: i for i, t in enumerate(dict.fromkeys(flat(corpus_tokens)))}
    ids = np.fromiter(map(vocab.__getitem__, flat(corpus_tokens)), np.int64, int(lengths.sum()))
    texts = np.repeat(np.arange(n, dtype=np.int64), lengths)
    # one key per (token, text) pair, sorted: the matrix's column order, texts ascending
    pairs, tf = np.unique(ids * n + texts, return_counts=True)
    columns, rows = np.divmod(pairs, n)
    df = np.bincount(columns, minlength=len(vocab))
    distinct = np.unique(df)
    idf_of = [math.log(1 + (n - d + 0.5) / (d + 0.5)) for d in distinct.tolist()]
    idf = np.asarray(idf_of, dtype=np.float32)[np.searchsorted(distinct, df)]
    k1, b = params.k1, params.b
    norm = k1 * ((1 - b) + b * lengths.astype(np.float64) / lengths.mean())
    tf32 = tf.astype(np.float32)
    data = (idf[columns] * (tf32 / (norm[rows] + tf32))).astype(params.dtype)
    indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    return (data, rows.astype(params.int_dtype), indptr), vocab
