"""A file on disk → a cleaned `Document` (load → clean → describe)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ingest.clean import clean
from ingest.errors import IngestError
from ingest.load import load
from ingest.records import Document
from ingest.structure import describe
from ingest.textnorm import fold


def doc_id_for(path: Path) -> str:
    """A readable id from the file name: `Dân Hòa 2026.txt` → `dan-hoa-2026`."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(path.stem)).strip("-")
    return slug or hashlib.sha256(path.name.encode()).hexdigest()[:12]


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
