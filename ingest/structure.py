"""What a document says about itself: title, commune, province, year, number, and headings.

Heading levels follow the order in which marker kinds first appear (`I.` then `1.` then
`1.1.` then `a)`), as in Vietnamese administrative documents, so a plan that skips a level
still nests correctly.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ingest.records import Line

_HEADING_KINDS = (
    ("roman", re.compile(r"^[IVXLC]+\.\s+\S")),
    ("num3", re.compile(r"^\d{1,2}\.\d{1,2}\.\d{1,2}\.?\s+\S")),
    ("num2", re.compile(r"^\d{1,2}\.\d{1,2}\.?\s+\S")),
    ("num", re.compile(r"^\d{1,2}\.\s+\S")),
    ("alpha", re.compile(r"^[a-zđ]\)\s+\S")),
    ("article", re.compile(r"^Điều\s+\d+\.?\s")),
)
_MAX_HEADING = 120
# Caps lines that close a document (signatures) rather than open a section.
_NOT_SECTIONS = re.compile(r"^(?:KT\.|TM\.|Q\.|CHỦ TỊCH|PHÓ CHỦ TỊCH|NƠI NHẬN)")
_DOC_TYPES = re.compile(r"^(KẾ HOẠCH|QUYẾT ĐỊNH|CHƯƠNG TRÌNH|BÁO CÁO|HƯỚNG DẪN|THÔNG BÁO)\s*:?$")
_TITLE_STOP = re.compile(r"^(?:Căn cứ|Thực hiện|Chủ đề|\(Kèm theo|\(Ban hành|Số:)")
# The type and its subject on one line: `KẾ HOẠCH Tiếp công dân về nuôi ong mật năm 2026`.
_TITLE_ONE_LINE = re.compile(
    r"^(KẾ HOẠCH|QUYẾT ĐỊNH|CHƯƠNG TRÌNH|BÁO CÁO|HƯỚNG DẪN|THÔNG BÁO)\s*:?\s+(\S.{4,200})$"
)
_TITLE_IN_TEXT = re.compile(
    r"ban hành (Kế hoạch .+?)(?: của xã)?(?: cụ thể)? như sau", re.IGNORECASE
)
_UPPER = "A-ZÀ-ỸĐ"
_NAME = rf"[{_UPPER}][\wÀ-ỹ]*(?: [{_UPPER}][\wÀ-ỹ]*){{0,2}}"
_COMMUNE = re.compile(rf"\b(?:xã|XÃ|Xã) ({_NAME})")
_PROVINCE = re.compile(rf"\b(?:tỉnh|thành phố|Thành phố|TỈNH) ({_NAME})")
_NUMBER = re.compile(r"[Ss]ố:\s*(\d*\s*/\s*[A-ZĐ]+-[A-ZĐ]+)")
_YEAR = re.compile(r"(?:năm|giai đoạn)\s+(20\d\d)")


def heading_kind(line: Line) -> str | None:
    """The marker kind of a heading line (`roman`, `num`, …, `caps`), or None for body text."""
    text = line.text
    if line.is_row or len(text) > _MAX_HEADING or text.endswith((".", ";", ",")):
        return None
    for kind, pattern in _HEADING_KINDS:
        if pattern.match(text):
            return kind
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 4 and all(c.isupper() for c in letters) and not _NOT_SECTIONS.match(text):
        return "caps"
    return None


def push_heading(stack: list[tuple[str, str]], kind: str, text: str) -> None:
    """Enter a heading on a section path of (kind, text): a caps heading starts the path
    afresh; a heading of a kind already on the path replaces it and everything below it."""
    kinds = [k for k, _ in stack]
    if kind == "caps":
        stack.clear()
    elif kind in kinds:
        del stack[kinds.index(kind) :]
    stack.append((kind, text))


@dataclass(frozen=True)
class Meta:
    title: str
    commune: str | None
    province: str | None
    year: int | None
    number: str | None


def describe(lines: list[Line], fallback_title: str) -> Meta:
    """Read the document's own statement of what it is."""
    title = _title(lines) or fallback_title
    text = "\n".join(line.text for line in lines)
    head = "\n".join(line.text for line in lines[:40])
    communes = Counter(m.group(1).title() for m in _COMMUNE.finditer(text))
    in_title = _COMMUNE.search(title)
    commune = (
        in_title.group(1) if in_title else (communes.most_common(1)[0][0] if communes else None)
    )
    provinces = Counter(
        m.group(1).title() for m in _PROVINCE.finditer(text) if m.group(1).title() != "Phố"
    )
    province = provinces.most_common(1)[0][0] if provinces else None
    number = _NUMBER.search(head)
    years = _YEAR.findall(title) or _YEAR.findall(head)
    return Meta(
        title=title,
        commune=commune,
        province=province,
        year=int(years[0]) if years else None,
        number=re.sub(r"\s+", "", number.group(1)) if number else None,
    )


def _title(lines: list[Line]) -> str | None:
    for i, line in enumerate(lines[:60]):
        match = _DOC_TYPES.match(line.text)
        if not match:
            continue
        parts = []
        for follower in lines[i + 1 : i + 4]:
            text = follower.text
            if (
                _TITLE_STOP.match(text)
                or follower.is_row
                or heading_kind(follower)
                or text.isupper()
            ):
                break
            parts.append(follower.text)
        if parts:
            kind = match.group(1).capitalize()
            subject = " ".join(parts)
            if subject.startswith("Về"):  # `KẾ HOẠCH` / `Về …` → `Kế hoạch về …`
                subject = subject[0].lower() + subject[1:]
            return f"{kind} {subject}"
    for line in lines[:10]:
        found = _TITLE_ONE_LINE.match(line.text)
        if found and not found.group(2).isupper():
            return f"{found.group(1).capitalize()} {found.group(2)}"
    for line in lines[:60]:
        found = _TITLE_IN_TEXT.search(line.text)
        if found:
            return found.group(1)[0].upper() + found.group(1)[1:]
    return None
