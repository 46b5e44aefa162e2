"""Everyday words → the documents' words (`corpus/lexicon.tsv`).

Citizens write `làm giấy khai sinh`, `photo công chứng`, `nhập hộ khẩu`; the documents say
`đăng ký khai sinh`, `chứng thực bản sao từ bản chính`, `đăng ký thường trú`. A question is
searched with the documents' wording added for every everyday phrase it contains. Phrases
are matched folded and on word boundaries, so `lam giay khai sinh` expands the same way;
the longest phrase wins where two overlap. Its gain is measured in eval/reports/procedures.md.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest.textnorm import fold, normalize


@dataclass(frozen=True)
class Lexicon:
    entries: dict[str, tuple[str, ...]]  # folded everyday phrase → document wordings
    # folded everyday phrase → its words as written in the file (lower case): a question
    # typed with diacritics matches a phrase only where its words are those (`tháng cuối`
    # is not `cưới`); one typed without matches on the folded words alone.
    written: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        """Read the TSV (`everyday`, `document`, `note`); a missing file is an empty lexicon."""
        if not path.is_file():
            return cls({})
        entries: dict[str, list[str]] = {}
        written: dict[str, set[tuple[str, ...]]] = {}
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                everyday, document = (
                    (row.get("everyday") or "").strip(),
                    (row.get("document") or "").strip(),
                )
                if everyday and document:
                    key = _key(everyday)
                    if document not in entries.setdefault(key, []):
                        entries[key].append(normalize(document))
                    written.setdefault(key, set()).add(_words(everyday))
        return cls(
            {k: tuple(v) for k, v in entries.items()},
            {k: tuple(sorted(v)) for k, v in written.items()},
        )

    def __len__(self) -> int:
        return len(self.entries)

    def matches(self, text: str) -> list[str]:
        """The everyday phrases found in `text`, longest first, not overlapping."""
        typed = _words(text)
        words = [fold(w) for w in typed]
        found: list[str] = []
        taken: set[int] = set()
        for size in range(min(8, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                span = set(range(start, start + size))
                phrase = " ".join(words[start : start + size])
                if (
                    phrase in self.entries
                    and not span & taken
                    and self._as_written(phrase, typed[start : start + size])
                ):
                    found.append(phrase)
                    taken |= span
        return found

    def _as_written(self, phrase: str, typed: tuple[str, ...]) -> bool:
        """Every word typed with diacritics is the phrase's word as the file writes it."""
        forms = self.written.get(phrase)
        if not forms:
            return True
        return any(
            all(t == w or t == fold(t) for t, w in zip(typed, form, strict=True)) for form in forms
        )

    def expansions(self, text: str) -> list[str]:
        """The documents' wordings for the everyday phrases in `text`."""
        out: list[str] = []
        for phrase in self.matches(text):
            out += [d for d in self.entries[phrase] if d not in out]
        return out

    def expand(self, text: str) -> str:
        """`text` followed by the documents' wordings of its everyday phrases."""
        extra = self.expansions(text)
        return f"{text} {' ; '.join(extra)}" if extra else text


def _key(text: str) -> str:
    """`text`'s words folded, one space apart: how the lexicon's phrases are keyed."""
    return " ".join(map(fold, _words(text)))


def _words(text: str) -> tuple[str, ...]:
    """The words of `text`, lower case, with their diacritics."""
    return tuple(re.findall(r"\w+", normalize(text).lower()))
