"""The records that cross from ingestion to retrieval: a cleaned `Document` and its `Chunk`s."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import asdict, dataclass, field


def content_id(*parts: str) -> str:
    """A short stable id from content, so the same passage always gets the same id."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:16]


@dataclass(frozen=True)
class Line:
    """One cleaned paragraph, heading or table row, with the page it starts on (0 = unknown)."""

    text: str
    page: int = 0
    is_row: bool = False


@dataclass(frozen=True)
class Document:
    """A cleaned document with what it says about itself."""

    doc_id: str
    source: str  # file name as given
    kind: str  # "plan" | "procedure"
    title: str
    text: str  # the cleaned text every citation is a verbatim slice of
    lines: tuple[Line, ...] = field(repr=False)
    commune: str | None = None
    province: str | None = None
    year: int | None = None
    number: str | None = None
    content_hash: str = ""
    procedure: dict | None = field(
        default=None, repr=False
    )  # a procedure's record (ingest.procedure)

    def meta(self) -> dict:
        """Metadata without the text, as stored in the index and listed by /api/documents."""
        data = asdict(self)
        del data["text"], data["lines"]
        return data


@dataclass(frozen=True)
class Chunk:
    """A passage that never straddles two sections; `text == document.text[start:end]`."""

    id: str
    doc_id: str
    title: str
    source: str
    kind: str
    section: str  # heading path joined with " › "
    text: str
    start: int
    end: int
    page: int | None = None
    commune: str | None = None
    year: int | None = None
    columns: tuple[str, ...] = ()  # table rows: the column headers of their table

    def index_text(self) -> str:
        """What retrieval sees: title and section add the words a question uses to name
        the place (commune, area) that the passage itself leaves implicit; a table row
        is spelled out as `header: cell` pairs."""
        body = self.text
        if self.columns:
            cells = [c.strip() for c in self.text.split(" | ")]
            pairs = [f"{h}: {c}" for h, c in zip(self.columns, cells) if c]
            body = "; ".join(pairs) if pairs else self.text
        return "\n".join(part for part in (self.title, self.section, body) if part)

    def dense_text(self) -> str:
        """What the embedding model sees. A procedure chunk is embedded by its name and field
        (`Đăng ký khai sinh › Thành phần hồ sơ`): the model matches a paraphrased procedure
        name, BM25 matches the field's words, and the chunks of one field share a vector, so
        the 2,642 portal records embed in minutes instead of half an hour (eval/bench.py)."""
        return self.section if self.kind == "procedure" else self.index_text()

    def to_json(self) -> dict:
        # its fields as they are (nothing in it is nested but the columns): `asdict` copied
        # each deeply, 0.8 s of writing the default build's 8,301 chunks
        return {**self.__dict__, "columns": list(self.columns)}

    @classmethod
    def from_json(cls, data: dict) -> Chunk:
        """The chunk `to_json` gave. The strings a document's chunks repeat (its id, title,
        source, kind, commune; a section's heading path) are kept once: on the whole crawl
        they were 21 of the 59 MB of the chunks' strings a server holds."""
        shared = {k: sys.intern(v) for k in _SHARED if isinstance(v := data.get(k), str)}
        return cls(**{**data, **shared, "columns": tuple(data.get("columns") or ())})


_SHARED = ("doc_id", "title", "source", "kind", "section", "commune")
