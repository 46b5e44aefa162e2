"""What the service keeps about its use: questions asked (redacted) and the feedback given
on answers, in one SQLite file beside the index (`$TTHC_DATA_DIR/journal.sqlite`).

Nothing personal is written: text passes through `service.privacy.redact` first, and no
client address is stored. Rows older than the retention setting (`TTHC_RETENTION_DAYS`)
are deleted by `purge`, which the server runs at start and every hour.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from pathlib import Path

from service.privacy import redact

SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    answer_id TEXT PRIMARY KEY, asked REAL NOT NULL, session_id TEXT, question TEXT NOT NULL,
    abstained INTEGER NOT NULL, answerer TEXT, mode TEXT
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, answer_id TEXT NOT NULL, given REAL NOT NULL,
    rating TEXT NOT NULL, comment TEXT
);
CREATE INDEX IF NOT EXISTS questions_asked ON questions(asked);
CREATE INDEX IF NOT EXISTS feedback_given ON feedback(given);
"""
DAY = 86400.0


def _tag(session_id: str | None) -> str | None:
    """Sessions are kept as a one-way tag: enough to delete a conversation on request, and a
    client that chose its own id (digits and all) leaves nothing readable."""
    return hashlib.sha256(session_id.encode()).hexdigest()[:24] if session_id else None


class Journal:
    def __init__(self, path: Path, retention_days: int):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.retention_days = path, retention_days
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    @property
    def _db(self) -> sqlite3.Connection:
        """The connection, opened on first use (and again after `close`)."""
        if self._connection is None:
            self._connection = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None
            )
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.executescript(SCHEMA)
        return self._connection

    def record_question(
        self,
        answer_id: str,
        question: str,
        session_id: str | None,
        abstained: bool,
        answerer: str,
        mode: str,
        now: float | None = None,
    ) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO questions VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    answer_id,
                    now or time.time(),
                    _tag(session_id),
                    redact(question),
                    int(abstained),
                    answerer,
                    mode,
                ),
            )

    def has_answer(self, answer_id: str) -> bool:
        with self._lock:
            return (
                self._db.execute(
                    "SELECT 1 FROM questions WHERE answer_id = ?", (answer_id,)
                ).fetchone()
                is not None
            )

    def record_feedback(
        self, answer_id: str, rating: str, comment: str | None, now: float | None = None
    ) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO feedback (answer_id, given, rating, comment) VALUES (?, ?, ?, ?)",
                (answer_id, now or time.time(), rating, redact(comment) if comment else None),
            )

    def purge(self, now: float | None = None) -> dict[str, int]:
        """Delete everything older than the retention period; returns how many rows went."""
        cutoff = (now or time.time()) - self.retention_days * DAY
        with self._lock:
            questions = self._db.execute(
                "DELETE FROM questions WHERE asked < ?", (cutoff,)
            ).rowcount
            # Feedback goes with its question, whichever is older.
            feedback = self._db.execute(
                "DELETE FROM feedback WHERE given < ? OR answer_id NOT IN "
                "(SELECT answer_id FROM questions)",
                (cutoff,),
            ).rowcount
        return {"questions": questions, "feedback": feedback}

    def forget_session(self, session_id: str) -> int:
        """A citizen's request for deletion: everything asked in their conversation."""
        with self._lock:
            tag = _tag(session_id)
            ids = [
                r[0]
                for r in self._db.execute(
                    "SELECT answer_id FROM questions WHERE session_id = ?", (tag,)
                )
            ]
            self._db.executemany("DELETE FROM feedback WHERE answer_id = ?", [(i,) for i in ids])
            return self._db.execute("DELETE FROM questions WHERE session_id = ?", (tag,)).rowcount

    def rows(self, table: str) -> list[tuple]:
        """Every row of `questions` or `feedback` (for tests and audits)."""
        if table not in ("questions", "feedback"):
            raise ValueError(table)
        with self._lock:
            return self._db.execute(
                f"SELECT * FROM {table}"
            ).fetchall()  # the two fixed names above

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
