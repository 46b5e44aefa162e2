"""What leaves the answer room: one immutable `Answer`, and the one interface every
answerer (the extractive one, the optional LLM writer over it) offers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from retriever.scope import Scope

if TYPE_CHECKING:
    from service.answer.understand import Question
    from service.conversation import Turn


@dataclass(frozen=True)
class Answer:
    answer: str
    # The contract's citation objects, built by `service.answer.cite.Citations` only.
    citations: list[dict] = field(default_factory=list)
    abstained: bool = False
    mode: str = "extractive"  # the contract's values: "extractive" | "llm"
    answerer: str = "passages"  # which extractive answerer: "passages" | "procedure" | "duties"
    session_id: str = ""
    reason: str | None = None  # why the answer declined, when it did
    support: float | None = None
    answer_id: str = ""  # what feedback on this answer refers to
    understood_as: str | None = None  # a follow-up question as read with the conversation
    # What a person reads on a phone is `answer`: the asked fact first, a few lines. The rest
    # (more dossier items, the legal basis, related procedures) is here, behind "Xem thêm".
    details: str = ""

    def to_json(self) -> dict:
        return {
            "answer": self.answer,
            "citations": self.citations,
            "abstained": self.abstained,
            "mode": self.mode,
            "answerer": self.answerer,
            "session_id": self.session_id,
            "reason": self.reason,
            "answer_id": self.answer_id,
            "understood_as": self.understood_as,
            "details": self.details,
        }


class Answerer(Protocol):
    """A question (read once, `service.answer.understand.Question`), who asks, and the
    conversation so far → an `Answer`. `stream` gives the answer's text in pieces as they
    are ready, then the whole `Answer`."""

    def answer(self, question: Question, scope: Scope, history: Sequence[Turn] = ()) -> Answer: ...

    def stream(
        self, question: Question, scope: Scope, history: Sequence[Turn] = ()
    ) -> Iterator[str | Answer]: ...
