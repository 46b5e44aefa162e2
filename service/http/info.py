"""What the service says about itself: the suggested questions, and the notices (AI
assistant, privacy) with the office to turn to."""

from __future__ import annotations

from fastapi import APIRouter

from service.answer.render import lines, office, render
from service.guard import ERRORS
from service.http.deps import SettingsDep

router = APIRouter()


@router.get("/api/suggestions", responses=ERRORS)
def suggestions() -> dict:
    return {"suggestions": list(lines("suggestions"))}


@router.get("/api/about", responses=ERRORS)
def about(settings: SettingsDep) -> dict:
    return {
        "assistant_notice": render("assistant_notice", office=office()),
        "privacy_notice": render(
            "privacy_notice", days=str(settings.retention_days), office=office()
        ),
        "retention_days": settings.retention_days,
        "office": office(),
    }
