"""Duty exports an officer can open elsewhere: CSV for a spreadsheet (UTF-8 with a byte-order
mark, which Excel needs to show Vietnamese), and iCalendar (RFC 5545) for a calendar: one
all-day event on the due date of every dated duty, its description naming the lead unit, the
deadline as the plan writes it and where the plan says so."""

from __future__ import annotations

import csv
import datetime
import io

from ingest.duty import Duty

CSV_COLUMNS = (
    "id",
    "commune",
    "plan_title",
    "area",
    "task",
    "product",
    "lead",
    "partners",
    "monitor",
    "leader",
    "deadline_text",
    "due_date",
    "recurrence",
    "source_doc",
    "source_section",
    "source_text",
)


def to_csv(duties: list[Duty]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for d in duties:
        writer.writerow(
            [
                d.id,
                d.commune or "",
                d.plan_title,
                d.area or "",
                d.task,
                d.product or "",
                "; ".join(d.leads),
                "; ".join(d.partners),
                d.monitor or "",
                d.leader or "",
                d.deadline_text or "",
                d.due_date or "",
                d.recurrence or "",
                d.doc_id,
                d.section,
                d.text,
            ]
        )
    return "\ufeff" + out.getvalue()


def to_ics(duties: list[Duty], now: datetime.datetime | None = None) -> str:
    """Dated duties only: a duty without a date (`Thường xuyên`) has no day to put it on."""
    stamp = (now or datetime.datetime.now(datetime.UTC)).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//tthc//nhiem vu ke hoach CCHC//VI",
        "CALSCALE:GREGORIAN",
        "X-WR-CALNAME:Nhiệm vụ CCHC",
    ]
    for d in duties:
        if not d.due_date:
            continue
        due = datetime.date.fromisoformat(d.due_date)
        description = "\n".join(
            filter(
                None,
                [
                    f"Chủ trì: {'; '.join(d.leads)}" if d.leads else None,
                    f"Phối hợp: {'; '.join(d.partners)}" if d.partners else None,
                    f"Thời hạn (theo kế hoạch): {d.deadline_text}" if d.deadline_text else None,
                    f"Nguồn: {d.plan_title} › {d.section}",
                ],
            )
        )
        lines += [
            "BEGIN:VEVENT",
            f"UID:{d.id}@tthc",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{due:%Y%m%d}",
            f"DTEND;VALUE=DATE:{due + datetime.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_escape(_short(d.task))}",
            f"DESCRIPTION:{_escape(description)}",
            f"CATEGORIES:{_escape(d.commune or '')}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 §3.1),
    cut between characters, never inside one."""
    out: list[str] = []
    current = ""
    for char in line:
        if len((current + char).encode("utf-8")) > (75 if not out else 74):
            out.append(current)
            current = ""
        current += char
    out.append(current)
    return "\r\n ".join(out)
