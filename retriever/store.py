"""The index on disk: a folder of immutable generations and one pointer to the current one.

    $TTHC_DATA_DIR/
      CURRENT                    name of the current generation (replaced atomically)
      generations/<name>/
        manifest.json            model, dimensions, segmenter and format versions, sources
        documents.jsonl          one cleaned document per line (metadata + text)
        chunks.jsonl             one chunk per line
        tokens.jsonl             its tokens for each BM25 view, line i for chunk i (read by
                                 builds only: `Generation.read_tokens`)
        dense.faiss              FAISS index, row i = chunk i
        bm25/<part>/<view>/      the BM25 indexes (`retriever.lexical`): part `all`, and
                                 `public` when some documents are internal; view
                                 `bm25_words`, `bm25_syllables`, `bm25_folded`
        checksums.json           sha256 of every file above

A new generation is written under a temporary name, fsynced, renamed, and only then made
current by replacing CURRENT; a crash at any point leaves the previous generation current.
Loading verifies the checksums and falls back to the newest older generation that verifies.
The FAISS index and the BM25 arrays are memory-mapped, not read: a server's memory grows
little with the corpus, and workers on one machine share the pages. A generation written
before the BM25 indexes were saved (no `bm25/`) still loads; its searcher indexes again.
Nor are the token views read when a generation loads: on the whole crawl they are 16.6 million
strings, most of a server's start and memory, and serving needs only the BM25 indexes built
from them. Format 2 (the token views inside chunks.jsonl) still loads.
Everything is plain JSON / FAISS / `.npy` without pickle.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import orjson

from ingest.duty import Duty
from ingest.procedure import Procedure
from ingest.records import Chunk
from retriever.dense import DenseIndex
from retriever.lexical import BM25
from retriever.segment import TokenViews

# 2: a source lists its doc_ids (an XLSX list holds many procedures); 3: the token views
# in tokens.jsonl, apart from the chunks
FORMAT_VERSION = 3
_READABLE = (2, 3)
KEEP_GENERATIONS = 3
_T = TypeVar("_T")
_FILES = ("manifest.json", "documents.jsonl", "chunks.jsonl", "dense.faiss")
_TOKENS = "tokens.jsonl"


class IndexMissing(Exception):
    """No usable index in the data folder; the message says how to build one."""


@dataclass(frozen=True)
class IndexedDocument:
    """What the index keeps of one document (a line of documents.jsonl): what it says about
    itself, its cleaned text, where it came from, who may see it, and its records: a plan's
    duties, a procedure's record. Read from JSON once when a generation loads; written back
    exactly as it was read (`to_json`)."""

    doc_id: str
    source: str
    kind: str  # "plan" | "procedure"
    title: str
    text: str
    commune: str | None = None
    province: str | None = None
    year: int | None = None
    number: str | None = None
    chunks: int = 0
    path: str = ""
    visibility: str | None = None  # None: indexed before visibility was recorded (public)
    duties: tuple[Duty, ...] = ()
    duties_version: int | None = None  # the duty extractor that read it (plans only)
    procedure: Procedure | None = None
    stored: dict = field(default_factory=dict, repr=False, compare=False)  # the JSON line

    @classmethod
    def from_json(cls, data: dict) -> IndexedDocument:
        procedure = data.get("procedure")
        return cls(
            doc_id=data["doc_id"],
            source=data["source"],
            kind=data["kind"],
            title=data["title"],
            text=data["text"],
            commune=data.get("commune"),
            province=data.get("province"),
            year=data.get("year"),
            number=data.get("number"),
            chunks=data.get("chunks", 0),
            path=data.get("path", ""),
            visibility=data.get("visibility"),
            duties=tuple(Duty.from_json(d) for d in data.get("duties") or ()),
            duties_version=data.get("duties_version"),
            procedure=Procedure.from_stored(procedure) if procedure else None,
            stored=data,
        )

    def to_json(self) -> dict:
        return dict(self.stored)

    def meta(self) -> dict:
        """What /api/documents lists of it: everything but its text, path and records."""
        hidden = ("text", "path", "procedure", "duties")
        return {k: v for k, v in self.stored.items() if k not in hidden}


@dataclass(frozen=True)
class Catalogue:
    """A generation without its passages: its name, manifest and documents."""

    name: str
    manifest: dict
    documents: list[IndexedDocument]


@dataclass
class Generation:
    """A loaded, verified generation, without its chunks' token views (`read_tokens`)."""

    name: str
    manifest: dict
    documents: list[IndexedDocument]
    chunks: list[Chunk]
    dense: DenseIndex
    # part (`all`, `public`) → view → its saved index; empty for generations without them
    lexical: dict[str, dict[str, BM25]] = field(default_factory=dict)
    folder: Path | None = None  # where it was read from

    def read_tokens(self) -> list[TokenViews]:
        """Each chunk's text in each BM25 view, read from the generation's folder each time
        it is asked: a build needs them (to carry a file's rows over, and to index BM25), a
        server does not, so a loaded generation does not hold them."""
        if self.folder is None:
            raise ValueError("thế hệ chỉ mục này không được đọc từ đĩa")
        if self.manifest.get("format_version") == 2:
            tokens = _read_jsonl(
                self.folder / "chunks.jsonl", lambda row: TokenViews.from_json(row["tokens"])
            )
        else:
            tokens = _read_jsonl(self.folder / _TOKENS, TokenViews.from_json)
        if len(tokens) != len(self.chunks):
            raise ValueError("số dòng token không khớp số đoạn")
        return tokens


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    """One row per line, UTF-8 as it is (orjson: the default build's chunks and token views
    in a tenth of the time `json.dumps` took)."""
    with path.open("wb") as handle:
        for row in rows:
            handle.write(orjson.dumps(row) + b"\n")


def _read_jsonl(path: Path, record: Callable[[dict], _T]) -> list[_T]:
    """The rows of a JSONL file (orjson: a whole crawl's 35,000 lines in a third of the time),
    each made a `record` as it is read: a row's parsed dict is freed before the next is read,
    which halved the memory the whole crawl's chunks held (96 → 49 MB, with `Chunk.from_json`
    sharing their repeated strings)."""
    with path.open("rb") as handle:
        return [record(orjson.loads(line)) for line in handle if line.strip()]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _save_lexical(folder: Path, lexical: dict[str, dict[str, BM25]]) -> list[str]:
    """Save each part's BM25 views under `folder/bm25/`; the files' paths, relative."""
    written: list[str] = []
    for part, views in lexical.items():
        for view, index in views.items():
            files = index.save(folder / "bm25" / part / view)
            written += [f.relative_to(folder).as_posix() for f in files]
    return written


def _load_lexical(folder: Path, chunks: int) -> dict[str, dict[str, BM25]]:
    """The saved BM25 views, memory-mapped; none when the generation has none. The `all`
    part must index every chunk."""
    if not folder.is_dir():
        return {}
    lexical = {
        part.name: {view.name: BM25.load(view) for view in sorted(part.iterdir())}
        for part in sorted(folder.iterdir())
    }
    if any(index.size != chunks for index in lexical.get("all", {}).values()):
        raise ValueError("chỉ mục BM25 không khớp số đoạn")
    return lexical


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a generation's rows are read or written: each
    time enough container objects were made it walked all of them, and a whole crawl's
    generation is millions (its 16 million tokens in lists and tuples): 4 to 5 s of an 18 s
    one-line edit, 0.3 to 0.7 of the 1.2 to 1.7 s reading its manifest and documents took
    when nothing changed, 0.4 of a server's 1.8 s load (load 2 to 5). Those rows hold no
    reference cycles; reference counting frees them as ever, and the collector runs again
    after. (Not while files are read: a PDF reader's page trees may hold cycles.)"""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


class Store:
    """Reads and writes generations under one data folder."""

    def __init__(self, data_dir: Path):
        self.root = Path(data_dir)
        self.generations = self.root / "generations"
        self.pointer = self.root / "CURRENT"

    def current_name(self) -> str | None:
        try:
            return self.pointer.read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def exists(self) -> bool:
        return self.current_name() is not None

    def load(self) -> Generation:
        """The current generation, or the newest older one whose checksums verify."""
        return self._first(self._load)

    def catalogue(self) -> Catalogue:
        """What `load` would give, but its passages: the generation's name, manifest and
        documents, checksums verified (a build that changes nothing needs no more)."""
        return self._first(self._catalogue)

    def passages(self, name: str) -> Generation:
        """The whole generation `catalogue` named (its checksums were verified there)."""
        return self._load(name, verified=True)

    def _first(self, read: Callable[[str], _T]) -> _T:
        """`read` of the current generation, or of the newest older one that reads."""
        current = self.current_name()
        candidates = [current] if current else []
        if self.generations.exists():
            older = sorted(
                (p.name for p in self.generations.iterdir() if not p.name.startswith(".")),
                reverse=True,
            )
            candidates += [name for name in older if name != current]
        problems = []
        for name in candidates:
            try:
                return read(name)
            except (OSError, ValueError, KeyError, RuntimeError) as exc:
                problems.append(f"{name}: {exc}")
        detail = f" ({'; '.join(problems)})" if problems else ""
        raise IndexMissing(
            f"Chưa có chỉ mục dùng được trong {self.root}{detail}: chạy `tthc ingest corpus/` trước"
        )

    def _catalogue(self, name: str, verified: bool = False) -> Catalogue:
        folder = self.generations / name
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        version = manifest.get("format_version")
        if version not in _READABLE:
            raise ValueError(f"định dạng chỉ mục {version} không được hỗ trợ")
        if not verified:
            checksums = json.loads((folder / "checksums.json").read_text(encoding="utf-8"))
            core = (*_FILES, _TOKENS) if version == 3 else _FILES
            for file in {*core, *checksums}:  # the core files, and every file it lists
                if _sha256(folder / file) != checksums[file]:
                    raise ValueError(f"checksum của {file} không khớp")
        documents = _read_jsonl(folder / "documents.jsonl", IndexedDocument.from_json)
        return Catalogue(name, manifest, documents)

    def _load(self, name: str, verified: bool = False) -> Generation:
        catalogue = self._catalogue(name, verified)
        folder = self.generations / name
        chunks = _read_jsonl(folder / "chunks.jsonl", lambda row: Chunk.from_json(row["chunk"]))
        dense = DenseIndex.load(folder / "dense.faiss")
        if dense.size != len(chunks):
            raise ValueError("số vector không khớp số đoạn")
        return Generation(
            name=name,
            manifest=catalogue.manifest,
            documents=catalogue.documents,
            chunks=chunks,
            dense=dense,
            lexical=_load_lexical(folder / "bm25", len(chunks)),
            folder=folder,
        )

    def write(
        self,
        manifest: dict,
        documents: list[IndexedDocument],
        chunks: list[Chunk],
        tokens: list[TokenViews],
        dense: DenseIndex,
        lexical: dict[str, dict[str, BM25]] | None = None,
    ) -> str:
        """Write a new generation and make it current; returns its name."""
        if len(tokens) != len(chunks):
            raise ValueError("số dòng token không khớp số đoạn")
        self.generations.mkdir(parents=True, exist_ok=True)
        name = time.strftime("%Y%m%dT%H%M%S") + f"-{time.time_ns() % 1_000_000:06d}"
        tmp = self.generations / f".tmp-{name}"
        tmp.mkdir()
        manifest = {**manifest, "format_version": FORMAT_VERSION, "generation": name}
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        _write_jsonl(tmp / "documents.jsonl", [d.to_json() for d in documents])
        _write_jsonl(tmp / "chunks.jsonl", [{"chunk": c.to_json()} for c in chunks])
        _write_jsonl(tmp / _TOKENS, [t.to_json() for t in tokens])
        dense.save(tmp / "dense.faiss")
        files = [*_FILES, _TOKENS, *_save_lexical(tmp, lexical or {})]
        checksums = {file: _sha256(tmp / file) for file in files}
        (tmp / "checksums.json").write_text(json.dumps(checksums, indent=2), encoding="utf-8")
        for file in (*files, "checksums.json"):
            with (tmp / file).open("rb") as handle:
                os.fsync(handle.fileno())
        final = self.generations / name
        os.rename(tmp, final)
        _fsync_dir(self.generations)
        pointer_tmp = self.root / ".CURRENT.tmp"
        with pointer_tmp.open("w", encoding="utf-8") as handle:
            handle.write(name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(pointer_tmp, self.pointer)
        _fsync_dir(self.root)
        self._prune(keep=name)
        return name

    def _prune(self, keep: str) -> None:
        """Keep the newest generations; remove older ones and abandoned temporary folders."""
        names = sorted(
            (p.name for p in self.generations.iterdir() if not p.name.startswith(".")), reverse=True
        )
        for old in names[KEEP_GENERATIONS:]:
            if old != keep:
                shutil.rmtree(self.generations / old, ignore_errors=True)
        for tmp in self.generations.glob(".tmp-*"):
            shutil.rmtree(tmp, ignore_errors=True)
