"""A file on disk → the `Document`s it holds, by one of two readers picked by its suffix.

- The plain reader: a plan (txt, md, pdf, docx) is loaded (`ingest.load`), cleaned
  (`ingest.clean`) and described (`ingest.structure`) into one document.
- The procedure reader: a procedure record in JSON, the portal's (`ingest.portal`) or the
  catalogue's (`ingest.procedure`), is one document; a ministry's XLSX list is one document
  per procedure it lists.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

from ingest.clean import clean
from ingest.errors import IngestError
from ingest.load import SUPPORTED, load
from ingest.portal import parse_record, read_list
from ingest.procedure import Procedure, to_document
from ingest.records import Document
from ingest.structure import describe
from ingest.textnorm import fold

# (path, kind, data_hash) → every document the file holds
Reader = Callable[[Path, str, str], list[Document]]


def read_documents(path: Path, kind: str = "plan", data_hash: str = "") -> list[Document]:
    """Every document a file holds, read by the reader its suffix names (`READERS`). A suffix
    no reader names goes to the plain reader, which refuses it with its reason."""
    reader = READERS.get(path.suffix.lower(), _plain)
    return reader(path, kind, data_hash)


# -- the plain reader: a plan file → one document ------------------------------------------------


def read_document(path: Path, kind: str = "plan", data_hash: str = "") -> Document:
    """Load, clean and describe one file; raises `IngestError` for a file to skip."""
    lines = clean(load(path))
    if not any(line.text.strip() for line in lines):
        raise IngestError("không còn nội dung nào sau khi làm sạch")
    meta = describe(lines, fallback_title=path.stem)
    return Document(
        doc_id=doc_id_for(path),
        source=path.name,
        kind=kind,
        title=meta.title,
        text="\n".join(line.text for line in lines),
        lines=tuple(lines),
        commune=meta.commune,
        province=meta.province,
        year=meta.year,
        number=meta.number,
        content_hash=data_hash,
    )


def doc_id_for(path: Path) -> str:
    """A readable id from the file name: `Dân Hòa 2026.txt` → `dan-hoa-2026`."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(path.stem)).strip("-")
    return slug or hashlib.sha256(path.name.encode()).hexdigest()[:12]


def _plain(path: Path, kind: str, data_hash: str) -> list[Document]:
    return [read_document(path, kind=kind, data_hash=data_hash)]


# -- the procedure reader: a record (JSON) or a ministry's list (XLSX) → documents ---------------


def read_procedure(path: Path) -> Procedure:
    """A procedure JSON file: the portal's record (`ma_thu_tuc`, …) or the catalogue's
    (`code`, …)."""
    try:
        raw = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise IngestError("tệp JSON không phải UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise IngestError(f"tệp JSON hỏng (dòng {exc.lineno}, cột {exc.colno})") from exc
    if isinstance(raw, dict) and "ma_thu_tuc" in raw:
        return parse_record(raw, ministry=path.parent.name)
    if isinstance(raw, dict) and "code" in raw:
        try:
            return Procedure.from_json(raw, origin="catalogue")
        except (TypeError, ValueError) as exc:
            raise IngestError(f"bản ghi thủ tục sai mẫu: {exc}") from exc
    raise IngestError(
        "tệp JSON không phải bản ghi thủ tục "
        "(cần 'ma_thu_tuc' của Cổng DVCQG hoặc 'code' của danh mục)"
    )


def _procedure_record(path: Path, kind: str, data_hash: str) -> list[Document]:
    return [to_document(read_procedure(path), path.name, data_hash)]


def _procedure_list(path: Path, kind: str, data_hash: str) -> list[Document]:
    return [to_document(p, path.name, data_hash) for p in read_list(path)]


# The one table of readers, by file suffix; its keys are what `ingest.read` accepts. A
# procedure file is read as procedures whatever folder it is in (`kind` is a plan's only).
READERS: dict[str, Reader] = {
    **dict.fromkeys(SUPPORTED, _plain),
    ".json": _procedure_record,
    ".xlsx": _procedure_list,
}
