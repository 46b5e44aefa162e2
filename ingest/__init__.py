"""Files → records. Two small doors, and nothing else of this room is needed outside it:

- `read(path)`: every document a file holds (a plan, a procedure record, or the many
  procedures of a ministry's XLSX list), cleaned and described; `IngestError` with a
  Vietnamese reason for a file to skip.
- `records(document)`: what the index keeps of it, its passages (`Chunk`s, cut along the
  headings, or a procedure's fields) and, for a plan, its duties.
- `level(path)`: the executing level a portal record states, to choose which records a
  build takes (the commune's, by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ingest.chunk import chunk
from ingest.document import READERS, read_documents
from ingest.duty import VERSION as DUTIES_VERSION
from ingest.duty import Duty, extract_duties
from ingest.errors import IngestError
from ingest.portal import record_level as level
from ingest.procedure import procedure_chunks
from ingest.records import Chunk, Document

__all__ = [
    "DUTIES_VERSION",
    "FILE_TYPES",
    "Chunk",
    "Document",
    "Duty",
    "IngestError",
    "level",
    "Records",
    "read",
    "records",
]

FILE_TYPES = tuple(READERS)  # what `read` accepts, by file suffix


@dataclass(frozen=True)
class Records:
    chunks: tuple[Chunk, ...]
    duties: tuple[Duty, ...]  # a plan's; empty for a procedure


def read(path: Path, data_hash: str = "") -> list[Document]:
    """Every document the file at `path` holds. A file in a folder whose name says
    `procedure` is read as procedures, whatever its suffix."""
    kind = "procedure" if "procedure" in path.parent.name.lower() else "plan"
    return read_documents(path, kind=kind, data_hash=data_hash)


def records(document: Document) -> Records:
    if document.kind == "procedure":
        return Records(tuple(procedure_chunks(document)), ())
    return Records(tuple(chunk(document)), tuple(extract_duties(document)))
