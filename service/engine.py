"""The engine: built once from settings (embedder, loaded index, searcher) and handed to the
CLI and the HTTP layer alike; neither builds its own."""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest.duty import Duty
from ingest.procedure import Procedure
from ingest.textnorm import fold
from retriever.build import Progress, Report, Select, update
from retriever.dense import BUNDLED, Embedder, LazyEmbedder, SentenceEmbedder, model_path
from retriever.lexicon import Lexicon
from retriever.scope import Scope, documents_for, scoped
from retriever.search import Filters, Hit, Searcher
from retriever.store import Store, collector_paused
from service.answer.compose import Extractive
from service.answer.config import AnswerConfig
from service.answer.result import Answer, Answerer
from service.answer.understand import Reader
from service.answer.written import Generator, Written
from service.conversation import Conversations, Turn, is_follow_up, resolve, turn_of
from service.resources import CORPUS
from service.settings import Settings
from service.sources import Sources

log = logging.getLogger("tthc.engine")
BUNDLED_LEXICON = CORPUS / "lexicon.tsv"


@dataclass(frozen=True)
class Snapshot:
    """One loaded generation and everything read from it: the searcher, the question reader
    and the extractive answerer, made together and swapped together (`Engine.load` assigns one
    object), so a request that holds a snapshot never sees half an update."""

    searcher: Searcher
    reader: Reader
    extractive: Extractive


@dataclass
class Engine:
    settings: Settings
    embedder: Embedder
    store: Store
    lexicon: Lexicon | None = None
    generator: Generator | None = None  # set when an LLM endpoint is configured (issue 7)
    config: AnswerConfig = AnswerConfig()
    conversations: Conversations = field(default_factory=Conversations)
    snapshot: Snapshot | None = None

    def load(self) -> None:
        """Load the current index (raises `IndexMissing` when there is none)."""
        if self.lexicon is None:
            path = self.settings.corpus_dir / "lexicon.tsv"
            self.lexicon = Lexicon.load(path if path.is_file() else BUNDLED_LEXICON)
        with collector_paused():  # millions of records made: 0.4 s of a whole crawl's start
            searcher = Searcher(self.store.load(), self.embedder, lexicon=self.lexicon)
            extractive = Extractive(searcher, self.config)
        communes = {scope: searcher.communes(scope) for scope in Scope}
        reader = Reader(communes, extractive.phrases, self.lexicon)
        self.snapshot = Snapshot(searcher, reader, extractive)

    def current(self) -> Snapshot:
        """The snapshot a request works with from start to end (loaded on first use)."""
        if self.snapshot is None:
            self.load()
        assert self.snapshot is not None
        return self.snapshot

    @property
    def ready(self) -> bool:
        return self.snapshot is not None

    @property
    def searcher(self) -> Searcher | None:
        return self.snapshot.searcher if self.snapshot else None

    @property
    def answerer(self) -> Extractive | None:
        """The extractive answerer of the current snapshot."""
        return self.snapshot.extractive if self.snapshot else None

    def ingest(
        self, paths: list[Path], progress: Progress | None = None, select: Select | None = None
    ) -> Report:
        workers = self.settings.ingest_workers
        report = update(paths, self.store, self.embedder, progress, select, workers)
        self.load()
        return report

    def ingest_default(self, progress: Progress | None = None) -> Report:
        """The default build (`service.sources`): the corpus, and the portal's commune-level
        records when the crawl is there."""
        sources = Sources.default(self.settings)
        return self.ingest(sources.paths, progress, sources.select)

    def search(
        self,
        query: str,
        k: int = 10,
        filters: Filters | None = None,
        mode: str = "hybrid",
        scope: Scope = Scope.PUBLIC,
    ) -> list[Hit]:
        searcher = self.current().searcher
        return searcher.search(query, k=k, filters=scoped(filters, scope), mode=mode)

    def ask(
        self,
        question: str,
        k: int = 5,
        filters: Filters | None = None,
        session_id: str | None = None,
        scope: Scope = Scope.PUBLIC,
    ) -> Answer:
        answer = None
        for piece in self.ask_stream(question, k, filters, session_id, scope):
            answer = piece
        assert isinstance(answer, Answer)
        return answer

    def ask_stream(
        self,
        question: str,
        k: int = 5,
        filters: Filters | None = None,
        session_id: str | None = None,
        scope: Scope = Scope.PUBLIC,
    ) -> Iterator[str | Answer]:
        """The answer in pieces as they are ready, then the whole Answer. A follow-up is read
        with the conversation first; then the question is read once (`Reader.read`) and
        answered from the snapshot, by the extractive answerer or the LLM writer over it."""
        snap = self.current()
        session = session_id or uuid.uuid4().hex
        # An officer's conversation (internal documents) is never continued on the public side.
        thread = f"officer:{session}" if scope is not Scope.PUBLIC else session
        history = self.conversations.history(thread)
        understood = self._follow_up(question, history, snap, scope)
        asked = snap.reader.read(understood, k=k, given=filters, scope=scope)
        answerer: Answerer = snap.extractive
        if self.generator is not None:  # the LLM writes over the extractive answer
            answerer = Written(snap.extractive, self.generator)
        answer = None
        for piece in answerer.stream(asked, scope, history):
            if isinstance(piece, Answer):
                answer = piece
            else:
                yield piece
        assert answer is not None
        answer = replace(
            answer,
            session_id=session,
            answer_id=uuid.uuid4().hex,
            understood_as=understood if understood != question else None,
        )
        self.conversations.add(thread, turn_of(understood, answer))
        yield answer

    def _follow_up(self, question: str, history: list[Turn], snap: Snapshot, scope: Scope) -> str:
        """A follow-up (`còn lệ phí thì sao?`) read with the conversation; else as typed."""
        if not history or not is_follow_up(question):
            return question
        if self.generator is not None:
            condensed = self.generator.condense([(t.question, t.answer) for t in history], question)
            if condensed:
                return condensed
        return resolve(
            question, history[-1], lambda text: snap.searcher.named_communes(text, scope)
        )

    def procedures(
        self, query: str = "", field: str = "", level: str = "", limit: int = 20, offset: int = 0
    ) -> dict:
        """Procedures, one per code (the catalogue's record before the portal's): ranked by
        `query` when given, else by code; filtered by field (lĩnh vực) and level (cấp)."""
        snap = self.current()  # the book and the search from one snapshot
        book = snap.extractive.books(Scope.PUBLIC).procedures
        ranked: list[tuple[str, float | None]]  # no score when listed by code
        if query.strip():
            only = scoped(Filters(kind="procedure"), Scope.PUBLIC)
            hits = snap.searcher.search(query, k=50, filters=only)
            ranked = [(c.doc_id, c.score) for c in book.choose(hits)]
        else:
            ranked = [(doc_id, None) for _, doc_id in sorted(book.preferred.items())]
        wanted_field, wanted_level = fold(field).strip(), fold(level).strip()
        rows = []
        for doc_id, score in ranked:
            record = book.records[doc_id]
            if wanted_field and wanted_field not in fold(record.field or ""):
                continue
            if wanted_level and wanted_level not in fold(record.level or ""):
                continue
            rows.append(_summary(doc_id, record, score))
        return {"total": len(rows), "procedures": rows[offset : offset + limit]}

    def procedure_count(self) -> dict:
        """How many procedures the public is answered from, and from where: the team's
        catalogue (`catalogue`), the national portal's records (`portal`), ministries' lists."""
        book = self.current().extractive.books(Scope.PUBLIC).procedures
        origins: dict[str, int] = {}
        for doc_id in book.preferred.values():
            origin = book.records[doc_id].origin
            origins[origin] = origins.get(origin, 0) + 1
        return {"total": len(book.preferred), "by_origin": dict(sorted(origins.items()))}

    def procedure(self, key: str) -> dict | None:
        """One procedure by national code (`1.001193`) or document id (`tthc-1.001193`)."""
        book = self.current().extractive.books(Scope.PUBLIC).procedures
        doc_id = book.preferred.get(key) or (key if key in book.records else None)
        if doc_id is None:
            return None
        record = book.records[doc_id]
        others = [d for d, r in book.records.items() if r.code == record.code and d != doc_id]
        summary = _summary(doc_id, record, None)
        return {**summary, "record": record.to_json(), "other_sources": others}

    def duties(
        self,
        unit: str = "",
        commune: str = "",
        due_before: datetime.date | None = None,
        q: str = "",
        role: str = "lead",
        scope: Scope = Scope.PUBLIC,
    ) -> list[Duty]:
        """Plan duties that pass the filters given (`retriever.duties.DutyTable.find`); those of
        internal plans only for officers."""
        table = self.current().extractive.books(scope).duties
        return table.table.find(unit=unit, commune=commune, due_before=due_before, q=q, role=role)

    def documents(self, scope: Scope = Scope.PUBLIC) -> list[dict]:
        """The ingested documents `scope` may see, without their text and records."""
        generation = self.current().searcher.generation
        return [d.meta() for d in documents_for(scope, generation.documents)]


def _summary(doc_id: str, record: Procedure, score: float | None) -> dict:
    return {
        "id": record.code,
        "code": record.code,
        "doc_id": doc_id,
        "name": record.name,
        "level": record.level,
        "field": record.field,
        "agency": record.implementing_agency or record.competent_agency,
        "online": record.online,
        "channels": [c.channel for c in record.channels],
        "origin": record.origin,
        "source_url": record.source_url,
        "score": round(score, 4) if score is not None else None,
    }


def build_engine(
    settings: Settings,
    embedder: Embedder | None = None,
    config: AnswerConfig | None = None,
    lexicon: Lexicon | None = None,
) -> Engine:
    """Create the engine; loads neither the embedding model (on first use: `LazyEmbedder`;
    its folder is checked now) nor the index. `config` and `lexicon` replace the measured
    defaults and the bundled lexicon (evaluations build their own)."""
    if embedder is None:
        model_path(settings.embed_model)  # a missing model is said now, not at first question
        embedder = LazyEmbedder(
            lambda: SentenceEmbedder(settings.embed_model, segmented=settings.embed_segmented),
            settings.embed_model or BUNDLED,
        )
    from service.llm import build_generator  # None unless TTHC_LLM_BASE_URL is set

    return Engine(
        settings=settings,
        embedder=embedder,
        store=Store(settings.data_dir),
        lexicon=lexicon,
        generator=build_generator(settings),
        config=config or AnswerConfig(),
    )
