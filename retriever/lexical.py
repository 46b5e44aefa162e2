"""BM25 over pre-tokenised texts, through bm25s; saved with a generation and served from
memory maps.

`BM25.save(folder)` writes bm25s's own files (the score matrix as three `.npy` arrays
without pickle, the vocabulary and parameters as JSON); `BM25.load(folder)` maps the arrays
instead of reading them, so a server starts without indexing again, and its pages are the
operating system's to share between workers and to drop.
"""

from __future__ import annotations

from pathlib import Path

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

    def frequency(self, token: str) -> int:
        """In how many of the indexed texts `token` occurs: the length of its column in the
        score matrix, which holds one entry per text that has it (so a server counts document
        frequencies without the texts' tokens).

        >>> BM25([["xã", "xã"], ["xã", "đức_an"], ["đức_an"]]).frequency("xã")
        2
        """
        column = self._vocab.get(token)
        if column is None:
            return 0
        indptr = self._bm25.scores["indptr"]
        if column + 1 >= len(indptr):  # bm25s's empty token `""` has no column
            return 0
        return int(indptr[column + 1] - indptr[column])

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        known = [t for t in query_tokens if t in self._vocab]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def save(self, folder: Path) -> list[Path]:
        """Write the index into `folder` (an empty index writes only its size); returns the
        files written."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "size.txt").write_text(f"{self.size}\n", encoding="utf-8")
        if self._vocab:
            self._bm25.save(str(folder), show_progress=False)
        return sorted(p for p in folder.iterdir() if p.is_file())

    @classmethod
    def load(cls, folder: Path) -> BM25:
        """The index `save` wrote, its arrays memory-mapped (read-only)."""
        import bm25s

        self = cls.__new__(cls)
        self.size = int((folder / "size.txt").read_text(encoding="utf-8"))
        if (folder / "params.index.json").exists():
            self._bm25 = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
            self._vocab = self._bm25.vocab_dict
        else:
            self._bm25, self._vocab = bm25s.BM25(), {}
        return self
