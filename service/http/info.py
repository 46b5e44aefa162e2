"""What the service says about itself: the suggested questions, and the notices (AI
assistant, privacy) with the office to turn to."""

from __future__ import annotations

from fastapi import APIRouter

from retriever.store import IndexMissing
from service.answer.render import lines, office, render
from service.guard import ERRORS
from service.engine import Engine
from service.http.deps import EngineDep, SettingsDep

router = APIRouter()


@router.get("/api/suggestions", responses=ERRORS)
def suggestions() -> dict:
    return {"suggestions": list(lines("suggestions"))}


def _procedures(engine: Engine) -> dict | None:
    try:
        return engine.procedure_count()
    except IndexMissing:  # no index yet: the notices still stand
        return None


@router.get("/api/about", responses=ERRORS)
def about(settings: SettingsDep, engine: EngineDep) -> dict:
    """The notices, and how many procedures the service knows and from where (`catalogue`:
    the team's checked records; `portal`: the national portal's, imported from the crawl)."""
    return {
        "procedures": _procedures(engine),
        "assistant_notice": render("assistant_notice", office=office()),
        "privacy_notice": render(
            "privacy_notice", days=str(settings.retention_days), office=office()
        ),
        "retention_days": settings.retention_days,
        "office": office(),
    }
