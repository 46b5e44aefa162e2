"""Personal data never reaches a log line or the journal: `redact` masks identity-card
numbers (CCCD 12 digits, CMND 9 digits), phone numbers and e-mail addresses, and
`RedactingFormatter` applies it to every log record, as one JSON object per line.

Runs of nine or more digits (spaces, dots and dashes allowed between groups) are masked
whatever they are: a false positive costs a log line's detail, a miss leaks a citizen's
number. Money written with thousands separators and a currency (`1.200.000 đồng`) is kept.
"""

from __future__ import annotations

import datetime
import json
import logging
import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# +84 or 0, then groups of digits: 0912 345 678, 0912.345.678, +84-912-345-678, 001099012345
# Between digits: nothing, one of ` .-_`, a spaced dash (`0912 - 345 - 678`) or brackets
# (`(091) 234 5678`, `+84 (912) 345 678`). Not `/`: two dates side by side are not a number.
_SEP = r"(?:[ .\-_]|\s?[-–]\s?|\)\s?|\s?\()?"
_DIGITS = re.compile(rf"(?<!\d)\+?\(?\d(?:{_SEP}\d){{8,}}(?!\d)")
_MONEY_AFTER = re.compile(r"\s*(?:đ\b|đồng|dong\b|vnđ|vnd)", re.IGNORECASE)
_MONEY_GROUPS = re.compile(r"\d{1,3}(?:\.\d{3})+")

MASK = {"email": "[email]", "number": "[số]"}


def redact(text: str) -> str:
    """`text` with e-mail addresses and long digit runs (ID cards, phones) masked.

    >>> redact("CCCD 001099012345, gọi 0912.345.678 hoặc a.b@mail.vn")
    'CCCD [số], gọi [số] hoặc [email]'
    >>> redact("lệ phí 1.200.000.000 đồng")
    'lệ phí 1.200.000.000 đồng'
    """
    if not text:
        return text
    text = EMAIL.sub(MASK["email"], text)

    def number(match: re.Match) -> str:
        value = match.group(0)
        if _MONEY_GROUPS.fullmatch(value) and _MONEY_AFTER.match(text, match.end()):
            return value
        return MASK["number"]

    return _DIGITS.sub(number, text)


class RedactingFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any `extra` fields given
    as `extra={"fields": {...}}`; everything redacted after formatting, tracebacks too."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        # Each value redacted before encoding: in the encoded text a newline is `\n`, and its
        # `n` would shield a number that starts a line.
        return json.dumps(
            {k: redact(v) if isinstance(v, str) else v for k, v in entry.items()},
            ensure_ascii=False,
            default=lambda v: redact(str(v)),
        )


# Libraries that talk at INFO about their own insides: faiss's loader tries three builds in
# six lines, sentence-transformers names the model it loads, httpx logs every call to the LLM
# server with its URL (the openai client uses the `httpx2` fork). Their warnings still show;
# the rest only at `TTHC_LOG_LEVEL=debug`.
CHATTY = (
    "faiss",
    "bm25s",
    "sentence_transformers",
    "transformers",
    "tokenizers",
    "huggingface_hub",
    "httpx",
    "httpcore",
    "httpx2",
    "httpcore2",
)


def configure_logging(level: str = "info") -> None:
    """Route every logger (ours, uvicorn's, libraries') through one redacting JSON handler,
    at `level` (`Settings.log_level`); the `CHATTY` libraries at WARNING unless it is debug."""
    number = logging.getLevelNamesMapping()[level.upper()]
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(number)
    for name in CHATTY:  # NOTSET: at debug they follow the root
        logging.getLogger(name).setLevel(
            logging.NOTSET if number <= logging.DEBUG else max(number, logging.WARNING)
        )
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
