"""Building and updating the index from files: `update(paths, store, embedder)`.

Each source file is keyed by its resolved path and identified by the sha256 of its bytes.
Unchanged files keep their chunks, tokens and vectors from the current generation; changed
and new files are read, chunked, segmented and embedded; files that vanished from under the
given paths are removed. Files elsewhere in the index are left as they are. A file that
cannot be read is reported with its reason and skipped; the rest goes on.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import ingest
from ingest import DUTIES_VERSION, FILE_TYPES, IngestError
from retriever import segment
from retriever.dense import DenseIndex, Embedder
from retriever.store import FORMAT_VERSION, IndexMissing, Store

Progress = Callable[[str], None]


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

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def segmenter_version() -> str:
    try:
        return f"{segment.SEGMENTER_VERSION}/{importlib.metadata.version('underthesea')}"
    except importlib.metadata.PackageNotFoundError:
        return segment.SEGMENTER_VERSION


def find_files(paths: list[Path]) -> tuple[list[Path], dict[str, str]]:
    """Supported files under the paths, sorted; paths that do not exist are failures."""
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
    return files, failed


def update(
    paths: list[Path], store: Store, embedder: Embedder, progress: Progress | None = None
) -> Report:
    """Bring the index in `store` up to date with the files under `paths`."""
    started = time.perf_counter()
    store.root.mkdir(parents=True, exist_ok=True)
    with (store.root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one writer at a time; readers never lock
        report = _update(paths, store, embedder, progress)
    report.seconds = time.perf_counter() - started
    return report


def _update(
    paths: list[Path], store: Store, embedder: Embedder, progress: Progress | None
) -> Report:
    report = Report()
    files, report.failed = find_files(paths)
    roots = [p.resolve() for p in paths if p.exists()]
    settings = {"model": embedder.name, "dim": embedder.dim, "segmenter": segmenter_version()}

    previous = None
    try:
        previous = store.load()
    except IndexMissing:
        pass
    reusable = previous is not None and all(
        previous.manifest.get(k) == v for k, v in settings.items()
    )
    old_sources: dict[str, dict] = previous.manifest["sources"] if previous else {}

    sources: dict[str, dict] = {}
    documents: list[dict] = []
    chunks, tokens, vectors = [], [], []

    old_documents: dict[str, list[dict]] = {}
    old_rows: dict[str, list[int]] = {}
    if previous is not None:
        for d in previous.documents:
            old_documents.setdefault(d["doc_id"], []).append(d)
        for i, c in enumerate(previous.chunks):
            old_rows.setdefault(c.doc_id, []).append(i)

    def keep(key: str) -> None:
        """Carry a source over from the previous generation as it is."""
        entry = old_sources[key]
        sources[key] = entry
        for doc_id in entry["doc_ids"]:
            documents.extend(old_documents.get(doc_id, []))
            rows = old_rows.get(doc_id, [])
            chunks.extend(previous.chunks[i] for i in rows)
            tokens.extend(previous.tokens[i] for i in rows)
            if rows:
                vectors.append(previous_vectors[rows])

    previous_vectors = previous.dense.vectors() if previous is not None and reusable else None
    seen: set[str] = set()
    used_ids = {doc_id: key for key, entry in old_sources.items() for doc_id in entry["doc_ids"]}
    for number, path in enumerate(files, start=1):
        key = str(path.resolve())
        seen.add(key)
        name = path.name
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        old = old_sources.get(key)
        visibility = visibility_of(path, roots)
        if (
            old
            and reusable
            and old["sha256"] == digest
            and not _stale(old, old_documents, visibility)
        ):
            keep(key)
            report.unchanged.append(name)
            continue
        if progress:
            progress(f"[{number}/{len(files)}] đang xử lý {name}")
        failure = None
        try:
            docs = ingest.read(path, data_hash=digest)
        except IngestError as exc:
            failure = str(exc)
        except Exception as exc:  # noqa: BLE001 - a file that trips a bug must not cost the other files
            failure = f"lỗi khi xử lý tệp ({type(exc).__name__}); hãy báo cho quản trị viên"
        if failure:
            report.failed[name] = failure
            if old:  # a file that became unreadable is dropped, and said so
                report.removed.append(name)
            continue
        doc_ids, file_chunks = [], []
        for doc in docs:
            doc_id = _unique_id(doc.doc_id, key, used_ids)
            if doc_id != doc.doc_id:
                doc = type(doc)(**{**doc.__dict__, "doc_id": doc_id})
            found = ingest.records(doc)
            doc_chunks = list(found.chunks)
            file_chunks += doc_chunks
            doc_ids.append(doc_id)
            record = {
                **doc.meta(),
                "text": doc.text,
                "chunks": len(doc_chunks),
                "path": key,
                "visibility": visibility,
            }
            if doc.kind == "plan":  # its duties, extracted once here and served from the index
                record["duties"] = [d.to_json() for d in found.duties]
                record["duties_version"] = DUTIES_VERSION
            documents.append(record)
        texts = [c.index_text() for c in file_chunks]
        tokens.extend(segment.TokenViews.of(t) for t in texts)
        if file_chunks:
            dense = [c.dense_text() for c in file_chunks]
            unique = list(dict.fromkeys(dense))
            matrix = embedder.embed(unique)
            row = {text: i for i, text in enumerate(unique)}
            vectors.append(matrix[[row[t] for t in dense]])
        chunks.extend(file_chunks)
        sources[key] = {
            "sha256": digest,
            "doc_ids": doc_ids,
            "source": name,
            "chunks": len(file_chunks),
        }
        (report.updated if old else report.added).append(name)

    for key, entry in old_sources.items():
        if key in seen or key in sources:
            continue
        under_roots = any(Path(key) == r or Path(key).is_relative_to(r) for r in roots)
        if under_roots:
            report.removed.append(entry["source"])
        elif reusable:
            keep(key)
        else:
            report.failed[entry["source"]] = "mô hình hoặc bộ tách từ đã đổi: hãy nạp lại tệp này"
            report.removed.append(entry["source"])

    report.chunks = len(chunks)
    if not report.changed and previous is not None and reusable:
        report.generation = previous.name
        return report
    matrix = np.concatenate(vectors) if vectors else np.zeros((0, embedder.dim), np.float32)
    manifest = {
        **settings,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "sources": sources,
        "counts": {"documents": len(documents), "chunks": len(chunks)},
    }
    report.generation = store.write(manifest, documents, chunks, tokens, DenseIndex(matrix))
    return report


def _stale(entry: dict, old_documents: dict[str, list[dict]], visibility: str) -> bool:
    """A plan whose duties were extracted by an older extractor (or none) is read again, so
    an unchanged file still gets the current duty table without rebuilding the whole index;
    so is a file whose visibility is not the one recorded (indexes from before it was)."""
    docs = [d for doc_id in entry["doc_ids"] for d in old_documents.get(doc_id, [])]
    return any(
        d.get("visibility", "public") != visibility
        or (d.get("kind") == "plan" and d.get("duties_version") != DUTIES_VERSION)
        for d in docs
    )


# A file in a folder of one of these names is internal: answered to authenticated officers,
# never on the public chat. The folder, not a flag, says so, so that re-ingesting the same
# paths can never publish it by mistake.
INTERNAL_FOLDERS = frozenset(["noi-bo", "noibo", "internal"])


def visibility_of(path: Path, roots: list[Path]) -> str:
    """`internal` when the file sits in an internal folder at or below the ingested root, where
    it is found or where a link there points: a doubt makes it internal, never public."""
    folders: list[str] = []
    for candidate in {Path(os.path.abspath(path)), path.resolve()}:
        for root in roots:
            for base in {Path(os.path.abspath(root)), root.resolve()}:
                if candidate == base or candidate.is_relative_to(base):
                    folders += (
                        [base.name] + list(candidate.relative_to(base).parent.parts)
                        if base.is_dir()
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
