"""Follow-up questions read in the light of the conversation: after `làm giấy khai sinh cần
giấy tờ gì`, the question `còn lệ phí thì sao?` means the fee of birth registration.

Each session keeps its last few turns in memory (never on disk), for `TTL` seconds. A
question is a follow-up when it says so (`còn …`, `thế còn …`, `… thì sao`, `thủ tục đó`) or
is too short to name a subject of its own (`mất bao lâu?`, `nộp ở đâu?`). A follow-up gets the
previous turn's subject added: the procedure it was answered from, else the previous
question's topic (its words without the asking ones). Everything else is asked as typed.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from ingest.textnorm import fold

TTL = 30 * 60.0
MAX_SESSIONS = 5000
MAX_TURNS = 6
SHORT = 4  # words: a question this short names no subject of its own
_MARKERS = re.compile(
    r"^(?:the con|vay con|con|the|vay|nhung|neu vay)\b|\bthi sao\b|\bthi the nao\b|"
    r"\b(?:thu tuc|giay|viec) (?:do|nay|tren|vua roi)\b|\bcai do\b"
)
_LEAD = re.compile(r"^\s*(?:thế còn|vậy còn|the con|vay con|còn|con|thế|vậy)\s+", re.IGNORECASE)
# What makes a question a question, dropped when an earlier one gives a follow-up its topic:
# `ai chủ trì số hóa hồ sơ ở Dân Hòa?` leaves `số hóa hồ sơ ở Dân Hòa`.
_ASKING = re.compile(
    r"(?<!\w)(?:như thế nào|thế nào|khi nào|bao giờ|bao nhiêu|ở đâu|làm gì|những gì|là gì|"
    r"ai|gì|nào|chủ trì|phối hợp|phụ trách|có|không|chưa|phải|vậy|ạ)(?!\w)|\?",
    re.IGNORECASE,
)
_TRAIL = re.compile(r"\s*(?:thì sao|thi sao|thì thế nào|thi the nao)\s*(?=\??\s*$)", re.IGNORECASE)


@dataclass(frozen=True)
class Turn:
    question: str  # as understood (resolved)
    answer: str
    procedure: str | None = None  # the procedure it was answered from, by name
    topic: str | None = None  # else what it was about: the question without its asking words


def is_follow_up(question: str) -> bool:
    folded = " ".join(re.findall(r"\w+", fold(question)))
    return bool(_MARKERS.search(folded)) or len(folded.split()) <= SHORT


def resolve(
    question: str, last: Turn | None, named: Callable[[str], list[str]] = lambda text: []
) -> str:
    """The question with the previous turn's subject added, when it is a follow-up. `named`
    gives the (folded) communes a text names: a follow-up naming another commune (`còn Đức An
    thì sao?`) takes the subject without the earlier one's."""
    if last is None or not is_follow_up(question):
        return question
    subject = last.procedure or last.topic
    if subject and named(question):
        for commune in named(subject):
            subject = _without(subject, commune)
    if not subject or fold(subject) in fold(question):
        return question
    core = _TRAIL.sub("", _LEAD.sub("", question)).strip().rstrip("?").strip()
    return f"{core} {subject}?" if core else question


def _without(text: str, commune: str) -> str:
    """`text` without the words naming `commune` (folded) and the `ở`/`xã`/`tại` before them."""
    words = text.split()
    folded = [fold(w) for w in words]
    name = commune.split()
    for i in range(len(words) - len(name) + 1):
        if folded[i : i + len(name)] == name:
            start = i - 1 if i and folded[i - 1] in ("o", "xa", "tai", "cua") else i
            return " ".join(words[:start] + words[i + len(name) :])
    return text


def turn_of(question: str, answer) -> Turn:
    """What a later follow-up needs to remember of an answer (`service.answer.compose.Answer`)."""
    procedure = topic = None
    if answer.citations and not answer.abstained:
        if answer.answerer == "procedure":
            procedure = answer.citations[0].get("title")
        else:
            topic = " ".join(_ASKING.sub(" ", question).split()) or None
    return Turn(question, answer.answer, procedure, topic)


class Conversations:
    """Recent turns per session, in memory, bounded in sessions, turns and time."""

    def __init__(self, ttl: float = TTL, clock=time.monotonic):
        self.ttl, self.clock = ttl, clock
        self._sessions: OrderedDict[str, tuple[float, list[Turn]]] = OrderedDict()
        self._lock = threading.Lock()

    def history(self, session_id: str | None) -> list[Turn]:
        if not session_id:
            return []
        with self._lock:
            entry = self._sessions.get(session_id)
            if entry is None or self.clock() - entry[0] > self.ttl:
                self._sessions.pop(session_id, None)
                return []
            return list(entry[1])

    def add(self, session_id: str, turn: Turn) -> None:
        with self._lock:
            _, turns = self._sessions.pop(session_id, (0.0, []))
            self._sessions[session_id] = (self.clock(), (turns + [turn])[-MAX_TURNS:])
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)
