"""Chunking along the document's structure.

A chunk never straddles two sections: headings close the running chunk. Paragraphs of one
section are grouped up to `MAX_CHARS`; a longer paragraph is cut at sentence ends. Each table
row is a chunk of its own that keeps its table's column headers; roman-numeral group rows
(`I | Chỉ đạo, điều hành`) become part of the section path of the rows below them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.clean import CELL_SEP
from ingest.records import Chunk, Document, Line, content_id
from ingest.structure import heading_kind, push_heading

# ~150-200 Vietnamese words: long enough to hold a bullet list of targets, short enough
# that a citation shows the reader the sentence that answers, not a page.
MAX_CHARS = 900
SECTION_SEP = " › "
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+(?=[A-ZÀ-ỸĐ\-+•])")
_ROMAN = re.compile(r"^[IVXLC]+$")
_HEADER_FIRST = {"tt", "stt", "số tt", "số thứ tự"}


def chunk(doc: Document) -> list[Chunk]:
    """Split a cleaned document into chunks with section paths, pages and offsets."""
    chunker = _Chunker(doc)
    offset = 0
    for line in doc.lines:
        start, end = offset, offset + len(line.text)
        offset = end + 1
        chunker.add(line, start, end)
    chunker.flush()
    return chunker.chunks


@dataclass(frozen=True)
class _Span:
    """A stretch of the document's text, with the page it starts on (0 = unknown)."""

    start: int
    end: int
    page: int


class _Chunker:
    """The running state of one document's walk: the heading path, the table being read
    (its column headers and roman-numeral group), and the paragraphs waiting to be grouped."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.chunks: list[Chunk] = []
        self.stack: list[tuple[str, str]] = []  # (heading kind, heading text)
        self.seen_body_heading = False
        self.columns: tuple[str, ...] = ()
        self.group = ""
        self.pending: list[_Span] = []  # paragraphs to group

    def add(self, line: Line, start: int, end: int) -> None:
        if line.is_row:
            self.flush()
            self._row(line, start, end)
            return
        kind = heading_kind(line)
        if kind == "caps" and not self.seen_body_heading:
            kind = None  # letterhead and title lines are the preamble, not sections
        if kind is not None:
            self.flush()
            self.seen_body_heading = True
            push_heading(self.stack, kind, line.text)
            self.columns, self.group = (), ""
            return
        if self.columns:
            self.columns, self.group = (), ""  # prose after a table ends the table
        self.pending.append(_Span(start, end, line.page))

    def _row(self, line: Line, start: int, end: int) -> None:
        """A table row: a header row starts a table, a roman-numeral row names the group of
        the rows below it, any other row is a chunk of its own."""
        cells = [c.strip() for c in line.text.split(CELL_SEP)]
        first = cells[0].lower()
        if first in _HEADER_FIRST or (not self.columns and not first.isdigit() and len(cells) >= 3):
            if tuple(cells) != self.columns:
                self.columns, self.group = tuple(cells), ""
            return
        if _ROMAN.match(cells[0]) and sum(1 for c in cells if c) <= 2:
            self.group = f"{cells[0]}. " + " ".join(c for c in cells[1:] if c)
            return
        self._emit(_Span(start, end, line.page), self.columns)

    def flush(self) -> None:
        """Group the pending paragraphs up to MAX_CHARS; cut a longer one at sentence ends."""
        group: _Span | None = None  # the running group
        for paragraph in self.pending:
            if group and paragraph.end - group.start > MAX_CHARS:
                self._emit(group)
                group = None
            if paragraph.end - paragraph.start > MAX_CHARS:
                for s, e in _sentences(self.doc.text, paragraph.start, paragraph.end):
                    self._emit(_Span(s, e, paragraph.page))
                continue
            group = _Span(group.start, paragraph.end, group.page) if group else paragraph
        if group:
            self._emit(group)
        self.pending.clear()

    def _section(self) -> str:
        parts = [text for _, text in self.stack]
        if self.group and self.columns:
            parts.append(self.group)
        return SECTION_SEP.join(parts)

    def _emit(self, span: _Span, columns: tuple[str, ...] = ()) -> None:
        doc = self.doc
        text = doc.text[span.start : span.end]
        section = self._section()
        self.chunks.append(
            Chunk(
                id=content_id(doc.doc_id, section, str(span.start), text),
                doc_id=doc.doc_id,
                title=doc.title,
                source=doc.source,
                kind=doc.kind,
                section=section,
                text=text,
                start=span.start,
                end=span.end,
                page=span.page or None,
                commune=doc.commune,
                year=doc.year,
                columns=columns,
            )
        )


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut text[start:end] at sentence ends into pieces of at most MAX_CHARS where possible."""
    cuts = [start] + [start + m.start() for m in _SENTENCE_END.finditer(text[start:end])]
    pieces: list[tuple[int, int]] = []
    piece_start = start
    for i, cut in enumerate(cuts[1:] + [end], start=1):
        if cut - piece_start > MAX_CHARS and cuts[i - 1] > piece_start:
            pieces.append((piece_start, cuts[i - 1]))
            piece_start = cuts[i - 1]
            while piece_start < end and text[piece_start].isspace():
                piece_start += 1
    pieces.append((piece_start, end))
    return [(s, e) for s, e in pieces if e > s]
