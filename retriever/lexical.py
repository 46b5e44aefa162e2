"""BM25 over pre-tokenised texts, through bm25s."""

from __future__ import annotations

import numpy as np


class BM25:
    """A bm25s index over token lists; `scores` gives one score per document.

    >>> BM25([["xã", "dân_hòa"], ["xã", "đức_an"]]).scores(["dân_hòa"]).argmax()
    0
    """

    def __init__(self, corpus_tokens: list[list[str]]):
        import bm25s

        self.size = len(corpus_tokens)
        self._bm25 = bm25s.BM25()
        if corpus_tokens:
            self._bm25.index(corpus_tokens, show_progress=False)
        self._vocab = self._bm25.vocab_dict if corpus_tokens else {}

    @property
    def vocabulary(self) -> set[str]:
        return set(self._vocab)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        known = [t for t in query_tokens if t in self._vocab]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)
