"""Deadlines of plan duties: the text as written → the last day it allows, and how often.

A plan says when a duty is due in a dozen ways (`Quý II/2026`, `Trước ngày 30/7/2025`,
`Thường xuyên trong năm`, `Sau công bố kết quả`). A question such as "việc nào phải xong
trong quý II" needs a date, so each phrase maps to the LAST day it allows (the team's
conventions, eval/gold/duty-conventions.md):

- `Quý II/2026` → 2026-06-30; a range `Quý II-IV/2026` → the end of its last quarter;
- `Tháng 02/2026`, `trong tháng 7/2025` → the last day of that month;
- `Trước ngày 30/7/2025` → 2025-07-29 (strictly before); `chậm nhất là ngày 15/8/2025` → that day;
- `Năm 2026`, `Trong năm 2025` → 31 December of the year named;
- `Cả năm`, `Thường xuyên trong năm` → 31 December of the plan year, with a recurrence;
- `Thường xuyên`, `Định kỳ hằng tháng` → no date, only a recurrence;
- relative phrases (`Sau công bố kết quả`, `Theo hướng dẫn TP`) → neither;
- several dated milestones → the earliest one.

Matching runs on folded text (`textnorm.fold`), so a deadline typed without diacritics or
with the other tone-mark convention reads the same.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

from ingest.textnorm import fold, normalize


@dataclass(frozen=True)
class Deadline:
    text: str  # as written
    due: datetime.date | None  # the last day the text allows
    recurrence: str | None  # "thường xuyên", "cả năm", "hằng tháng", "hằng quý", …


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_QUARTER_NUM = r"(iv|iii|ii|i|[1-4])(?![a-z0-9])"
_YEAR_TAIL = r"\s*(?:/|nam)\s*(\d{4})"
# Patterns on folded text (lower case, no diacritics), most specific first: a matched span is
# blanked before the next pattern runs, so `tháng 7 năm 2025` is not read again as `năm 2025`.
_DAY = re.compile(
    r"(?:\b(truoc|cham nhat(?:\s+la)?|den|han)\s+)?(?:\bngay\s+)?\b(\d{1,2})/(\d{1,2})/(\d{4})\b"
)
_MONTH = re.compile(r"\bthang\s+(\d{1,2})" + _YEAR_TAIL)
_QUARTER = re.compile(
    r"\bquy\s+" + _QUARTER_NUM + r"(?:\s*[-–]\s*" + _QUARTER_NUM + ")?(?:" + _YEAR_TAIL + ")?"
)
_YEAR = re.compile(r"\bnam\s+(\d{4})\b")
_THIS_YEAR = re.compile(r"\b(?:trong|ca)\s+nam\b(?!\s*\d)")  # "trong năm", "cả năm": the plan year
# A reporting window (`từ ngày 15/12/2025 đến 14/3/2026`) is a cut-off, not a deadline.
_WINDOW = re.compile(
    r"\btu\s+(?:ngay\s+)?\d{1,2}/\d{1,2}/\d{4}\s*(?:den|-|–)\s*(?:ngay\s+)?\d{1,2}/\d{1,2}/\d{4}"
)

_RECURRENCES = (
    (re.compile(r"\bca\s+nam\b(?!\s*\d)"), "cả năm"),
    (re.compile(r"\b(?:hang|moi)\s+tuan\b"), "hằng tuần"),
    (re.compile(r"\b(?:hang|moi)\s+thang\b"), "hằng tháng"),
    (re.compile(r"\b(?:hang|moi)\s+quy\b"), "hằng quý"),
    (re.compile(r"\b(?:hang|moi)\s+nam\b"), "hằng năm"),
    (re.compile(r"\bdinh ky\s+6\s+thang\b"), "6 tháng"),
    (re.compile(r"\bthuong xuyen\b"), "thường xuyên"),
)

# A deadline inside a sentence of prose needs a preposition that makes it one: "trước ngày …",
# "chậm nhất trong tháng …", "trong quý I năm 2026". A bare date in prose is a document's date.
_LEAD_IN = r"\b(?:truoc|cham nhat(?:\s+la)?(?:\s+trong)?|den(?:\s+het)?|trong|hoan thanh trong)\s+"
_IN_PROSE = re.compile(
    _LEAD_IN
    + r"(?:(?:ngay\s+)?\d{1,2}/\d{1,2}/\d{4}\b|thang\s+\d{1,2}"
    + _YEAR_TAIL
    + r"|quy\s+"
    + _QUARTER_NUM
    + r"(?:"
    + _YEAR_TAIL
    + r")?)"
)


def parse_deadline(text: str, plan_year: int | None) -> Deadline:
    """Read one deadline phrase (a table cell or a phrase found in prose).

    >>> parse_deadline("Quý II-IV/2026", 2026).due
    datetime.date(2026, 12, 31)
    >>> parse_deadline("Thuong xuyen trong nam", 2025).due
    datetime.date(2025, 12, 31)
    >>> parse_deadline("Cả năm", 2026).recurrence
    'cả năm'
    """
    folded = _WINDOW.sub(lambda m: " " * len(m.group(0)), _fold_keep_length(normalize(text)))
    dates, folded = _dates(folded, plan_year)
    return Deadline(
        text=text.strip(), due=min(dates) if dates else None, recurrence=_recurrence(folded)
    )


def find_deadline(sentence: str, plan_year: int | None) -> Deadline | None:
    """The deadline a sentence of prose states (`… trước ngày 15/12/2025.`), or None.

    The phrase returned is a verbatim slice of `normalize(sentence)`."""
    text = normalize(sentence)
    folded = _WINDOW.sub(lambda m: " " * len(m.group(0)), _fold_keep_length(text))
    found = [
        parse_deadline(text[m.start() : m.end()], plan_year) for m in _IN_PROSE.finditer(folded)
    ]
    dated = [(d.due, d) for d in found if d.due]
    return min(dated, key=lambda pair: pair[0])[1] if dated else None


def _fold_keep_length(text: str) -> str:
    """`fold`, one character for one, so a match in the folded text is a slice of the original."""
    out = []
    for char in text:
        folded = fold(char)
        out.append(folded if len(folded) == 1 else (folded[:1] or " "))
    return "".join(out)


def _dates(folded: str, plan_year: int | None) -> tuple[list[datetime.date], str]:
    """Every dated milestone in the folded text, and the text with them blanked out."""
    dates: list[datetime.date] = []

    def blank(match: re.Match) -> str:
        return " " * len(match.group(0))

    def on_day(match: re.Match) -> str:
        day = _safe_date(int(match.group(4)), int(match.group(3)), int(match.group(2)))
        if day:
            dates.append(day - datetime.timedelta(days=1) if match.group(1) == "truoc" else day)
        return blank(match)

    def on_month(match: re.Match) -> str:
        month, year = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12:
            dates.append(_month_end(year, month))
        return blank(match)

    def on_quarter(match: re.Match) -> str:
        year = int(match.group(3)) if match.group(3) else plan_year
        if year:
            quarter = _ROMAN[match.group(2) or match.group(1)]
            dates.append(_month_end(year, quarter * 3))
        return blank(match)

    def on_year(match: re.Match) -> str:
        dates.append(datetime.date(int(match.group(1)), 12, 31))
        return blank(match)

    folded = _DAY.sub(on_day, folded)
    folded = _MONTH.sub(on_month, folded)
    folded = _QUARTER.sub(on_quarter, folded)
    folded = _YEAR.sub(on_year, folded)
    if plan_year and _THIS_YEAR.search(folded):
        dates.append(datetime.date(plan_year, 12, 31))
    return dates, folded


def _recurrence(folded: str) -> str | None:
    """The first recurrence the text names (`Định kỳ hằng quý, 6 tháng` → `hằng quý`)."""
    hits = [
        (m.start(), name) for pattern, name in _RECURRENCES for m in [pattern.search(folded)] if m
    ]
    return min(hits)[1] if hits else None


def _month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def _safe_date(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None
