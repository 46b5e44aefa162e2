"""The engine: built once from settings (embedder, loaded index, searcher) and handed to the
CLI and the HTTP layer alike; neither builds its own."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from retriever.build import Progress, Report, update
from retriever.dense import Embedder, SentenceEmbedder
from retriever.lexicon import Lexicon
from retriever.search import Filters, Hit, Searcher
from retriever.store import Store
from service.answer.compose import Answer, Answerer
from service.settings import Settings

BUNDLED_LEXICON = Path(__file__).resolve().parents[1] / "corpus" / "lexicon.tsv"


@dataclass
class Engine:
    settings: Settings
    embedder: Embedder
    store: Store
    lexicon: Lexicon | None = None
    searcher: Searcher | None = None
    answerer: Answerer | None = None

    def load(self) -> None:
        """Load the current index (raises `IndexMissing` when there is none)."""
        if self.lexicon is None:
            path = self.settings.corpus_dir / "lexicon.tsv"
            self.lexicon = Lexicon.load(path if path.is_file() else BUNDLED_LEXICON)
        searcher = Searcher(self.store.load(), self.embedder, lexicon=self.lexicon)
        self.searcher, self.answerer = searcher, Answerer(searcher)

    @property
    def ready(self) -> bool:
        return self.searcher is not None

    def ingest(self, paths: list[Path], progress: Progress | None = None) -> Report:
        report = update(paths, self.store, self.embedder, progress)
        self.load()
        return report

    def search(self, query: str, k: int = 10, filters: Filters | None = None, mode: str = "hybrid") -> list[Hit]:
        if self.searcher is None:
            self.load()
        assert self.searcher is not None
        return self.searcher.search(query, k=k, filters=filters, mode=mode)

    def ask(self, question: str, k: int = 5, filters: Filters | None = None, session_id: str | None = None) -> Answer:
        if self.answerer is None:
            self.load()
        assert self.answerer is not None
        return self.answerer.answer(question, k=k, filters=filters, session_id=session_id)

    def documents(self) -> list[dict]:
        if self.searcher is None:
            self.load()
        assert self.searcher is not None
        return [{k: v for k, v in d.items() if k not in ("text", "path", "procedure")}
                for d in self.searcher.generation.documents]


def build_engine(settings: Settings, embedder: Embedder | None = None) -> Engine:
    """Create the engine; loads the embedding model, not the index."""
    if embedder is None:
        embedder = SentenceEmbedder(settings.embed_model, segmented=settings.embed_segmented)
    return Engine(settings=settings, embedder=embedder, store=Store(settings.data_dir))
