"""Which life situations a question speaks of (`corpus/situations.py`), and which procedures
of a book belong to each: a birth, a death, a marriage…, in the citizen's words."""

from __future__ import annotations

import re
from collections.abc import Iterable

from corpus.situations import SITUATIONS, Situation
from ingest.textnorm import fold


def folded_name(name: str) -> str:
    """A procedure name as the situations' `names` are written: folded, words only."""
    return " ".join(re.findall(r"\w+", fold(name).lower()))


class Situations:
    def __init__(self, items: Iterable[Situation] = SITUATIONS):
        self.items = tuple(items)
        self.by_name = {s.name: s for s in self.items}
        self._said = [(s, re.compile(r"\b(?:" + "|".join(s.words) + r")\b")) for s in self.items]

    def of(self, folded: str) -> tuple[Situation, ...]:
        """The situations a folded question speaks of, in the catalogue's order."""
        return tuple(s for s, said in self._said if said.search(folded))

    @staticmethod
    def holds(situation: Situation, name: str) -> bool:
        """The procedure of this (folded) name belongs to the situation's family."""
        padded = f" {name} "
        return any(f" {n} " in padded for n in situation.names)


CATALOGUE = Situations()
