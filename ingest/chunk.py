"""Chunking along the document's structure.

A chunk never straddles two sections: headings close the running chunk. Paragraphs of one
section are grouped up to `MAX_CHARS`; a longer paragraph is cut at sentence ends. Each table
row is a chunk of its own that keeps its table's column headers; roman-numeral group rows
(`I | Chỉ đạo, điều hành`) become part of the section path of the rows below them.
"""

from __future__ import annotations

import re

from ingest.clean import CELL_SEP
from ingest.records import Chunk, Document, content_id
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
    chunks: list[Chunk] = []
    stack: list[tuple[str, str]] = []  # (heading kind, heading text)
    seen_body_heading = False
    columns: tuple[str, ...] = ()
    group = ""
    pending: list[tuple[int, int, int]] = []  # (start, end, page) of paragraphs to group

    def section() -> str:
        parts = [text for _, text in stack]
        if group and columns:
            parts.append(group)
        return SECTION_SEP.join(parts)

    def emit(start: int, end: int, page: int, cols: tuple[str, ...] = ()) -> None:
        text = doc.text[start:end]
        sec = section()
        chunks.append(
            Chunk(
                id=content_id(doc.doc_id, sec, str(start), text),
                doc_id=doc.doc_id,
                title=doc.title,
                source=doc.source,
                kind=doc.kind,
                section=sec,
                text=text,
                start=start,
                end=end,
                page=page or None,
                commune=doc.commune,
                year=doc.year,
                columns=cols,
            )
        )

    def flush() -> None:
        group: list[int] | None = None  # [start, end, page] of the running group
        for p_start, p_end, p_page in pending:
            if group and p_end - group[0] > MAX_CHARS:
                emit(*group)
                group = None
            if p_end - p_start > MAX_CHARS:
                for s, e in _sentences(doc.text, p_start, p_end):
                    emit(s, e, p_page)
                continue
            if group is None:
                group = [p_start, p_end, p_page]
            group[1] = p_end
        if group:
            emit(*group)
        pending.clear()

    offset = 0
    for line in doc.lines:
        start, end = offset, offset + len(line.text)
        offset = end + 1
        if line.is_row:
            flush()
            cells = [c.strip() for c in line.text.split(CELL_SEP)]
            first = cells[0].lower()
            if first in _HEADER_FIRST or (not columns and not first.isdigit() and len(cells) >= 3):
                if tuple(cells) != columns:
                    columns, group = tuple(cells), ""
                continue
            if _ROMAN.match(cells[0]) and sum(1 for c in cells if c) <= 2:
                group = f"{cells[0]}. " + " ".join(c for c in cells[1:] if c)
                continue
            emit(start, end, line.page, columns)
            continue
        kind = heading_kind(line)
        if kind == "caps" and not seen_body_heading:
            kind = None  # letterhead and title lines are the preamble, not sections
        if kind is not None:
            flush()
            seen_body_heading = True
            push_heading(stack, kind, line.text)
            columns, group = (), ""
            continue
        if columns:
            columns, group = (), ""  # prose after a table ends the table
        pending.append((start, end, line.page))
    flush()
    return chunks


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
