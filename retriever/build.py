"""Building and updating the index from files: `update(paths, store, embedder)`.

Each source file is keyed by its resolved path and identified by the sha256 of its bytes.
Unchanged files keep their chunks, tokens and vectors from the current generation; changed
and new files are read, chunked, segmented and embedded; files that vanished from under the
given paths are removed. Files elsewhere in the index are left as they are. A file that
cannot be read is reported with its reason and skipped; the rest goes on.

The build runs in four phases, each reported as one line (`Phase`) in the log and in the
`Report`:
- read: `Source.of(path)` hashes each file; if `Previous.unchanged(source)`, `Previous.carry`
  takes its rows over, else `read_source` reads and chunks it (`Read`); `_vanished` settles
  the sources no longer found;
- segment and embed: the chunks read get their token views and vectors, all files at once,
  from the content-hash cache (`retriever.cache`) or, for texts never seen, from the
  segmenter and the model (longest texts first, so that a batch holds texts of a length);
- write: `_write` lays all rows end to end as the new generation, and the cache keeps the
  new generation's entries only.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import importlib.metadata
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import ingest
from ingest import DUTIES_VERSION, FILE_TYPES, Chunk, Document, IngestError
from ingest.textnorm import NORMALIZER_VERSION
from retriever import segment
from retriever.cache import Cache, vector_namespace
from retriever.dense import DenseIndex, Embedder
from retriever.search import lexical_parts
from retriever.segment import TokenViews
from retriever.store import (
    FORMAT_VERSION,
    IndexedDocument,
    IndexMissing,
    Store,
    collector_paused,
)
from retriever.workers import Segmenter

log = logging.getLogger("tthc.build")


@dataclass(frozen=True)
class Step:
    """Progress within a phase: `done` of `total` files read, texts segmented or embedded."""

    phase: str  # read | segment | embed
    done: int
    total: int
    name: str = ""  # the file being read

    def __str__(self) -> str:
        doing = {"read": f"đang xử lý {self.name}", "segment": "đang tách từ"}
        return f"[{self.done}/{self.total}] {doing.get(self.phase, 'đang nhúng')}"


Progress = Callable[[Step], None]


@dataclass(frozen=True)
class Phase:
    """One phase of a build, finished: how many items it handled, how many of them it had to
    compute (the others were carried over or found in the cache), and how long it took."""

    name: str  # read | segment | embed | write
    unit: str  # what it counts, in Vietnamese: tệp, đoạn, văn bản
    total: int
    computed: int | None  # None: the phase reuses nothing (write)
    seconds: float

    def line(self) -> str:
        """`segment: 846 đoạn, 12 mới (834 có sẵn), 1.2 s` — one short line, whatever the size."""
        done = self.total if self.computed is None else self.computed
        rate = f", {done / self.seconds:.0f}/s" if done and self.seconds else ""
        new = "" if self.computed is None else f", {done} mới ({self.total - done} có sẵn)"
        return f"{self.name}: {self.total} {self.unit}{new}, {self.seconds:.1f} s{rate}"

    def to_json(self) -> dict:
        return {
            "phase": self.name,
            "unit": self.unit,
            "total": self.total,
            "computed": self.computed,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class Report:
    """What one ingestion did, file by file."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # file → reason (Vietnamese)
    generation: str | None = None
    chunks: int = 0
    seconds: float = 0.0
    phases: list[Phase] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def phase(self, name: str, unit: str, total: int, computed: int | None, started: float) -> None:
        """Record a finished phase and log its one line."""
        done = Phase(name, unit, total, computed, time.perf_counter() - started)
        self.phases.append(done)
        log.info(done.line(), extra={"fields": done.to_json()})

    def to_json(self) -> dict:
        """The summary `tthc ingest --json` prints."""
        return {
            "generation": self.generation,
            "changed": self.changed,
            "chunks": self.chunks,
            "seconds": round(self.seconds, 3),
            "counts": {
                "added": len(self.added),
                "updated": len(self.updated),
                "removed": len(self.removed),
                "unchanged": len(self.unchanged),
                "failed": len(self.failed),
            },
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "phases": [p.to_json() for p in self.phases],
        }


def segmenter_version() -> str:
    try:
        return f"{segment.SEGMENTER_VERSION}/{importlib.metadata.version('underthesea')}"
    except importlib.metadata.PackageNotFoundError:
        return segment.SEGMENTER_VERSION


def tokens_namespace() -> str:
    """What cached token views depend on: underthesea's version, the segmenter's, the
    normaliser's and the word lists'."""
    return f"{segmenter_version()}|{segment.fingerprint()}"


Select = Callable[[Path], bool]  # which of the files found a build takes


def find_files(
    paths: list[Path], select: Select | None = None
) -> tuple[list[Path], dict[str, str]]:
    """Supported files under the paths (those `select` takes), sorted; paths that do not
    exist are failures."""
    files: list[Path] = []
    failed: dict[str, str] = {}
    for path in paths:
        if path.is_dir():
            files += [
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in FILE_TYPES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            ]
        elif path.is_file():
            files.append(path)
        else:
            failed[str(path)] = "không tìm thấy đường dẫn"
    return [f for f in files if select is None or select(f)], failed


def update(
    paths: list[Path],
    store: Store,
    embedder: Embedder,
    progress: Progress | None = None,
    select: Select | None = None,
    workers: int = 1,
) -> Report:
    """Bring the index in `store` up to date with the files under `paths` that `select`
    takes (all by default); indexed files under `paths` it no longer takes are removed.
    `workers`: processes that segment (`retriever.workers`; the same tokens for any count)."""
    started = time.perf_counter()
    store.root.mkdir(parents=True, exist_ok=True)
    with (store.root / ".lock").open("w") as lock, Segmenter(workers) as segmenter:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one writer at a time; readers never lock
        report = _update(paths, store, embedder, segmenter, progress, select)
    report.seconds = time.perf_counter() - started
    return report


@dataclass(frozen=True)
class Source:
    """One file to index, as the manifest knows it."""

    path: Path
    key: str  # its resolved path
    digest: str  # sha256 of its bytes
    visibility: str  # `public` or `internal`, from the folders it sits in

    @classmethod
    def of(cls, path: Path, bases: Bases) -> Source:
        """`bases`: the ingested roots (`_bases`)."""
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        resolved = path.resolve()
        return cls(path, str(resolved), digest, _visibility(path, resolved, bases))

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Rows:
    """One source's share of a generation: its manifest entry, its documents, and for each of
    its chunks the chunk, its token views and its vector (row i of `vectors` is chunk i)."""

    key: str
    entry: dict
    documents: list[IndexedDocument]
    chunks: list[Chunk]
    tokens: list[TokenViews]
    vectors: np.ndarray


@dataclass(frozen=True)
class Read:
    """One source read and chunked, its chunks not yet segmented nor embedded."""

    key: str
    entry: dict
    documents: list[IndexedDocument]
    chunks: list[Chunk]

    def rows(self, tokens: list[TokenViews], vectors: np.ndarray) -> Rows:
        return Rows(self.key, self.entry, self.documents, self.chunks, tokens, vectors)


@dataclass(frozen=True)
class Carry:
    """A source whose rows the previous generation holds and the next one takes over."""

    key: str


@dataclass(frozen=True)
class Previous:
    """What the current generation offers the next one. Its sources are always known (to tell
    an update from an addition, and to keep document ids apart); their rows are offered for
    reuse only when it was built with the same model and segmenter (`reusable`)."""

    name: str | None = None
    reusable: bool = False
    sources: dict[str, dict] = field(default_factory=dict)  # source key → manifest entry
    # doc_id → its records
    documents: dict[str, list[IndexedDocument]] = field(default_factory=dict)
    chunks: int = 0  # how many the generation holds
    store: Store | None = None  # where its passages are read from, when a build needs them

    @classmethod
    def load(cls, store: Store, settings: dict) -> Previous:
        """The current generation's manifest and documents; its passages (chunks, tokens,
        vectors) are read only when a source's rows are carried over (`carry`): a build that
        changes nothing does not read them."""
        try:
            catalogue = store.catalogue()
        except IndexMissing:
            return cls()
        manifest = catalogue.manifest
        sources = manifest["sources"]
        if not all(manifest.get(k) == v for k, v in settings.items()):
            return cls(catalogue.name, False, sources)
        documents: dict[str, list[IndexedDocument]] = {}
        for d in catalogue.documents:
            documents.setdefault(d.doc_id, []).append(d)
        chunks = manifest["counts"]["chunks"]
        return cls(catalogue.name, True, sources, documents, chunks, store)

    @functools.cached_property
    def _passages(self) -> tuple[dict[str, list[int]], list[Chunk], list[TokenViews], np.ndarray]:
        """doc_id → its chunks' rows; the chunks, their token views and vectors."""
        assert self.store is not None and self.name is not None
        generation = self.store.passages(self.name)
        rows: dict[str, list[int]] = {}
        for i, c in enumerate(generation.chunks):
            rows.setdefault(c.doc_id, []).append(i)
        return rows, generation.chunks, generation.read_tokens(), generation.dense.vectors()

    def owners(self) -> dict[str, str]:
        """Which source holds each document id (doc_id → source key)."""
        return {doc_id: key for key, entry in self.sources.items() for doc_id in entry["doc_ids"]}

    def unchanged(self, source: Source) -> bool:
        """The file's rows can be carried over as they are."""
        old = self.sources.get(source.key)
        return bool(
            old
            and self.reusable
            and old["sha256"] == source.digest
            and not self._stale(old, source.visibility)
        )

    def carry(self, key: str) -> Rows:
        """A source's rows, as this generation holds them."""
        assert self.reusable, "rows built by another model or segmenter cannot be reused"
        entry = self.sources[key]
        documents = self._documents_of(entry)
        by_doc, chunks, tokens, vectors = self._passages
        rows = [i for doc_id in entry["doc_ids"] for i in by_doc.get(doc_id, [])]
        return Rows(
            key,
            entry,
            documents,
            [chunks[i] for i in rows],
            [tokens[i] for i in rows],
            vectors[rows],
        )

    def _stale(self, entry: dict, visibility: str) -> bool:
        """A plan whose duties were extracted by an older extractor (or none) is read again,
        so an unchanged file still gets the current duty table without rebuilding the whole
        index; so is a file whose visibility is not the one recorded (indexes from before it
        was)."""
        return any(
            (d.visibility or "public") != visibility
            or (d.kind == "plan" and d.duties_version != DUTIES_VERSION)
            for d in self._documents_of(entry)
        )

    def _documents_of(self, entry: dict) -> list[IndexedDocument]:
        return [d for doc_id in entry["doc_ids"] for d in self.documents.get(doc_id, [])]


def read_source(source: Source, owners: dict[str, str]) -> Read | str:
    """Read and chunk one file, or say why it cannot be read (in Vietnamese). Its documents'
    ids are claimed in `owners` (doc_id → source key), so that two files of the same name in
    different folders get distinct ids."""
    try:
        docs = ingest.read(source.path, data_hash=source.digest)
    except IngestError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - a file that trips a bug must not cost the other files
        return f"lỗi khi xử lý tệp ({type(exc).__name__}); hãy báo cho quản trị viên"
    doc_ids: list[str] = []
    documents: list[IndexedDocument] = []
    chunks: list[Chunk] = []
    for doc in docs:
        doc_id = _unique_id(doc.doc_id, source.key, owners)
        if doc_id != doc.doc_id:
            doc = type(doc)(**{**doc.__dict__, "doc_id": doc_id})
        found = ingest.records(doc)
        doc_ids.append(doc_id)
        documents.append(_document_record(doc, found, source))
        chunks += found.chunks
    entry = {
        "sha256": source.digest,
        "doc_ids": doc_ids,
        "source": source.name,
        "chunks": len(chunks),
    }
    return Read(source.key, entry, documents, chunks)


def _document_record(doc: Document, found: ingest.Records, source: Source) -> IndexedDocument:
    """What documents.jsonl keeps of a document: its metadata, text and where it came from."""
    record = {
        **doc.meta(),
        "text": doc.text,
        "chunks": len(found.chunks),
        "path": source.key,
        "visibility": source.visibility,
    }
    if doc.kind == "plan":  # its duties, extracted once here and served from the index
        record["duties"] = [d.to_json() for d in found.duties]
        record["duties_version"] = DUTIES_VERSION
    return IndexedDocument.from_json(record)


def _update(
    paths: list[Path],
    store: Store,
    embedder: Embedder,
    segmenter: Segmenter,
    progress: Progress | None,
    select: Select | None,
) -> Report:
    report = Report()
    started = time.perf_counter()
    files, report.failed = find_files(paths, select)
    roots = [p.resolve() for p in paths if p.exists()]
    settings = {"model": embedder.name, "dim": embedder.dim, "segmenter": segmenter_version()}
    with collector_paused():
        previous = Previous.load(store, settings)
    found, seen = _read_all(files, roots, previous, report, progress)
    found += _vanished(previous, seen, roots, report)
    if not report.changed and previous.reusable:  # nothing to write, no passage to read
        return _unchanged(report, previous, len(files), started)
    with collector_paused():
        read = [previous.carry(p.key) if isinstance(p, Carry) else p for p in found]
    fresh = [part for part in read if isinstance(part, Read)]
    report.phase("read", "tệp", len(files), len(fresh), started)
    vectors_ns = vector_namespace(embedder, f"{segmenter_version()}|{NORMALIZER_VERSION}")
    with Cache.open(store.root / "cache", tokens_namespace(), vectors_ns) as cache:
        parts = _segment_and_embed(read, cache, (segmenter, embedder), report, progress)
        report.chunks = sum(len(p.chunks) for p in parts)
        started = time.perf_counter()
        with collector_paused():
            report.generation = _write(store, settings, parts, embedder.dim)
        cache.keep(*_entries(parts))
        report.phase("write", "đoạn", report.chunks, None, started)
    return report


def _unchanged(report: Report, previous: Previous, files: int, started: float) -> Report:
    """Nothing changed: the generation stays current, and each phase says it did nothing."""
    report.generation, report.chunks = previous.name, previous.chunks
    report.phase("read", "tệp", files, 0, started)
    for name, unit in (("segment", "đoạn"), ("embed", "văn bản")):
        report.phase(name, unit, 0, 0, time.perf_counter())
    report.phase("write", "đoạn", 0, None, time.perf_counter())
    return report


def _read_all(
    files: list[Path],
    roots: list[Path],
    previous: Previous,
    report: Report,
    progress: Progress | None,
) -> tuple[list[Carry | Read], set[str]]:
    """The read phase: each file marked to be carried over when it did not change, else the
    file read and chunked; in the files' order. Also the source keys seen."""
    owners = previous.owners()
    bases = _bases(roots)
    parts: list[Carry | Read] = []
    seen: set[str] = set()
    for number, path in enumerate(files, start=1):
        source = Source.of(path, bases)
        seen.add(source.key)
        if previous.unchanged(source):
            parts.append(Carry(source.key))
            report.unchanged.append(source.name)
            continue
        if progress:
            progress(Step("read", number, len(files), source.name))
        read = read_source(source, owners)
        known = source.key in previous.sources
        if isinstance(read, str):
            report.failed[source.name] = read
            if known:  # a file that became unreadable is dropped, and said so
                report.removed.append(source.name)
        else:
            parts.append(read)
            (report.updated if known else report.added).append(source.name)
    return parts, seen


def _segment_and_embed(
    parts: list[Rows | Read],
    cache: Cache,
    models: tuple[Segmenter, Embedder],
    report: Report,
    progress: Progress | None,
) -> list[Rows]:
    """The segment and embed phases, over the chunks of every file read at once: token views
    and vectors from the cache, or computed for the texts it does not hold (a chunk's vector
    is its dense text's: chunks that share one are embedded once)."""
    segmenter, embedder = models
    chunks = [c for p in parts if isinstance(p, Read) for c in p.chunks]
    started = time.perf_counter()
    tokens, segmented = cache.tokens(
        [c.index_text() for c in chunks], segmenter, _steps("segment", progress)
    )
    report.phase("segment", "đoạn", len(chunks), segmented, started)
    started = time.perf_counter()
    dense = [c.dense_text() for c in chunks]
    vectors, embedded = cache.vectors(dense, embedder, _steps("embed", progress))
    report.phase("embed", "văn bản", len(set(dense)), embedded, started)
    rows: list[Rows] = []
    offset = 0
    for part in parts:
        if isinstance(part, Read):
            end = offset + len(part.chunks)
            part = part.rows(tokens[offset:end], vectors[offset:end])
            offset = end
        rows.append(part)
    return rows


def _steps(phase: str, progress: Progress | None) -> Callable[[int, int], None] | None:
    """What the cache calls after each group it computed, as `Step`s of the phase."""
    if progress is None:
        return None
    return lambda done, total: progress(Step(phase, done, total))


def _entries(parts: list[Rows]) -> tuple[set[str], dict[str, np.ndarray]]:
    """What the cache keeps after a build: the generation's texts (their token views) and
    its vectors by dense text."""
    tokens = {c.index_text() for p in parts for c in p.chunks}
    vectors = {c.dense_text(): v for p in parts for c, v in zip(p.chunks, p.vectors)}
    return tokens, vectors


def _vanished(previous: Previous, seen: set[str], roots: list[Path], report: Report) -> list[Carry]:
    """Sources of the previous generation not found this time. Under the given paths they
    were deleted, and are removed; elsewhere they are kept as they are, unless the model or
    segmenter changed: then they are dropped, and the report says to ingest them again."""
    kept: list[Carry] = []
    for key, entry in previous.sources.items():
        if key in seen:
            continue
        if any(Path(key) == r or Path(key).is_relative_to(r) for r in roots):
            report.removed.append(entry["source"])
        elif previous.reusable:
            kept.append(Carry(key))
        else:
            report.failed[entry["source"]] = "mô hình hoặc bộ tách từ đã đổi: hãy nạp lại tệp này"
            report.removed.append(entry["source"])
    return kept


def _write(store: Store, settings: dict, parts: list[Rows], dim: int) -> str:
    """Write the new generation from its sources' rows, in order; returns its name."""
    documents = [d for p in parts for d in p.documents]
    chunks = [c for p in parts for c in p.chunks]
    tokens = [t for p in parts for t in p.tokens]
    matrix = np.concatenate([p.vectors for p in parts]) if parts else np.zeros((0, dim), np.float32)
    manifest = {
        **settings,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "sources": {p.key: p.entry for p in parts},
        "counts": {"documents": len(documents), "chunks": len(chunks)},
    }
    lexical = lexical_parts(documents, chunks, tokens)
    return store.write(manifest, documents, chunks, tokens, DenseIndex(matrix), lexical)


# A file in a folder of one of these names is internal: answered to authenticated officers,
# never on the public chat. The folder, not a flag, says so, so that re-ingesting the same
# paths can never publish it by mistake.
INTERNAL_FOLDERS = frozenset(["noi-bo", "noibo", "internal"])


def visibility_of(path: Path, roots: list[Path]) -> str:
    """`internal` when the file sits in an internal folder at or below the ingested root, where
    it is found or where a link there points: a doubt makes it internal, never public."""
    return _visibility(path, path.resolve(), _bases(roots))


Bases = list[tuple[Path, bool]]


def _bases(roots: list[Path]) -> Bases:
    """Each ingested root where it is given and where it points, and whether it is a folder:
    found once a build, not once a file (with the file's own, five path resolutions a file
    took 0.75 of the 2.4 s the whole crawl's unchanged re-ingest took under a profiler)."""
    return [
        (base, base.is_dir())
        for root in roots
        for base in {Path(os.path.abspath(root)), root.resolve()}
    ]


def _visibility(path: Path, resolved: Path, bases: Bases) -> str:
    folders: list[str] = []
    for candidate in {Path(os.path.abspath(path)), resolved}:
        for base, is_dir in bases:
            if candidate == base or candidate.is_relative_to(base):
                folders += (
                    [base.name] + list(candidate.relative_to(base).parent.parts)
                    if is_dir
                    else [base.parent.name]
                )
        folders += [candidate.parent.name]
    return "internal" if any(f.lower() in INTERNAL_FOLDERS for f in folders) else "public"


def _unique_id(doc_id: str, key: str, used: dict[str, str]) -> str:
    """Two files with the same name in different folders get distinct ids."""
    candidate = doc_id
    if used.get(candidate, key) != key:
        candidate = f"{doc_id}-{hashlib.sha256(key.encode()).hexdigest()[:6]}"
    used[candidate] = key
    return candidate


__all__ = ["FORMAT_VERSION", "Report", "find_files", "update"]
