"""Answers about plan duties, from the duty records: who leads a task, what is due in a
period, what a unit must do. The answer is a short list; each line is one duty with its lead
unit and deadline, and cites the table row or sentence it comes from.

1. Recognise a duty question (`ai chủ trì`, `phải làm gì`, `việc nào hạn …`, a unit named with
   `chủ trì`/`được giao`/`phải`): `DutyQuestion.read`.
2. Select: the commune it names; the unit it names (any alias); the period (`quý II/2026`:
   deadlines inside it; `trước ngày 01/9/2025`, `trước hết quý I`: due by then); the task
   words left over, matched against task, product and area.
3. "Who leads X" keeps the best-matching duties only; lists keep every duty that qualifies.
   Nothing qualifies → the plans do not say, and the answer declines.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from ingest.deadline import parse_deadline
from ingest.duty import Duty
from ingest.textnorm import fold
from retriever.duties import DutyTable, Period
from service.answer.config import AnswerConfig
from service.answer.render import render

MAX_LISTED = 10
SOON_DAYS = 45  # "sắp đến hạn": due within this many days

_LEAD = re.compile(
    r"\b(ai|don vi nao|co quan nao|phong nao|giao (ai|don vi nao|cho ai))\b.{0,40}"
    r"\b(chu tri|phu trach|thuc hien|duoc giao|tham muu|lam|dung ra|chiu trach nhiem|"
    r"dam nhiem|dam nhan)\b|"
    r"\b(chu tri|giao)\b.{0,12}\b(ai|don vi nao)\b"
)
_LIST = re.compile(
    r"phai lam (gi|nhung gi)|chu tri (nhung |cac )?(viec|nhiem vu)|"
    r"duoc giao (nhung |cac )?(viec|nhiem vu)|(nhiem vu|viec)( \w+){0,2} (gi|nao)|nhung viec|"
    r"han trong|co (nhiem vu|trach nhiem) gi|trach nhiem gi|lam nhung gi|"
    r"(phai|can) (xong|hoan thanh)|han (quy|thang|truoc|den)|den han|sap den han|thoi han|"
    r"phai co truoc|khi nao|lam thuong xuyen|dinh ky"
)
_QUARTER = re.compile(r"\bquy\s+(iv|iii|ii|i|[1-4])(?:\s*(?:/|nam)\s*(\d{4}))?")
_MONTH = re.compile(r"\bthang\s+(\d{1,2})\s*(?:/|nam)\s*(\d{4})")
_DAY = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_BY = re.compile(r"\b(truoc|den het|truoc het|cham nhat|den)\s+(?:ngay\s+)?$")
_TOPIC = re.compile(r"\bve (.+)$")


@dataclass(frozen=True)
class DutyQuestion:
    kind: str  # "lead" | "list"
    commune: str
    units: tuple[str, ...]
    period: Period | None
    due_before: datetime.date | None
    recurring: bool
    table_only: bool  # "trong danh mục / phụ lục": the appendix table, not the prose
    words: str  # what is left of the question to match against tasks

    @classmethod
    def read(
        cls, text: str, communes: tuple[str, ...], table: DutyTable, today: datetime.date
    ) -> DutyQuestion | None:
        folded = re.sub(r"\s+", " ", re.sub(r"[^\w/ -]", " ", fold(text))).strip()
        lead = bool(_LEAD.search(folded))
        units = (
            () if lead else tuple(table.units_in(text))
        )  # in "ai chủ trì …" a unit is part of the task
        if not (
            lead
            or _LIST.search(folded)
            or (units and re.search(r"chu tri|duoc giao|phai lam|nhiem vu|trach nhiem", folded))
        ):
            return None
        period, due_before = _period(folded, today)
        if lead:
            words = folded
            for commune in communes:
                words = words.replace(commune, " ")
        else:  # a list is narrowed only by the topic it names: `… những việc gì về chuyển đổi số`
            topic = _TOPIC.search(folded)
            words = topic.group(1) if topic else ""
        return cls(
            kind="lead" if lead else "list",
            commune=communes[0] if communes else "",
            units=units,
            period=period,
            due_before=due_before,
            recurring=bool(re.search(r"thuong xuyen", folded)),
            table_only=bool(re.search(r"danh muc|phu luc|nhiem vu trong tam", folded)),
            words=_strip_dates(words),
        )


def _period(folded: str, today: datetime.date) -> tuple[Period | None, datetime.date | None]:
    """(period whose deadlines are asked for, or the date everything must be due by)."""
    if "sap den han" in folded or "sap het han" in folded:
        return Period(today, today + datetime.timedelta(days=SOON_DAYS), whole=False), None
    for pattern, kind in ((_DAY, "day"), (_MONTH, "month"), (_QUARTER, "quarter")):
        match = pattern.search(folded)
        if not match:
            continue
        end = parse_deadline(match.group(0), today.year).due
        if end is None:
            continue
        by = _BY.search(folded[: match.start()])
        if kind == "day":  # `trước ngày 01/9/2025`: strictly before, so due by 31/8
            return None, end - datetime.timedelta(days=1) if by and by.group(1) == "truoc" else end
        start = end.replace(day=1) if kind == "month" else end.replace(month=end.month - 2, day=1)
        return (None, end) if by else (Period(start, end), None)
    return None, None


def _strip_dates(folded: str) -> str:
    for pattern in (_DAY, _MONTH, _QUARTER):
        folded = pattern.sub(" ", folded)
    return folded


class DutyAnswerer:
    def __init__(self, table: DutyTable, config: AnswerConfig = AnswerConfig()):
        self.table, self.config = table, config

    def __bool__(self) -> bool:
        return bool(len(self.table))

    def select(self, q: DutyQuestion) -> list[Duty]:
        """The duties that answer the question, best first."""
        pool = self.table.find(commune=q.commune, period=q.period, due_before=q.due_before)
        if q.units:
            pool = [d for d in pool if self.table.has_unit(d, set(q.units))]
        if q.table_only:
            pool = [d for d in pool if d.origin == "table"] or pool
        if q.recurring:
            pool = [d for d in pool if d.recurrence == "thường xuyên" and not d.due_date] or pool
        scored = [(self.table.match(q.words, d), d) for d in pool]
        if q.kind == "lead":
            best = max((s for s, _ in scored), default=0.0)
            if best < self.config.lead_match:
                return []
            return [d for s, d in scored if s >= best - 0.05][:3]
        if q.units or q.period or q.due_before or q.recurring:
            topical = [d for s, d in scored if s >= 0.5] if q.words else []
            return topical or [d for _, d in scored]
        return []  # a list with nothing to select it by is a question for the passages

    def from_passage(self, doc_id: str, start: int, end: int) -> list[Duty]:
        """The duty whose source holds a retrieved passage: "ai chủ trì X" asked in other words
        than the plan's is found by retrieval, then answered from the record."""
        return [
            d
            for d in self.table.duties
            if d.doc_id == doc_id and (d.start <= start < d.end or start <= d.start < end)
        ][:1]

    def compose(self, duties: list[Duty], number) -> str:
        """Header, then one line per duty: task — lead; partners; deadline [n]."""
        plans = sorted({d.plan_title for d in duties})
        out = [render("duty_header", plans="; ".join(plans), count=str(len(duties)))]
        for d in duties[:MAX_LISTED]:
            lead = ", ".join(d.leads) or "không ghi"
            if d.lead_text and fold(d.lead_text) != fold(lead):
                lead += f" (kế hoạch ghi: {d.lead_text})"
            parts = [f"chủ trì: {lead}"]
            if d.leader:
                parts.append(f"lãnh đạo phụ trách: {d.leader}")
            if d.partners:
                parts.append(f"phối hợp: {', '.join(d.partners)}")
            if d.monitor:
                parts.append(f"theo dõi, đôn đốc: {d.monitor}")
            if d.deadline_text:
                parts.append(f"thời hạn: {d.deadline_text}")
            elif d.recurrence:
                parts.append(f"thời hạn: {d.recurrence}")
            task = d.task if not d.product else f"{d.task} (sản phẩm: {d.product})"
            out.append(f"- {task} — {'; '.join(parts)} [{number(d)}]")
        if len(duties) > MAX_LISTED:
            out.append(render("duty_more", count=str(len(duties) - MAX_LISTED)))
        return "\n".join(out)
