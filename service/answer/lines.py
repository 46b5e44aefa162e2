"""Which lines of one procedure's records carry a question: BM25 among those lines alone.

A citizen's question tells a life story (`bố tôi là chủ hộ vừa mất…`) around the one thing
asked (`có phải công chứng không`). Among the forty to a hundred lines of one procedure, the
words that single out a line are the ones few of its lines share, so the lines are ranked by
BM25 with the record's own line frequencies, the words of the procedure's name left out
(every line is about it), and the lines of the field the question asks for lifted a little.

Lines of other fields that look like the answer (a place for `ở đâu`, a number of days for
`bao lâu`: `procedure.ANSWER_SHAPES`) are lifted the same way. A question typed with
diacritics is matched on syllables with them (`đủ 18 tuổi` must not meet `cơ sở dữ liệu`),
one typed without on folded syllables.

Measured on the blind citizen sets A and B (eval/gold/citizens_a.jsonl, citizens_b.jsonl;
155 key facts of the 93 questions whose procedure was right): the line holding the fact was
among the first 3 lines for 42 % with the answerer's support measure, 59 % with this ranking
(k1 1.2, b 0.3, field lift 0.2 of the best line's score; b 0.75 gave 55 %, a lift of 0 54 %,
0.4 58 %). End to end, answer accuracy on A 0.452 → 0.516 with the ranking, 0.548 → 0.613
with the answer shapes and the two views (B 0.581 both).

`Lines.order` ranks every line for the answer itself: the BM25 above beside what else makes a
line the one a citizen wants (`Weights`: its field, whether the portal words it, how early in
its field it comes, whether it has the answer's shape, its length). Session 5: on the 333
questions of blind sets A–F whose procedure was right, the line holding the fact is among the
first 4 for 220 with these weights fitted on the other five sets each time (leave one set
out), against 174 with `rank`; among the first 6, 248 against 199.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from corpus.vocabulary import QUESTION_FRAME_WORDS
from ingest.records import Chunk
from ingest.textnorm import fold, has_diacritics
from retriever import segment

K1 = 1.2
B = 0.3  # lines vary from ten characters to a thousand; a long one is not penalised much
FIELD_LIFT = 0.2  # added to a line of an asked field, on scores scaled to the best line's


@dataclass(frozen=True)
class Weights:
    """What makes a line the answer (`Lines.order`): a logistic regression of "this line holds
    a key fact" on the lines of the 333 right-procedure questions of blind sets A–F (session
    5; features in [0, 1]), rounded. Leave-one-set-out, the fact's line among the first 4:
    220 of 327 (174 with `rank`); among the first 9: 277 (230)."""

    match: float = 2.0  # BM25 among the procedure's lines, scaled to the best line's
    first: float = 1.25  # a line of the field the question asks for first
    asked: float = 0.8  # a line of any field it asks for
    portal: float = 0.25  # the portal's own wording (facts are quoted from it)
    position: float = -0.6  # × (place in its field, up to 10) / 10: the field's first lines
    shape: float = 1.9  # the shape of the answer (a place, a number of days, a fee)
    length: float = 0.6  # × (characters, up to 600) / 600
    overview: float = -0.55  # the overview's lines (level, sector, agency)
    legal: float = -0.85  # the legal basis's lines


WEIGHTS = Weights()


@dataclass(frozen=True)
class View:
    """The lines in one token view: their token counts, lengths and document frequencies."""

    tokens: list[Counter[str]]
    size: list[int]
    average: float
    df: Counter[str]

    @classmethod
    def of(cls, texts: Sequence[str], view: str) -> View:
        tokens = [Counter(tokenise(view, text)) for text in texts]
        size = [sum(t.values()) for t in tokens]
        average = sum(size) / len(size) if size else 1.0
        return cls(tokens, size, average or 1.0, Counter(t for d in tokens for t in d))

    def scores(self, words: list[str]) -> list[float]:
        """BM25 of each line for `words`."""
        n = len(self.tokens)
        out = []
        for d, size in zip(self.tokens, self.size, strict=True):
            s = 0.0
            for t in words:
                if t in d:
                    idf = math.log(1 + (n - self.df[t] + 0.5) / (self.df[t] + 0.5))
                    s += idf * d[t] * (K1 + 1) / (d[t] + K1 * (1 - B + B * size / self.average))
            out.append(s)
        return out


def tokenise(view: str, text: str) -> list[str]:
    """Syllables with their diacritics (`đủ` is not `dữ`) for a question typed with them, folded
    ones otherwise; each with the pairs of adjacent syllables."""
    if view == "folded":
        return segment.folded(text)
    syllables = segment.syllables(text)
    return syllables + [f"{a}_{b}" for a, b in itertools.pairwise(syllables)]


class Lines:
    """The lines of one procedure's records: (chunk, line) pairs and the field of each,
    tokenised in a view when a question first needs it."""

    def __init__(
        self,
        pairs: Sequence[tuple[Chunk, str]],
        fields: Sequence[str],
        portal: Sequence[bool] = (),
        positions: Sequence[int] = (),
    ):
        """`portal`: whether each line is the portal's wording; `positions`: each line's place
        in its field of its record (0 first)."""
        self.pairs = list(pairs)
        self.fields = list(fields)
        self.portal = list(portal) or [False] * len(self.pairs)
        self.positions = list(positions) or [0] * len(self.pairs)
        self.views: dict[str, View] = {}
        self.folded: list[str | None] = [None] * len(self.pairs)  # folded text, on first use
        # The last question's scores: an answer ranks its lines twice (`rank`, `order`).
        self._last: tuple[tuple[str, str, str], list[float]] | None = None

    def rank(
        self,
        question: str,
        asked: set[str],
        name: str = "",
        shape: re.Pattern[str] | None = None,
        typed: str = "",
    ) -> list[tuple[float, int]]:
        """(score, index) of every line with a positive score, best first. Lifted: the lines
        of the fields the question asks for (`asked`), and the lines elsewhere that have the
        shape of its answer (`shape`, matched folded: a place, a number of days); `name`: the
        procedure's name, whose words do not count; `typed`: the question as the asker typed
        it (without the lexicon's wording, which has diacritics), to choose the view."""
        scores = self.matches(question, name, typed)
        lifted = [self._lifted(i, asked, shape) for i in range(len(scores))]
        out = [
            (s + (FIELD_LIFT if lift else 0.0), i)
            for i, (s, lift) in enumerate(zip(scores, lifted, strict=True))
            if s > 0 or (lift and self.fields[i] not in asked)
        ]
        return sorted(out, key=lambda x: (-x[0], x[1]))

    def order(
        self,
        question: str,
        first: set[str],
        asked: set[str],
        name: str = "",
        shape: re.Pattern[str] | None = None,
        typed: str = "",
        weights: Weights = WEIGHTS,
    ) -> list[tuple[float, int]]:
        """(score, index) of every line, the likeliest answer first (`Weights`): `first` the
        fields of the field asked for first, `asked` those of every field asked for."""
        w = weights
        out = []
        for i, match in enumerate(self.matches(question, name, typed)):
            field, line = self.fields[i], self.pairs[i][1]
            score = (
                w.match * match
                + w.first * (field in first)
                + w.asked * (field in asked)
                + w.portal * self.portal[i]
                + w.position * min(self.positions[i], 10) / 10
                + w.shape * bool(shape and shape.search(self._folded(i)))
                + w.length * min(len(line), 600) / 600
                + w.overview * (field == "overview")
                + w.legal * (field == "legal_basis")
            )
            out.append((score, i))
        return sorted(out, key=lambda x: (-x[0], x[1]))

    def matches(self, question: str, name: str = "", typed: str = "") -> list[float]:
        """BM25 of each line for the question's words but the name's, scaled to the best."""
        key = (question, name, typed)
        last = self._last  # read once: another thread's question may replace it meanwhile
        if last is None or last[0] != key:
            last = self._last = key, self._scores(question, name, typed)
        return last[1]

    def _scores(self, question: str, name: str, typed: str) -> list[float]:
        view_name = "syllables" if has_diacritics(typed or question) else "folded"
        view = self.views.get(view_name)
        if view is None:
            view = self.views[view_name] = View.of([line for _, line in self.pairs], view_name)
        skip = set(tokenise(view_name, name))
        words = [
            t
            for t in dict.fromkeys(tokenise(view_name, question))
            if t not in skip
            and ("_" in t or (fold(t) not in QUESTION_FRAME_WORDS and not t.isdigit()))
        ]
        scores = view.scores(words)
        best = max(scores, default=0.0) or 1.0
        return [s / best for s in scores]

    def _lifted(self, i: int, asked: set[str], shape: re.Pattern[str] | None) -> bool:
        if self.fields[i] in asked:
            return True
        if shape is None:
            return False
        return bool(shape.search(self._folded(i)))

    def _folded(self, i: int) -> str:
        folded = self.folded[i]
        if folded is None:
            folded = self.folded[i] = fold(self.pairs[i][1]).lower()
        return folded
