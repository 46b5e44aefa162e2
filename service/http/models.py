"""Request bodies of the JSON API, validated at the boundary: a question is valid Unicode,
1–2000 characters after normalising and trimming; filters are the retriever's."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field
from pydantic.json_schema import JsonDict

from ingest.textnorm import normalize
from retriever.search import Filters

MAX_QUERY = 2000


class FiltersIn(BaseModel):
    commune: str | None = Field(default=None, max_length=100)
    kind: Literal["plan", "procedure"] | None = None
    year: int | None = Field(default=None, ge=1945, le=2100)


def _clean_question(value: str) -> str:
    """Reject text that is not valid Unicode, empty after trimming, or too long."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("encoding") from None
    value = normalize(value).strip()
    if not value:
        raise ValueError("empty")
    if len(value) > MAX_QUERY:
        raise ValueError("too long")
    return value


# What the schema tells clients; `_clean_question` decides, after normalising and trimming.
QUESTION_SCHEMA: JsonDict = {"minLength": 1, "maxLength": MAX_QUERY, "pattern": r"\S"}
Question = Annotated[str, Field(json_schema_extra=QUESTION_SCHEMA), AfterValidator(_clean_question)]


class SearchIn(BaseModel):
    query: Question
    k: int = Field(default=10, ge=1, le=50)
    filters: FiltersIn | None = None


class FeedbackIn(BaseModel):
    answer_id: str = Field(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")
    rating: Literal["up", "down"]
    comment: str | None = Field(default=None, max_length=1000)


class AskIn(BaseModel):
    question: Question
    session_id: str | None = Field(default=None, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")
    k: int = Field(default=5, ge=1, le=20)
    filters: FiltersIn | None = None
    # The commune whose portal asks (the widget's `data-commune`, the page's `?commune=`):
    # the context of a question that names none (`xã mình`), not a filter.
    commune: str | None = Field(default=None, max_length=100)


def filters_of(body: AskIn | SearchIn) -> Filters | None:
    """The retriever's filters for a request's `filters` (None when it sent none)."""
    return Filters(**body.filters.model_dump()) if body.filters else None
