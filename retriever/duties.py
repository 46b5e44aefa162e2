"""The duty table of a loaded index: structured lookups over the plans' duties.

Duties are extracted at ingestion (`ingest.duty`) and stored with their plan document; here
they are filtered the ways an officer asks: by unit (any alias: `Trung tâm PVHCC`, `TT
PVHCC`, `trung tam phuc vu hanh chinh cong`), by commune, by due date, by a period (`quý
II/2026`: the duties whose deadline falls in it) and by free text over task, product and area.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from collections.abc import Sequence

from corpus.vocabulary import TASK_FILLER
from ingest.duty import Duty
from ingest.textnorm import fold
from ingest.units import unit_key
from retriever import segment
from retriever.store import IndexedDocument

_MAX_UNIT_WORDS = 9  # the longest unit name a question spells out (`Văn phòng Hội đồng nhân dân …`)


@dataclass(frozen=True)
class Period:
    """A span of dates a question names (`quý II/2026` → 2026-04-01 … 2026-06-30)."""

    start: datetime.date
    end: datetime.date
    whole: bool = (
        True  # the deadline lies wholly inside (quý II); False: only its due date (sắp đến hạn)
    )


class DutyTable:
    def __init__(self, documents: Sequence[IndexedDocument]):
        self.duties: list[Duty] = [d for doc in documents for d in doc.duties]
        self.sources: dict[str, str | None] = {
            doc.doc_id: doc.source for doc in documents if doc.duties
        }
        # Worked out once per duty, not per question: unit keys by role, and the words of the task.
        self._keys = {
            d.id: {
                "lead": {unit_key(u) for u in d.leads},
                "partner": {unit_key(u) for u in d.partners},
            }
            for d in self.duties
        }
        self._words = {
            d.id: set(segment.folded(" ".join(filter(None, (d.task, d.product, d.area)))))
            for d in self.duties
        }
        self.unit_keys = {
            unit_key(u)
            for d in self.duties
            for u in (*d.leads, *d.partners)
            if not fold(u).startswith("cac ")
        }

    def __len__(self) -> int:
        return len(self.duties)

    def find(
        self,
        unit: str = "",
        commune: str = "",
        due_before: datetime.date | None = None,
        q: str = "",
        period: Period | None = None,
        role: str = "lead",
    ) -> list[Duty]:
        """Duties that pass every filter given; with `q`, the best-matching first, else by due
        date (undated last), then in document order."""
        out = self.duties
        if unit:
            out = [d for d in out if self.has_unit(d, {unit_key(unit)}, role)]
        if commune:
            wanted = _commune_key(commune)
            out = [d for d in out if d.commune and wanted in _commune_key(d.commune)]
        if due_before:
            out = [
                d
                for d in out
                if d.due_date and datetime.date.fromisoformat(d.due_date) <= due_before
            ]
        if period:
            out = [d for d in out if _within(d, period)]
        if q.strip():
            scored = [(s, d) for d in out if (s := self.match(q, d)) >= 0.5]
            return [d for _, d in sorted(scored, key=lambda sd: -sd[0])]
        return sorted(out, key=lambda d: (d.due_date or "9999", d.doc_id, d.start))

    def has_unit(self, duty: Duty, keys: set[str], role: str = "lead") -> bool:
        """The duty names one of these units (`unit_key`s) as lead, partner or either (`any`)."""
        held = self._keys[duty.id]
        units = held["lead"] | held["partner"] if role == "any" else held[role]
        return bool(units & keys)

    def match(self, text: str, duty: Duty) -> float:
        """Share of the text's words (syllables and pairs, folded) found in the duty's task,
        product and area."""
        words = [t for t in segment.folded(text) if not set(t.split("_")) <= TASK_FILLER]
        if not words:
            return 0.0
        body = self._words[duty.id]
        return sum(1 for w in words if w in body) / len(words)

    def units_in(self, text: str) -> list[str]:
        """Units a question names, longest spelling first (`VP HĐND-UBND` → its canonical key)."""
        words = re.findall(r"[\w&]+(?:-[\w&]+)*", text)
        found: list[str] = []
        i = 0
        while i < len(words):
            for n in range(min(_MAX_UNIT_WORDS, len(words) - i), 0, -1):
                key = unit_key(" ".join(words[i : i + n]))
                if key in self.unit_keys:
                    found.append(key)
                    i += n
                    break
            else:
                i += 1
        return list(dict.fromkeys(found))


def _commune_key(name: str) -> str:
    return re.sub(r"^(xa|phuong|thi tran)\s+", "", fold(name).strip())


def _within(duty: Duty, period: Period) -> bool:
    """The duty's deadline lies inside the period: its due date is in it and its deadline is
    no wider (a `Cả năm` duty is not a duty of `quý IV`)."""
    if not duty.due_date:
        return False
    due = datetime.date.fromisoformat(duty.due_date)
    start = _span_start(duty, due) if period.whole else due
    return period.start <= start and due <= period.end


def _span_start(duty: Duty, due: datetime.date) -> datetime.date:
    """First day of the span the deadline text names: its quarter, month, day or year."""
    text = fold(duty.deadline_text or "")
    if duty.recurrence:
        return due.replace(month=1, day=1)
    if re.search(r"\bquy\b", text):
        return due.replace(month=3 * ((due.month - 1) // 3) + 1, day=1)
    if re.search(r"\bthang\b", text):
        return due.replace(day=1)
    if re.search(r"\d{1,2}/\d{1,2}/\d{4}", text):
        return due
    return due.replace(month=1, day=1)
