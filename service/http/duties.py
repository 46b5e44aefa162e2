"""`/api/duties`: the plans' duties, filtered, as JSON, CSV (a spreadsheet) or iCalendar."""

from __future__ import annotations

import datetime
from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ingest.duty import Duty
from ingest.textnorm import normalize
from service.export import to_csv, to_ics
from service.guard import ERRORS
from service.http.deps import EngineDep, ScopeDep, WorkDep
from service.http.errors import BadDate
from service.settings import Settings

# The other formats: the file, its media type and the name it is saved under.
EXPORTS = {
    "csv": (to_csv, "text/csv; charset=utf-8", "nhiem-vu.csv"),
    "ics": (to_ics, "text/calendar; charset=utf-8", "nhiem-vu.ics"),
}


def router(settings: Settings) -> APIRouter:
    """The route; built per app because the schema states the configured query length."""
    routes = APIRouter()

    @routes.get(
        "/api/duties",
        responses={
            200: {"content": {"application/json": {}, "text/csv": {}, "text/calendar": {}}},
            **ERRORS,
        },
    )
    async def duties(
        engine: EngineDep,
        scope: ScopeDep,
        work: WorkDep,
        unit: str = Query("", max_length=200),
        commune: str = Query("", max_length=100),
        due_before: str | None = Query(
            None, pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra={"format": "date"}
        ),
        q: str = Query("", max_length=settings.max_query_chars),
        role: Literal["lead", "partner", "any"] = "lead",
        format: Literal["json", "csv", "ics"] = "json",
    ):
        """Plan duties; with an officer's key, internal plans' duties too."""
        found = await work(
            engine.duties,
            unit=normalize(unit).strip(),
            commune=normalize(commune).strip(),
            due_before=_date(due_before),
            q=normalize(q).strip(),
            role=role,
            scope=scope,
        )
        return _formatted(found, format)

    return routes


def _date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        raise BadDate(value) from None


def _formatted(found: list[Duty], format: str) -> dict | Response:
    if format not in EXPORTS:
        return {"duties": [d.to_json() for d in found]}
    render, media_type, name = EXPORTS[format]
    return Response(
        render(found),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
