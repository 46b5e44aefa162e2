"""Question → ranked passages: BM25 views and dense search, filtered, fused.

Modes (all measured by `tthc eval`): `bm25_syllables`, `bm25_words`, `bm25_folded`,
`dense`, and `hybrid` (weighted fusion of scaled scores, `retriever.fuse`).

A question that names a commune of the corpus (`xã Dân Hòa`, `xa dan hoa`) is searched in
that commune's documents only, unless the caller filtered by commune already: the plans
repeat each other almost word for word, and a look-alike sentence from another commune is
a wrong answer, not a near miss. A search among procedures only is not narrowed so: a
procedure is national, and `tôi ở xã Dân Hòa, đăng ký kết hôn cần gì` asks about it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

from ingest.records import Chunk
from ingest.textnorm import fold, has_diacritics, normalize
from retriever import segment
from retriever.dense import Embedder
from retriever.fuse import fuse
from retriever.lexical import BM25
from retriever.lexicon import Lexicon
from retriever.scope import Scope, visible
from retriever.segment import TokenViews
from retriever.store import Generation, IndexedDocument

MODES = ("bm25_syllables", "bm25_words", "bm25_folded", "dense", "hybrid")

# Fusion weights, chosen by the grid in eval/reports/fusion.md (`tthc eval --tune`) on the
# gold set: the folded view with bigrams carries the ranking; words and syllables break its
# ties; the English-trained embedding model adds little on Vietnamese (+0.00-0.01 MRR) and
# keeps a small weight as the only signal when no word of the question matches. Rows within
# 0.005 MRR of the best are one question moving one rank: we took the simplest among them.
# A question typed without diacritics cannot use the views that keep them.
WEIGHTS_DIACRITIC = {"bm25_words": 0.25, "bm25_syllables": 0.25, "bm25_folded": 1.0, "dense": 0.1}
WEIGHTS_FOLDED = {"bm25_folded": 1.0, "dense": 0.2}
CANDIDATES = 50  # depth of a single retriever's ranking
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Filters:
    commune: str | None = None
    kind: str | None = None
    year: int | None = None
    scope: Scope = Scope.PUBLIC  # who asks; set only through `retriever.scope.scoped`


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # 0..1; for hybrid, the fused score over its maximum possible value

    def citation(self, n: int) -> dict:
        """The contract's citation object for this passage, numbered `n`."""
        c = self.chunk
        return {
            "n": n,
            "doc_id": c.doc_id,
            "title": c.title,
            "source": c.source,
            "kind": c.kind,
            "section": c.section,
            "page": c.page,
            "text": c.text,
            "score": round(self.score, 4),
            "commune": c.commune,
            "year": c.year,
        }


def internal_ids(documents: list[IndexedDocument]) -> frozenset[str]:
    """Documents the public may not see (internal ones): answered to officers only."""
    return frozenset(d.doc_id for d in documents if not visible(Scope.PUBLIC, d.visibility))


def lexical_views(tokens: list[TokenViews]) -> dict[str, BM25]:
    """The three BM25 indexes over these chunks' token views."""
    return {
        "bm25_words": BM25([list(t.words) for t in tokens]),
        "bm25_syllables": BM25([list(t.syllables) for t in tokens]),
        "bm25_folded": BM25([list(t.folded) for t in tokens]),
    }


def lexical_parts(
    documents: list[IndexedDocument], chunks: list[Chunk], tokens: list[TokenViews]
) -> dict[str, dict[str, BM25]]:
    """What a generation saves of BM25 (`Store.write`): the views over all chunks (`all`)
    and, when some documents are internal, over the public's (`public`), the partitions
    `Searcher` serves."""
    parts = {"all": lexical_views(tokens)}
    internal = internal_ids(documents)
    if internal:
        parts["public"] = lexical_views(
            [t for c, t in zip(chunks, tokens) if c.doc_id not in internal]
        )
    return parts


@dataclass(frozen=True)
class _Partition:
    """The lexical indexes over the passages one scope may see (`visible`), and how to put
    their scores back in the order of all chunks."""

    visible: np.ndarray  # bool per chunk
    rows: np.ndarray | None  # the chunks indexed, when not all of them
    bm25: dict[str, BM25]

    @classmethod
    def of(cls, generation: Generation, visible: np.ndarray, part: str) -> _Partition:
        """The part's BM25 indexes as the generation saved them (memory-mapped), or built
        from its tokens (a generation from before they were saved)."""
        rows = None if visible.all() else np.flatnonzero(visible)
        saved = generation.lexical.get(part)
        if saved is None:
            tokens = generation.read_tokens()
            saved = lexical_views(tokens if rows is None else [tokens[i] for i in rows])
        return cls(visible, rows, saved)

    def spread(self, scores: np.ndarray) -> np.ndarray:
        """Scores of the indexed chunks → one score per chunk (0 for those not indexed)."""
        if self.rows is None:
            return scores
        out = np.zeros(len(self.visible), dtype=np.float32)
        out[self.rows] = scores
        return out


class Searcher:
    """Everything needed to answer `search(query)` over one loaded generation."""

    def __init__(
        self,
        generation: Generation,
        embedder: Embedder,
        weights_diacritic: dict[str, float] | None = None,
        weights_folded: dict[str, float] | None = None,
        lexicon: Lexicon | None = None,
    ):
        self.generation = generation
        self.lexicon = lexicon or Lexicon({})
        self.chunks = generation.chunks
        self.embedder = embedder
        # A question is searched more than once (all passages, then procedures only): its
        # vector, the costliest part of a search, is computed once.
        self._query_vector = functools.lru_cache(maxsize=1024)(self._embed_query)
        self.weights_diacritic = weights_diacritic or WEIGHTS_DIACRITIC
        self.weights_folded = weights_folded or WEIGHTS_FOLDED
        folded = {name: fold(name) for name in {c.commune or "" for c in self.chunks}}
        self._communes = np.array([folded[c.commune or ""] for c in self.chunks])
        self._kinds = np.array([c.kind for c in self.chunks])
        self._years = np.array([c.year or 0 for c in self.chunks])
        self.internal_ids = internal_ids(generation.documents)
        public = np.array([c.doc_id not in self.internal_ids for c in self.chunks], dtype=bool)
        everything = _Partition.of(generation, np.ones(len(self.chunks), dtype=bool), "all")
        # The public searches an index of public passages only, so that nothing it is shown
        # (not a score, not a rank) depends on what internal documents hold or how many
        # there are; with no internal document the two are one.
        self._partitions = {
            Scope.PUBLIC: (
                _Partition.of(generation, public, "public") if self.internal_ids else everything
            ),
            Scope.OFFICER: everything,
            Scope.ADMIN: everything,
        }
        # The communes each scope's documents cover, longest name first: a commune only
        # internal documents name is unknown to the public, as if they did not exist.
        self._known = {
            scope: sorted({c for c in self._communes[part.visible] if c}, key=len, reverse=True)
            for scope, part in self._partitions.items()
        }

    def lexical(self, view: str, scope: Scope = Scope.PUBLIC) -> BM25:
        """The BM25 index of one view (`bm25_words`, `bm25_syllables`, `bm25_folded`) over
        the passages `scope` may see."""
        return self._partitions[scope].bm25[view]

    def communes(self, scope: Scope = Scope.PUBLIC) -> list[str]:
        """The communes (folded, longest first) of the documents `scope` may see."""
        return self._known[scope]

    def named_communes(self, query: str, scope: Scope = Scope.PUBLIC) -> list[str]:
        """Communes of the corpus that the question names, folded (`dan hoa`)."""
        words = " " + " ".join(_WORD.findall(fold(normalize(query)))) + " "
        return [c for c in self._known[scope] if f" {c} " in words]

    def mask(self, filters: Filters | None, query: str = "") -> np.ndarray:
        """Which chunks may answer: explicit filters, else the communes the question names."""
        mask = np.ones(len(self.chunks), dtype=bool)
        filters = filters or Filters()
        if filters.commune:
            mask &= self._communes == fold(filters.commune.strip())
        elif (
            query
            and filters.kind != "procedure"
            and (named := self.named_communes(query, filters.scope))
        ):
            mask &= np.isin(self._communes, named)
        if filters.kind:
            mask &= self._kinds == filters.kind
        if filters.year:
            mask &= self._years == filters.year
        return mask & self._partitions[filters.scope].visible

    def forget_queries(self) -> None:
        """Drop the cached question vectors (benchmarks measure a question's first asking)."""
        self._query_vector.cache_clear()

    def _embed_query(self, query: str) -> np.ndarray:
        vector = self.embedder.embed([query])[0]
        vector.setflags(write=False)  # shared by every search of the same text
        return vector

    def scores(self, query: str, mode: str, scope: Scope = Scope.PUBLIC) -> np.ndarray:
        """One retriever's score for every chunk `scope` may see, 0 for the others (dense:
        cosine similarity)."""
        part = self._partitions[scope]
        if mode == "dense":
            vector = self._query_vector(query)
            ids, sims = self.generation.dense.search(vector, len(self.chunks))
            out = np.zeros(len(self.chunks), dtype=np.float32)
            valid = ids >= 0
            out[ids[valid]] = sims[valid]
            return np.where(part.visible, out, 0.0).astype(np.float32)
        view = {
            "bm25_words": segment.words,
            "bm25_syllables": segment.syllables,
            "bm25_folded": segment.folded,
        }[mode]
        return part.spread(part.bm25[mode].scores(view(query)))

    def weights_for(self, query: str) -> dict[str, float]:
        return self.weights_diacritic if has_diacritics(query) else self.weights_folded

    def search(
        self, query: str, k: int = 10, filters: Filters | None = None, mode: str = "hybrid"
    ) -> list[Hit]:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {MODES}")
        filters = filters or Filters()
        mask = self.mask(filters, query)
        if not query.strip() or not mask.any():
            return []
        query = self.lexicon.expand(query)
        scope = filters.scope
        if mode == "hybrid":
            weights = self.weights_for(query)
            combined = fuse(
                {m: self.scores(query, m, scope) for m, w in weights.items() if w > 0}, weights
            )
            scale = sum(weights.values())
        else:
            combined, scale = self.scores(query, mode, scope).astype(np.float64), None
        combined = np.where(mask, combined, 0.0)
        order = np.argsort(-combined, kind="stable")[: min(k, CANDIDATES)]
        top = scale or (combined[order[0]] if len(order) else 1.0) or 1.0
        return [Hit(self.chunks[i], float(combined[i] / top)) for i in order if combined[i] > 0]
