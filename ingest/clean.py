"""Cleaning a reader would do: pages of raw text → `Line`s (paragraphs, headings, table rows).

- Unicode NFC and one tone-mark convention (`textnorm.normalize`);
- markdown and HTML markup removed, keeping what it meant (a `##` heading stays its own line,
  a table row stays a row, its cells joined by ` | `);
- debris (`javascript:;`), page-number lines and running headers dropped;
- lines that a PDF wrapped mid-sentence joined back into their paragraph.
"""

from __future__ import annotations

import html
import re
from collections import Counter

from ingest.records import Line
from ingest.textnorm import normalize

CELL_SEP = " | "

_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
_DEBRIS = re.compile(r"javascript:\s*(?:void\(0\))?;?", re.IGNORECASE)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_MD_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
_MD_ESCAPE = re.compile(r"\\([-*_#.()\[\]!|>+])")
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_PAGE_NUMBER = re.compile(
    r"^\s*(?:trang\s*)?[-–]?\s*\d{1,3}\s*[-–]?\s*(?:/\s*\d{1,3})?\s*$", re.IGNORECASE
)

# A line opens a new block when it starts with one of these markers (checked after cleaning).
MARKER = re.compile(r"^(?:[IVXLC]+\.\s|\d{1,2}\.(?:\d{1,2}\.?)*\s|[a-zđ]\)\s|[-+•*–]\s|Điều\s+\d+)")
# Preamble paragraphs of Vietnamese administrative documents that always start afresh.
_OPENERS = re.compile(
    r"^(?:Căn cứ|Thực hiện|Theo đề nghị|Chủ đề|Nơi nhận|\(Kèm theo|\(Ban hành kèm|Số:|QUYẾT ĐỊNH)"
)
_TERMINAL = tuple('.;:!?…"”)')
_WRAP_WIDTH = 50  # a line at least this long without closing punctuation was wrapped by width


_Raw = tuple[str, bool, int, bool]  # text, is_row, page, follows a blank line


def clean(pages: list[str]) -> list[Line]:
    """Turn raw pages into cleaned lines; `Line.page` is 1-based when there are several pages."""
    paged = len(pages) > 1
    raw: list[tuple[str, bool, int, bool]] = []
    after_blank = False
    for number, page in enumerate(pages, start=1):
        for line in page.splitlines():
            cleaned = _clean_line(line)
            if cleaned is None:
                after_blank = after_blank or not line.strip()
                continue
            raw.append((*cleaned, number if paged else 0, after_blank))
            after_blank = False
    return _join(_drop_running_headers(raw))


def _clean_line(line: str) -> tuple[str, bool] | None:
    """One raw line → (text, is_row), or None for a line that carries nothing."""
    line = normalize(html.unescape(line))
    line = _TAG.sub("", line)
    line = _DEBRIS.sub("", line)
    if _MD_TABLE_RULE.match(line) and "-" in line:
        return None
    if "\t" in line or line.lstrip().startswith("|"):
        cells = line.strip().strip("|").split("|") if "\t" not in line else line.split("\t")
        cells = [strip_inline_markup(cell) for cell in cells]
        while cells and not cells[-1]:
            cells.pop()
        if not any(cells):
            return None
        if sum(1 for c in cells if c) == 1 and cells[0]:
            return cells[0], False  # a "table" of one cell is just a line
        return CELL_SEP.join(cells), True
    text = strip_inline_markup(_MD_HEADING.sub("", line))
    if not text or _PAGE_NUMBER.match(text):
        return None
    return text, False


def strip_inline_markup(text: str) -> str:
    """Remove markdown emphasis and escapes; collapse white space."""
    text = _MD_EMPHASIS.sub(r"\2", text)
    text = _MD_ITALIC.sub(r"\1", text)
    text = _MD_ESCAPE.sub(r"\1", text)
    text = text.replace("**", "")
    return re.sub(r"\s+", " ", text).strip()


def _drop_running_headers(lines: list[_Raw]) -> list[_Raw]:
    """Drop short non-structural lines repeated on three or more pages (running headers)."""
    pages_of: dict[str, set[int]] = {}
    for text, row, page, _ in lines:
        if not row and page and len(text) <= 80 and not MARKER.match(text):
            pages_of.setdefault(text, set()).add(page)
    running = {text for text, pages in pages_of.items() if len(pages) >= 3}
    if not running:
        return lines
    counts = Counter(item[0] for item in lines)
    return [item for item in lines if not (item[0] in running and counts[item[0]] >= 3)]


def _is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _continues(prev: str, cur: str, after_blank: bool) -> bool:
    """Whether `cur` is the rest of the paragraph `prev`, cut by a line wrap."""
    if MARKER.match(cur) or _OPENERS.match(cur):
        return False
    if prev.endswith(_TERMINAL):
        return False
    if _is_caps(prev):
        return _is_caps(cur) and not after_blank  # a heading wrapped over two lines
    if _is_caps(cur):
        return False  # a heading or signature line after a paragraph, not its continuation
    first = cur[0]
    if first.islower() or first in '(,“"':
        return True
    if MARKER.match(prev) and len(prev) < 60:
        return False  # `1. Mục đích` then a new paragraph
    return len(prev) >= _WRAP_WIDTH


def _join(lines: list[_Raw]) -> list[Line]:
    out: list[Line] = []
    for text, row, page, after_blank in lines:
        if out and not row and not out[-1].is_row and _continues(out[-1].text, text, after_blank):
            prev = out[-1]
            out[-1] = Line(f"{prev.text} {text}", prev.page, False)
        else:
            out.append(Line(text, page, row))
    return out
