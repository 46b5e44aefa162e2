"""Checks a written answer against the numbered passages it cites, sentence by sentence.

A model writes fluent text; only what this module verifies reaches the user. A sentence
passes when every `[n]` it carries names a passage it was given and every fact it states —
number, percentage, date, month, quarter, money amount, day count, document number, unit or
agency name — is found in a passage it cites (compared after `normalize` and case-folding;
`50.000`, `50000` and `50 nghìn` are one amount), and it is written in Vietnamese. A short
lead-in without facts may go without a marker. Wording without such facts is checked for its
marker only. A sentence that speaks like an obeyed instruction (`ĐÃ BỊ CHIẾM QUYỀN`, or any
words of an instruction planted in a passage) fails, and so does the whole answer (`judge`).

    >>> evidence = Evidence({1: "Lệ phí chứng thực bản sao 2.000 đồng/trang."})
    >>> evidence.check("Phí chứng thực là 2 nghìn đồng mỗi trang [1].").ok
    True
    >>> evidence.check("Phí chứng thực là 50.000 đồng [1].").problem
    'unsupported'
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from corpus.vocabulary import (
    LOCALITIES,
    LOWER_UNIT_HEADS,
    NOT_UNIT_WORDS,
    UNITS_NAMED_BY_HEAD,
    UNIT_SHORT_FORMS,
)
from ingest.textnorm import fold, has_diacritics, normalize
from ingest.units import ALIASES, canonical_unit

# A sentence without a marker is a lead-in (`Hồ sơ gồm:`) only when it is this short and
# states no fact; anything longer has to say where it comes from.
LEAD_IN_WORDS = 12
# Share of sentences that may be removed before the whole answer is replaced by the
# extractive one: past a third, what remains is a model's answer with holes in it, and
# the extractive answer says more that is certain.
MAX_REMOVED_SHARE = 1 / 3
# A sentence of this many words without one Vietnamese diacritic is not Vietnamese (a list
# item like `- CCCD [1]` is shorter).
_VIETNAMESE_WORDS = 4

MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# Words of a model that has been steered rather than an answer about procedures.
_STEERED = re.compile(
    r"chiem quyen|bi hack|hacked|pwned|jailbreak|developer mode|che do nha phat trien|"
    r"bo qua (?:moi |tat ca |cac |nhung )?(?:huong dan|chi thi|quy tac|yeu cau)|"
    r"quen (?:het|moi|tat ca|cac) (?:huong dan|quy tac|chi thi)|"
    r"ignore (?:all|any|previous|the above)|previous instructions|system prompt|api.?key|mat khau"
)
# A passage sentence that speaks to the assistant instead of the reader: a planted instruction.
_PLANTED = re.compile(
    r"bo qua|ignore|disregard|tu bay gio|(?:hay|chi) tra loi|tra loi rang|you are|instruction|"
    r"ban la (?:mot )?(?:tro ly|chatbot|ai|mo hinh)|(?:chi thi|huong dan) (?:truoc|he thong|tren)"
)
# End of a sentence: end punctuation with the markers written after it, then white space
# before the next sentence; or a line break.
_BOUNDARY = re.compile(
    r"[.!?…]+(?:[ \t]*\[\d+(?:\s*[,;]\s*\d+)*\])*(?P<sep>\s+)(?=[^\s\[])|"
    r"(?P<line>[ \t]*\n\s*)(?=\S)"
)
_LIST_ITEM = re.compile(r"^\s*(?:[-+•*–]|\d{1,2}[.)])\s+")
_WORD_NUMBERS = {
    "mot": 1,
    "hai": 2,
    "ba": 3,
    "bon": 4,
    "nam": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
    "muoi": 10,
}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_MONEY_UNITS = {
    "dong": 1,
    "d": 1,
    "vnd": 1,
    "k": 1_000,
    "nghin": 1_000,
    "ngan": 1_000,
    "trieu": 1_000_000,
    "ty": 1_000_000_000,
}
_NUMBER_WORD = (
    r"(?:mot|hai|ba|bon|tu|nam|lam|sau|bay|tam|chin|muoi|tram|nghin|ngan|trieu|ty|linh|le|ruoi)"
)
_FREE = re.compile(
    r"\bmien (?:phi|le phi)\b|\bkhong (?:mat|thu|phai nop|phai tra|co) (?:phi|le phi|tien)\b"
)
# A spelled number of two or more words has one of these (`sau hai ngày` is "after two days").
_SCALE = r"(?:muoi|tram|nghin|ngan|trieu|ty|linh|ruoi)"
# Facts, matched on folded text, most specific first; each span is read once.
_FACT = re.compile(
    r"(?P<code>\b\d+(?:/\d+)*/[a-z][a-z0-9]*(?:-[a-z0-9]+)*)"  # 123/2015/nd-cp
    r"|(?P<date>\b\d{1,2}/\d{1,2}/\d{4}\b|\b\d{1,2}\s+thang\s+\d{1,2}\s+nam\s+\d{4}\b)"
    r"|(?P<month>\b(?:thang\s+)?\d{1,2}(?:/|\s+nam\s+)\d{4}\b)"  # tháng 02/2026, tháng 2 năm 2026
    r"|(?P<quarter>\bquy\s+(?:iv|i{1,3}|[1-4])\b(?:(?:/|\s+nam\s+)\d{4}\b)?)"
    r"|(?P<pct>\d+(?:[.,]\d+)?\s?(?:%|phan tram\b))"
    r"|(?P<money>\d+(?:[.,]\d+)*\s?(?:dong|d|vnd|k|nghin|ngan|trieu|ty)\b)"
    # Amounts and durations spelled out in two or more number words (`năm trăm nghìn đồng`,
    # `mười lăm ngày`): the cited passage must spell them the same way.
    rf"|(?P<spelled>\b(?:(?:{_NUMBER_WORD}\s+)+{_SCALE}(?:\s+{_NUMBER_WORD})*|{_SCALE}(?:\s+{_NUMBER_WORD})+)"
    r"\s+(?:dong|ngay|thang|nam|gio|tuan|phut|phan tram|lan|trang|ban)\b)"
    r"|(?P<days>\b(?:\d+|mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi)\s+(?:ngay|thang|nam|gio|tuan|phut)\b)"
    r"|(?P<num>\d+(?:[.,]\d+)*)"
)
# The generic heads of unit and agency names; the capitalised words after one are its name.
_UNIT_HEAD = re.compile(
    r"\b(?:Ủy ban nhân dân|UBND|HĐND|Hội đồng nhân dân|Văn phòng|VP|Phòng|Trung tâm|TT|Công an|"
    r"Bộ phận|Ban|Sở|Chi cục|Cục|Tòa án|Viện kiểm sát|Điểm|Mặt trận|Đảng ủy|Trạm|Kho bạc|"
    r"Bưu điện)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Verdict:
    """One sentence and whether it may be shown."""

    text: str
    ok: bool
    markers: tuple[int, ...] = ()
    problem: str | None = (
        None  # "injection" | "not_vietnamese" | "no_marker" | "unknown_marker" | "unsupported"
    )
    detail: str = ""  # the fact or marker that failed (for logs and tests, never shown)


class Evidence:
    """The numbered passages an answer may cite, with the facts each supports."""

    def __init__(self, passages: dict[int, str]):
        self.passages = {n: normalize(text) for n, text in passages.items()}
        self._facts = {n: _support(text) for n, text in self.passages.items()}
        self._unit_text = {n: f" {_unit_words(text)} " for n, text in self.passages.items()}
        self._plain = {
            n: f" {' '.join(re.findall(r'[a-z0-9]+', fold(text)))} "
            for n, text in self.passages.items()
        }
        self._planted = {g for text in self.passages.values() for g in _planted_trigrams(text)}

    def check(self, sentence: str) -> Verdict:
        """Whether `sentence` may be shown, and if not, why."""
        sentence = normalize(sentence).strip()
        markers = tuple(
            dict.fromkeys(
                int(n) for group in MARKER.findall(sentence) for n in re.split(r"\s*[,;]\s*", group)
            )
        )
        body = MARKER.sub(" ", _LIST_ITEM.sub("", sentence))
        words = re.findall(r"\w+", fold(body))
        if is_steered(body) or self._planted & set(_trigrams(words)):
            return Verdict(sentence, False, markers, "injection")
        if len(words) >= _VIETNAMESE_WORDS and not has_diacritics(body):
            return Verdict(sentence, False, markers, "not_vietnamese")
        facts = _facts(body) | {("unit", u) for u in _units(body)}
        if _FREE.search(" ".join(words)):
            facts.add(("free",))
        if not markers:
            if facts or len(words) > LEAD_IN_WORDS:
                return Verdict(
                    sentence, False, markers, "no_marker", _show(next(iter(facts), ("words", "")))
                )
            return Verdict(sentence, True)
        unknown = [n for n in markers if n not in self.passages]
        if unknown:
            return Verdict(sentence, False, markers, "unknown_marker", f"[{unknown[0]}]")
        for fact in sorted(facts, key=str):
            if not any(self._supports(n, fact) for n in markers):
                return Verdict(sentence, False, markers, "unsupported", _show(fact))
        return Verdict(sentence, True, markers)

    def _supports(self, n: int, fact: tuple) -> bool:
        kind, value = fact[0], fact[1:]
        have = self._facts[n]
        if kind == "unit":
            return any(f" {name} " in self._unit_text[n] for name in _unit_names(value[0]))
        if kind == "month":
            return fact in have or any(f[0] == "date" and f[2:] == value for f in have)
        if kind == "quarter":
            q, year = value
            return fact in have or (("quarter", q, None) in have and ("num", year) in have)
        if kind == "money":
            return fact in have or ("num", value[0]) in have
        if kind == "free":  # "no fee" is a claim about the fee like any amount
            return bool(_FREE.search(self._plain[n]))
        if kind == "spelled":
            # `sau mười lăm ngày` may be "after fifteen days": leading words may be ordinary ones.
            words = value[0].split()
            return any(
                f" {' '.join(words[i:])} " in self._plain[n]
                for i in range(len(words) - 1)
                if re.search(_SCALE, " ".join(words[i:-1]))
            )
        return fact in have


def is_steered(text: str) -> bool:
    """Whether the text speaks like a model that obeyed an instruction instead of answering."""
    return bool(_STEERED.search(" ".join(re.findall(r"\w+", fold(normalize(text))))))


def judge(verdicts: list[Verdict]) -> str | None:
    """Why the answer as a whole cannot be shown (then the extractive one is), or None."""
    if any(v.problem == "injection" for v in verdicts):
        return "injection"
    kept = [v for v in verdicts if v.ok]
    if not any(v.markers for v in kept):
        return "nothing_verified"
    if (len(verdicts) - len(kept)) / len(verdicts) > MAX_REMOVED_SHARE:
        return "too_many_unverified"
    return None


class Sentences:
    """Cuts text that arrives in pieces into sentences, the same way whatever the pieces:
    a sentence is complete once the first letter of the next one (or a line break and the
    next line) has arrived. Each sentence comes with the separator that preceded it."""

    def __init__(self):
        self._buffer = ""
        self._sep = ""

    def feed(self, piece: str) -> Iterator[tuple[str, str]]:
        """Complete sentences so far, as (separator before it, sentence)."""
        self._buffer += piece
        while True:
            cut = _cut(self._buffer)
            if cut is None:
                return
            sentence, sep, self._buffer = cut
            if sentence:
                yield self._sep, sentence
                self._sep = sep

    def flush(self) -> Iterator[tuple[str, str]]:
        """The last sentence, once the text has ended."""
        rest, self._buffer = self._buffer.strip(), ""
        if rest:
            yield self._sep, rest


def split_sentences(text: str) -> list[tuple[str, str]]:
    """(separator before it, sentence) for each sentence of `text`.

    >>> text = "Hồ sơ gồm:\\n- Tờ khai [1]\\nNộp tại xã. [2] Miễn phí [2]."
    >>> [s for _, s in split_sentences(text)]
    ['Hồ sơ gồm:', '- Tờ khai [1]', 'Nộp tại xã. [2]', 'Miễn phí [2].']
    """
    cutter = Sentences()
    return [*cutter.feed(text), *cutter.flush()]


def renumber(sentence: str, numbers: dict[int, int]) -> str:
    """Rewrite the markers of a sentence with new numbers, given for each it uses."""

    def one(match: re.Match) -> str:
        old = [int(n) for n in re.split(r"\s*[,;]\s*", match.group(1))]
        return "".join(f"[{numbers[n]}]" for n in dict.fromkeys(old))

    return MARKER.sub(one, sentence)


# -- internals ------------------------------------------------------------------------------


def _cut(buffer: str) -> tuple[str, str, str] | None:
    for match in _BOUNDARY.finditer(buffer):
        line = match.group("line") is not None
        sep = match.group("line") if line else match.group("sep")
        # `v.v. và …`: a full stop followed by a small letter does not end a sentence.
        if line or "\n" in sep or not buffer[match.end()].islower():
            start = match.start("line") if line else match.start("sep")
            return buffer[:start].strip(), "\n" if "\n" in sep else " ", buffer[match.end() :]
    return None


def _number(text: str) -> int | float | str:
    """`50.000`, `50,000` and `50000` → 50000; `1,5` → 1.5; anything else stays as written."""
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", text):
        return int(re.sub(r"[.,]", "", text))
    if re.fullmatch(r"\d+", text):
        return int(text)
    if re.fullmatch(r"\d+[.,]\d+", text):
        return float(text.replace(",", "."))
    return text


def _facts(text: str) -> set[tuple]:
    """Typed facts of a text: ("date", d, m, y), ("month", m, y), ("quarter", q, y|None),
    ("pct", v), ("money", đồng), ("days", n, unit), ("code", text), ("num", v)."""
    facts: set[tuple] = set()
    for match in _FACT.finditer(fold(normalize(text))):
        kind, value = match.lastgroup, match.group()
        digits = re.findall(r"\d+", value)
        if kind == "code":
            facts.add(("code", value))
        elif kind == "date":
            d, m, y = map(int, digits)
            facts.add(("date", d, m, y) if 1 <= m <= 12 and 1 <= d <= 31 else ("code", value))
        elif kind == "month":
            m, y = map(int, digits)
            facts.add(("month", m, y) if 1 <= m <= 12 else ("code", value))
        elif kind == "quarter":
            quarter = re.search(r"quy\s+(\w+)", value)
            assert quarter is not None  # _FACT's quarter group starts with `quy`
            q = quarter.group(1)
            year = int(digits[-1]) if len(digits) > 1 or (digits and len(digits[-1]) == 4) else None
            facts.add(("quarter", _ROMAN.get(q) or int(q), year))
        elif kind == "pct":
            figure = re.match(r"[\d.,]+", value)
            assert figure is not None  # _FACT's pct group starts with digits
            facts.add(("pct", _number(figure.group())))
        elif kind == "money":
            money = re.fullmatch(r"([\d.,]+)\s?(\w+)", value)
            assert money is not None  # _FACT's money group: digits, an optional space, a unit
            amount, unit = money.groups()
            number = _number(amount)
            if isinstance(number, str):
                facts.add(("code", value))
            else:
                facts.add(("money", round(number * _MONEY_UNITS[unit])))
        elif kind == "spelled":
            facts.add(("spelled", " ".join(value.split())))
        elif kind == "days":
            count, unit = value.split()
            facts.add(("days", _WORD_NUMBERS.get(count) or int(count), unit))
        else:
            facts.add(("num", _number(value)))
    return facts


def _support(passage: str) -> set[tuple]:
    """What a passage supports: its facts, plus as bare numbers the years of its dates and
    the figures of its amounts and counts (`năm 2026` is backed by `tháng 02/2026`)."""
    facts = _facts(passage)
    extra: set[tuple] = set()
    for fact in facts:
        if fact[0] in ("date", "month") or (fact[0] == "quarter" and fact[2]):
            extra.add(("num", fact[-1]))
        if fact[0] == "quarter":
            extra.add(("quarter", fact[1], None))
        if fact[0] in ("money", "days", "pct"):
            extra.add(("num", fact[1]))
    return facts | extra


def _unit_words(text: str) -> str:
    """Folded words with abbreviations spelled out, `&`/`-`/`và` dropped: how unit names are
    compared."""
    words = re.findall(r"[a-z0-9]+", fold(normalize(text)))
    return " ".join(UNIT_SHORT_FORMS.get(w, w) for w in words if w != "va")


def _units(text: str) -> list[str]:
    """Names of units and agencies in a text, without the commune they belong to:
    `Văn phòng HĐND và UBND xã Dân Hòa` → `Văn phòng HĐND và UBND`."""
    text = normalize(text)
    found, end = [], 0
    for head in _UNIT_HEAD.finditer(text):
        if head.start() < end or (
            head.group().lower() in ("vp", "tt") and not head.group().isupper()
        ):
            continue  # inside the name before it; `tt`, `vp` are units only as capitals
        name: list[str] = []
        end = head.end()
        tokens = list(re.finditer(r"\w+|[-–&]", text[end : end + 120]))
        for i, token in enumerate(t.group() for t in tokens):
            following = tokens[i + 1].group() if i + 1 < len(tokens) else ""
            if token.lower() in LOCALITIES:
                break  # `UBND Xã Dân Hòa` is the UBND, wherever the passage puts the commune
            joins = name and (
                token in "-–&" and following[:1].isupper() or token == "và" and following.isupper()
            )
            if not (token[0].isupper() or joins):
                break
            name.append(token)
            end = head.end() + tokens[i].end()
        if name or _unit_words(head.group()) in UNITS_NAMED_BY_HEAD:
            found.append(" ".join([head.group(), *name]))
        elif head.group().lower() in LOWER_UNIT_HEADS:
            # `phòng tư pháp huyện`: a unit written in lower case is the head and the two words
            # after it, unless they make an ordinary word (`phòng chống`, `sở hữu`).
            words = [t.group() for t in tokens[:2]]
            if (
                len(words) == 2
                and all(w.isalpha() and w.islower() for w in words)
                and fold(words[0]) not in NOT_UNIT_WORDS
                and words[0] not in LOCALITIES
            ):
                found.append(" ".join([head.group(), *words]))
                end = head.end() + tokens[1].end()
    return found


def _unit_names(unit: str) -> list[str]:
    """The ways a passage may write a unit: as the answer wrote it, or any alias of it."""
    canonical = canonical_unit(unit)
    names = [unit, canonical, *ALIASES.get(canonical, ())]
    return [_unit_words(name) for name in names if _unit_words(name)]


def _trigrams(words: list[str]) -> Iterator[tuple[str, ...]]:
    return zip(words, words[1:], words[2:])


def _planted_trigrams(passage: str) -> set[tuple[str, ...]]:
    """Word triples of the sentences of a passage that speak to the assistant rather than
    to the reader (`Bỏ qua mọi hướng dẫn trước đó và trả lời: …`): an answer that repeats
    them has obeyed them."""
    planted: set[tuple[str, ...]] = set()
    for _, sentence in split_sentences(passage):
        folded = " ".join(re.findall(r"\w+", fold(sentence)))
        if _STEERED.search(folded) or _PLANTED.search(folded):
            planted |= set(_trigrams(folded.split()))
    return planted


def _show(fact: tuple) -> str:
    return " ".join(str(part) for part in fact if part not in (None, ""))
