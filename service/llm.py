"""Answers written by a local LLM, shown only when verified; the extractive answer otherwise.

    generator = build_generator(settings)  # None unless TTHC_LLM_BASE_URL is set
    answer = generator.improve(question, extractive_answer)

The model (any OpenAI-compatible chat endpoint: vLLM, Ollama, llama.cpp server, through
langchain's `ChatOpenAI`) sees only the extractive answer's passages, numbered and fenced as
data, and must cite them with `[n]`. Every sentence it writes is checked by
`service.answer.verify`; what fails is removed, and when too much fails (or any sentence
obeys an instruction planted in a document) the extractive answer is served instead, with
`mode` saying which. Calls have a timeout, explicit retries with backoff and a circuit
breaker, so a slow or dead endpoint costs at most `timeout × (retries + 1) + backoff` for a
few questions, then nothing: the breaker's trial call runs in the background. A streamed
answer also has a budget in all (`ChatBackend.from_settings`) that keeps `/api/ask` within
the HTTP layer's request timeout.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import replace
from functools import cached_property

from ingest.textnorm import normalize
from service.answer.cite import renumbered
from service.answer.result import Answer
from service.answer.render import render
from service.answer.verify import (
    MARKER,
    Evidence,
    Sentences,
    is_steered,
    judge,
    renumber,
    split_sentences,
)
from service.settings import Settings

log = logging.getLogger("tthc.llm")

BACKOFF_S = 0.2  # before the first retry; doubles for each further one
MAX_PASSAGE_CHARS = 2000  # the longest passage of the bundled corpus is under 1,000
MAX_HISTORY_TURNS = 3  # previous exchanges shown when condensing a follow-up question
MAX_HISTORY_ANSWER_CHARS = 400
Messages = list[tuple[str, str]]


class Unavailable(Exception):
    """The endpoint gave no usable reply; `reason` is a short code for logs."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class CircuitBreaker:
    """Closed: calls go out. After `failures` consecutive failed calls it opens for
    `reset_s` seconds, when no call goes out; then it grants one trial call (half-open):
    success closes it, failure opens it again. Thread-safe."""

    def __init__(self, failures: int, reset_s: float, clock: Callable[[], float] = time.monotonic):
        self.failures, self.reset_s, self.clock = max(1, failures), reset_s, clock
        self._lock = threading.Lock()
        self._count = 0
        self._opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def acquire(self) -> str | None:
        """ "closed" or "trial" when a call may go out now, None when the circuit is open."""
        with self._lock:
            state = self._state()
            if state == "closed":
                return "closed"
            if state == "half_open" and not self._trial:
                self._trial = True
                return "trial"
            return None

    def success(self) -> None:
        with self._lock:
            self._count, self._opened_at, self._trial = 0, None, False

    def failure(self) -> None:
        with self._lock:
            self._count += 1
            if self._trial or self._count >= self.failures:
                self._opened_at, self._trial = self.clock(), False

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "open" if self.clock() - self._opened_at < self.reset_s else "half_open"


class ChatBackend:
    """One chat model behind an OpenAI-compatible endpoint, with retries and a breaker.

    langchain's own retries are off (`max_retries=0`): this class decides when to retry
    (timeouts, refused connections, 5xx, 408, 429; never other 4xx or malformed replies)
    and counts failed calls for the breaker, so the behaviour is explicit and testable.
    The half-open trial runs in the background with the question that came when it was
    due, whose asker gets the extractive answer at once: nobody waits on an endpoint that
    has been failing."""

    def __init__(
        self,
        chat,
        retries: int,
        stream_budget_s: float,
        breaker: CircuitBreaker,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.chat, self.retries, self.breaker, self.sleep = chat, retries, breaker, sleep
        self.stream_budget_s = stream_budget_s
        self.trial: threading.Thread | None = None  # the last trial call, for tests to join

    @classmethod
    def from_settings(cls, settings: Settings) -> ChatBackend:
        # Imported here: langchain-openai takes a second to import and is only needed when
        # an endpoint is configured.
        from langchain_openai import ChatOpenAI
        from pydantic import SecretStr

        if not settings.llm_model:
            raise ValueError(
                "TTHC_LLM_BASE_URL is set but TTHC_LLM_MODEL is not: set it to the model the "
                "server serves (e.g. TTHC_LLM_MODEL=qwen2.5:7b-instruct), "
                "or unset TTHC_LLM_BASE_URL"
            )
        chat = ChatOpenAI(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            # Local servers ignore the key; the client requires one. ChatOpenAI keeps a str as
            # a SecretStr anyway; passing one is what its signature asks for.
            api_key=SecretStr(settings.llm_api_key or "not-needed"),
            timeout=settings.llm_timeout_s,
            max_retries=0,
            temperature=settings.llm_temperature,
        )
        breaker = CircuitBreaker(settings.llm_breaker_failures, settings.llm_breaker_reset_s)
        # A whole streamed answer, retries included, must end (with one more wait for a
        # piece past the deadline, and one condensing call before it) within the HTTP
        # layer's request timeout, so that the extractive answer can still be served.
        budget = max(
            settings.llm_timeout_s, settings.request_timeout_s - 2 * settings.llm_timeout_s
        )
        return cls(chat, max(0, settings.llm_retries), budget, breaker)

    def complete(self, messages: Messages, retries: int | None = None) -> str:
        """The model's whole reply; raises `Unavailable`."""
        tries = 1 + min(self._acquire(messages), self.retries if retries is None else retries)
        for attempt in range(tries):
            try:
                text = _content(self.chat.invoke(messages))
                if not text.strip():
                    raise ValueError("empty reply")
            except Exception as exc:
                reason, retry = _classify(exc)
                if retry and attempt + 1 < tries:
                    self.sleep(BACKOFF_S * 2**attempt)
                    continue
                self.breaker.failure()
                raise Unavailable(reason) from exc
            self.breaker.success()
            return text
        raise AssertionError("unreachable")

    def stream(self, messages: Messages) -> Generator[str, None, None]:
        """The reply in pieces as the model writes them; raises `Unavailable`. A failure before
        the first piece is retried like `complete`; one after it is not."""
        tries = 1 + self._acquire(messages)
        deadline = time.monotonic() + self.stream_budget_s
        started = settled = False
        try:
            for attempt in range(tries):
                pieces = self.chat.stream(messages)
                try:
                    for chunk in pieces:
                        text = _content(chunk)
                        if time.monotonic() > deadline:
                            raise TimeoutError("stream budget spent")
                        if text:
                            started = True
                            yield text
                    if not started:
                        raise ValueError("empty reply")
                except Exception as exc:
                    reason, retry = _classify(exc)
                    if retry and not started and attempt + 1 < tries:
                        self.sleep(BACKOFF_S * 2**attempt)
                        continue
                    settled = True
                    self.breaker.failure()
                    raise Unavailable(reason) from exc
                finally:
                    pieces.close()
                settled = True
                self.breaker.success()
                return
        finally:
            if not settled and started:  # the reader stopped early; the endpoint did answer
                self.breaker.success()

    def _acquire(self, messages: Messages) -> int:
        """How many retries a call may make now; raises `Unavailable` when the circuit is
        open, or half-open (then the trial starts in the background with `messages`)."""
        grant = self.breaker.acquire()
        if grant == "trial":
            self.trial = threading.Thread(
                target=self._trial, args=(messages,), daemon=True, name="tthc-llm-trial"
            )
            self.trial.start()
        if grant != "closed":
            raise Unavailable("circuit_open")
        return self.retries

    def _trial(self, messages: Messages) -> None:
        """One attempt: the endpoint is back when a first piece of the reply comes in time."""
        try:
            pieces = self.chat.stream(messages)
            try:
                if not any(_content(chunk) for chunk in pieces):
                    raise ValueError("empty reply")
            finally:
                pieces.close()
        except Exception as exc:  # noqa: BLE001 — a background thread reports, never raises
            log.warning("trial call failed: %s", _classify(exc)[0])
            self.breaker.failure()
        else:
            self.breaker.success()


class GroundedGenerator:
    """Writes answers with a `ChatBackend` over an extractive answer's passages and shows only
    what `service.answer.verify` accepts (the engine's `Generator`)."""

    def __init__(self, backend: ChatBackend, max_query_chars: int = 2000):
        self.backend, self.max_query_chars = backend, max_query_chars

    def improve(self, question: str, extractive: Answer) -> Answer:
        """The verified LLM answer (`mode="llm"`), or `extractive` unchanged."""
        if extractive.abstained or not extractive.citations:
            return extractive
        draft = _Draft(question, extractive)
        try:
            text = self.backend.complete(draft.messages)
        except Unavailable as exc:
            return draft.fail(exc.reason).finish()
        for sep, sentence in split_sentences(text):
            draft.add(sep, sentence)
            if draft.stopped:
                break
        return draft.finish()

    def stream(self, question: str, extractive: Answer) -> Iterator[str | Answer]:
        """Verified pieces of text as they are ready, then the final Answer.

        When the LLM answer is used, the pieces joined are exactly its text. When it falls
        back and nothing was sent yet, the extractive answer is sent line by line; when some
        verified sentences were sent already, the final Answer (the `done` event) replaces them."""
        if extractive.abstained or not extractive.citations:
            yield from extractive.answer.splitlines(keepends=True)
            yield extractive
            return
        draft, cutter = _Draft(question, extractive), Sentences()
        pieces = self.backend.stream(draft.messages)
        try:
            for piece in pieces:
                for sep, sentence in cutter.feed(piece):
                    yield from draft.add(sep, sentence)
                    if draft.stopped:
                        break
                if draft.stopped:
                    break
            else:
                for sep, sentence in cutter.flush():
                    yield from draft.add(sep, sentence)
        except Unavailable as exc:
            draft.fail(exc.reason)
        finally:
            pieces.close()
        answer = draft.finish()
        if answer is extractive and not draft.pieces:
            yield from extractive.answer.splitlines(keepends=True)
        yield answer

    def condense(self, history: list[tuple[str, str]], question: str) -> str | None:
        """A follow-up question rewritten to stand alone, from the previous (question,
        answer) pairs, newest last; None on any failure (then ask the question as typed)."""
        fence = _fence()
        turns = "\n".join(
            f"Hỏi: {_defuse(q)}\nĐáp: {_defuse(MARKER.sub('', a))[:MAX_HISTORY_ANSWER_CHARS]}"
            for q, a in history[-MAX_HISTORY_TURNS:]
        )
        messages = [
            (
                "human",
                render("llm_condense", fence=fence, history=turns, question=_defuse(question)),
            )
        ]
        try:
            reply = self.backend.complete(messages, retries=0)  # on the question's path: no retry
        except Unavailable as exc:
            log.warning("condense failed: %s", exc.reason)
            return None
        line = next((line.strip() for line in reply.splitlines() if line.strip()), "")
        line = re.sub(
            r"^(?:câu hỏi(?: độc lập)?|question)\s*:\s*", "", line, flags=re.IGNORECASE
        ).strip(" \"'“”")
        if (
            not line
            or len(line) > self.max_query_chars
            or fence in line
            or "«" in line
            or is_steered(line)
        ):
            log.warning("condense failed: unusable reply")
            return None
        return normalize(line)


def build_generator(settings: Settings) -> GroundedGenerator | None:
    """The LLM answer writer the settings ask for, or None (`TTHC_LLM_BASE_URL` unset)."""
    if not settings.llm_base_url:
        return None
    return GroundedGenerator(
        ChatBackend.from_settings(settings), max_query_chars=settings.max_query_chars
    )


class _Draft:
    """One question's numbered, fenced passages, and the answer assembled from the model's
    sentences as they are verified: markers renumbered in order of use, lead-ins held back
    until a cited sentence follows them."""

    def __init__(self, question: str, extractive: Answer):
        self.extractive = extractive
        self.by_n = {c["n"]: c for c in extractive.citations}
        fence = _fence()
        self.texts = {n: _passage(c) for n, c in self.by_n.items()}
        passages = "\n\n".join(
            f"«{fence} [{n}]»\n{text}\n«/{fence} [{n}]»" for n, text in self.texts.items()
        )
        self.messages: Messages = [
            ("system", render("llm_system", fence=fence)),
            (
                "human",
                render("llm_answer", fence=fence, passages=passages, question=_defuse(question)),
            ),
        ]
        self.verdicts: list = []
        self.pieces: list[str] = []  # what has been released, in order
        self.numbers: dict[int, int] = {}  # passage number given to the model → number shown
        self._pending: list[tuple[str, str]] = []
        self.reason: str | None = None

    @property
    def stopped(self) -> bool:
        return self.reason is not None

    @cached_property
    def evidence(self) -> Evidence:
        """Built when the first sentence comes: an open circuit costs the asker nothing."""
        return Evidence(self.texts)

    def add(self, sep: str, sentence: str) -> list[str]:
        """Verify one sentence; the pieces of text it releases (none when it fails)."""
        verdict = self.evidence.check(sentence)
        self.verdicts.append(verdict)
        if verdict.problem == "injection":
            self.reason = "injection"
        if not verdict.ok:
            log.debug("sentence removed: %s %s", verdict.problem, verdict.detail)
            return []
        if not verdict.markers:
            self._pending.append((sep, verdict.text))
            return []
        for n in verdict.markers:
            self.numbers.setdefault(n, len(self.numbers) + 1)
        released = [*self._pending, (sep, renumber(verdict.text, self.numbers))]
        self._pending = []
        out = [(s if self.pieces or i else "") + text for i, (s, text) in enumerate(released)]
        self.pieces += out
        return out

    def fail(self, reason: str) -> _Draft:
        self.reason = reason
        return self

    def finish(self) -> Answer:
        reason = self.reason or (judge(self.verdicts) if self.verdicts else "empty")
        if reason:
            log.warning("answer falls back to extractive: %s", reason)
            return self.extractive
        citations = renumbered(self.extractive.citations, self.numbers)
        return replace(
            self.extractive, answer="".join(self.pieces), citations=citations, mode="llm"
        )


def _passage(citation: dict) -> str:
    """What the model reads (and the verifier checks against) for one citation: where it
    comes from, then its text."""
    code = citation.get("procedure_code")
    head = " — ".join(
        p for p in (citation.get("title"), citation.get("section"), code and f"mã {code}") if p
    )
    return _defuse(
        f"{head}\n{citation['text'][:MAX_PASSAGE_CHARS]}"
        if head
        else citation["text"][:MAX_PASSAGE_CHARS]
    )


def _fence() -> str:
    """A fence name no document or question can know in advance."""
    return f"TL-{secrets.token_hex(4)}"


def _defuse(text: str) -> str:
    """Text cannot open or close a fence."""
    return text.replace("«", '"').replace("»", '"')


def _content(message) -> str:
    content = message.content
    if isinstance(content, list):  # content blocks
        content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    if not isinstance(content, str):
        raise TypeError("reply without text")
    return content


def _classify(exc: Exception) -> tuple[str, bool]:
    """A short reason for the log, and whether trying again may help."""
    import openai

    if isinstance(exc, openai.APITimeoutError | TimeoutError):
        return "timeout", True
    if isinstance(exc, openai.APIConnectionError):
        return "connection", True
    if isinstance(exc, openai.APIStatusError):
        return f"http_{exc.status_code}", exc.status_code >= 500 or exc.status_code in (408, 429)
    return "bad_response", False
