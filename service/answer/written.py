"""The optional LLM answerer, behind the same interface as the extractive one: it asks the
extractive answerer first, then lets a `Generator` (service.llm) rewrite that answer in
fluent Vietnamese, showing only what the verifier accepted. Any fault in the writer serves
the extractive answer."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Protocol

from retriever.scope import Scope
from service.answer.result import Answer, Answerer
from service.answer.understand import Question
from service.conversation import Turn

log = logging.getLogger("tthc.engine")


class Generator(Protocol):
    """An answer writer (an LLM) over the extractive answer's passages. It returns only
    verified text; whatever it cannot verify it replaces with the extractive answer."""

    def improve(self, question: str, extractive: Answer) -> Answer: ...

    def condense(self, history: list[tuple[str, str]], question: str) -> str | None:
        """A follow-up rewritten as a standalone question, or None."""
        ...

    def stream(self, question: str, extractive: Answer) -> Iterator[str | Answer]:
        """Verified pieces of text as they are ready, then the final Answer."""
        ...


class Written:
    """`extractive`'s answer, rewritten by `generator` (an `Answerer`)."""

    def __init__(self, extractive: Answerer, generator: Generator):
        self.extractive, self.generator = extractive, generator

    def answer(self, question: Question, scope: Scope, history: Sequence[Turn] = ()) -> Answer:
        answer = None
        for piece in self.stream(question, scope, history):
            answer = piece
        assert isinstance(answer, Answer)
        return answer

    def stream(
        self, question: Question, scope: Scope, history: Sequence[Turn] = ()
    ) -> Iterator[str | Answer]:
        """What the generator has verified, sentence by sentence, then the Answer; a refusal
        or a fault in the writer gives the extractive answer line by line."""
        extractive = self.extractive.answer(question, scope, history)
        if extractive.abstained:
            yield from extractive.answer.splitlines(keepends=True)
            yield extractive
            return
        answer, sent = extractive, False
        try:
            for piece in self.generator.stream(question.raw or question.text, extractive):
                if isinstance(piece, Answer):
                    answer = piece
                else:
                    sent = True
                    yield piece
        except Exception:
            log.exception("generator failed; serving the extractive answer")
            answer = extractive
            if not sent:
                yield from answer.answer.splitlines(keepends=True)
        yield answer
