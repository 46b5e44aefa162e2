"""Questions and what follows them: `/api/ask`, its Server-Sent Events twin, the officers'
`/api/officer/ask` (internal documents answer too), feedback on an answer, and a citizen's
request to delete their conversation. Every answer given is kept, redacted, in the journal
(`service.journal`) and counted in the metrics."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from ingest.textnorm import normalize
from service.answer.compose import Answer
from service.answer.places import in_commune
from service.guard import ERRORS
from service.http.deps import (
    EngineDep,
    JournalDep,
    MaybeEngineDep,
    MetricsDep,
    OfficerScope,
    Runner,
    WorkDep,
)
from service.http.errors import INTERNAL, AnswerNotFound, BadSessionId
from service.http.models import AskIn, FeedbackIn, filters_of

log = logging.getLogger("tthc.http")
router = APIRouter()

Keep = Callable[[str, Answer], dict]


async def _keeper(journal: JournalDep, metrics: MetricsDep) -> Keep:
    """`keep(question, answer)`: record an answer given (journal and metrics), return its JSON."""

    def keep(question: str, answer: Answer) -> dict:
        journal.record_question(
            answer.answer_id,
            question,
            answer.session_id,
            answer.abstained,
            answer.answerer,
            answer.mode,
        )
        metrics.answered(answer.answerer, answer.mode, answer.abstained, answer.reason)
        return answer.to_json()

    return keep


KeepDep = Annotated[Keep, Depends(_keeper)]


@router.post("/api/ask", responses=ERRORS)
async def ask(body: AskIn, engine: EngineDep, work: WorkDep, keep: KeepDep) -> dict:
    answer = await work(
        engine.ask,
        in_commune(body.question, body.commune),
        k=body.k,
        filters=filters_of(body),
        session_id=body.session_id,
    )
    return keep(body.question, answer)


@router.post("/api/officer/ask", responses=ERRORS)
async def officer_ask(
    body: AskIn, scope: OfficerScope, engine: EngineDep, work: WorkDep, keep: KeepDep
) -> dict:
    """As /api/ask, for authenticated officers: internal documents answer too."""
    answer = await work(
        engine.ask,
        in_commune(body.question, body.commune),
        k=body.k,
        filters=filters_of(body),
        scope=scope,
        session_id=body.session_id,
    )
    return keep(body.question, answer)


@router.post(
    "/api/ask/stream",
    responses={200: {"content": {"text/event-stream": {}}}, **ERRORS},
    response_class=StreamingResponse,
)
async def ask_stream(body: AskIn, engine: EngineDep, work: WorkDep, keep: KeepDep):
    """The answer as Server-Sent Events: `start`, `token`… (the text, in order), `done` (the
    whole /api/ask response). Errors before the first event are the usual JSON errors."""
    session = body.session_id or uuid.uuid4().hex
    pieces: Iterator = engine.ask_stream(
        in_commune(body.question, body.commune),
        k=body.k,
        filters=filters_of(body),
        session_id=session,
    )
    first = await work(next, pieces, None)
    return StreamingResponse(
        _events(session, first, pieces, work, lambda answer: keep(body.question, answer)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _event(name: str, data: dict | str) -> bytes:
    payload = json.dumps(data, ensure_ascii=False) if isinstance(data, dict) else data
    return f"event: {name}\ndata: {payload}\n\n".encode()


async def _events(
    session: str,
    first: str | Answer | None,
    pieces: Iterator,
    work: Runner,
    done: Callable[[Answer], dict],
) -> AsyncIterator[bytes]:
    yield _event("start", {"session_id": session})
    piece = first
    try:
        while piece is not None:
            if isinstance(piece, Answer):
                yield _event("done", done(piece))
                return
            yield _event("token", {"text": piece})
            piece = await work(next, pieces, None)  # the engine's threads and time limit
    except Exception:  # the stream has started: the error is an event
        log.exception("stream failed")
        yield _event("error", {"error": {"code": "internal", "message": INTERNAL}})


@router.post("/api/feedback", responses=ERRORS)
async def feedback(body: FeedbackIn, journal: JournalDep, metrics: MetricsDep) -> dict:
    if not journal.has_answer(body.answer_id):
        raise AnswerNotFound(body.answer_id)
    journal.record_feedback(
        body.answer_id, body.rating, normalize(body.comment or "").strip() or None
    )
    metrics.feedback.labels(body.rating).inc()
    return {"ok": True}


@router.delete("/api/sessions/{session_id}", responses=ERRORS)
async def forget(session_id: str, journal: JournalDep, engine: MaybeEngineDep) -> dict:
    """A citizen's request to delete their conversation: its questions and feedback."""
    if len(session_id) > 100:
        raise BadSessionId(session_id)
    removed = journal.forget_session(session_id)
    if engine is not None:
        engine.conversations.forget(session_id)
    return {"ok": True, "removed": removed}
