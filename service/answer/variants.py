"""Which variant of a procedure a question asks for (`corpus/variants.py`): the kinds a
procedure's name says (`again`, `renew`, `foreign`…), the kinds a question's everyday words
ask for, the age it gives, and how well the two agree."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from corpus.variants import VARIANTS, Variant
from ingest.textnorm import fold

# What may open a name, or an item of the list of acts it opens with, before its variant
# word: `Thủ tục đăng ký lại kết hôn`, `Cấp đổi…`, `Chứng thực việc sửa đổi…`, `Cấp lại, đổi,
# điều chỉnh thông tin…`.
_LEAD = r"(?:^|, )(?:thu tuc )?(?:(?:dang ky|cap|de nghi|thong bao|chung thuc viec|giai quyet) )?"
# A name that opens with the plain act and then its variants covers the plain case too.
_PLAIN_FIRST = re.compile(r"^(?:thu tuc )?(?:dang ky|cap|cap moi)\s?[,/]")
_UNDER = re.compile(r"\bduoi (\d+) tuoi\b")
_FROM = re.compile(r"\b(?:tu )?(?:du )?(\d+) tuoi tro len\b")
# An age a question gives, not a range it names (`bé dưới 6 tuổi` is the name's words).
_AGE = re.compile(r"\b(?<!duoi )(?<!tren )(?<!qua )(?<!tu )(?<!du )(\d{1,3}) tuoi\b(?! tro)")
_NEWBORN = re.compile(r"\b(moi|vua|so) sinh\b|\b\d+ (ngay|thang) tuoi\b|\bmoi de\b")


@dataclass(frozen=True)
class Kinds:
    """What a procedure's name says of its variant: the acts it opens with (`Cấp lại, đổi,
    điều chỉnh…`: any one of them), its qualifiers (`… lưu động`, `… toàn trình`: each) and
    its ages."""

    acts: frozenset[str]
    qualifiers: frozenset[str]
    under: int | None = None  # `dưới 14 tuổi`
    from_age: int | None = None  # `từ đủ 14 tuổi trở lên`


@dataclass(frozen=True)
class Asked:
    """What a question says of the variant it wants."""

    kinds: frozenset[str]
    age: int | None = None


def _name_text(name: str) -> str:
    """A name folded, lower case, commas kept (`Cấp, cấp lại …` covers the plain case)."""
    return " ".join(re.sub(r"[^\w,]+", " ", fold(name).lower()).split())


class Variants:
    def __init__(self, items: Iterable[Variant] = VARIANTS):
        self.items = tuple(items)
        self._titles = [
            (v, re.compile((_LEAD if v.lead else r"\b") + rf"(?:{v.title})\b")) for v in self.items
        ]
        self.lead = frozenset(v.kind for v in self.items if v.lead)
        self._cues = [(v, re.compile(rf"\b(?:{v.cues})\b")) for v in self.items]
        self.penalised = frozenset(v.kind for v in self.items if v.penalise)

    def of_name(self, name: str) -> Kinds:
        text = _name_text(name)
        under, from_age = _UNDER.search(text), _FROM.search(text)
        kinds = frozenset(v.kind for v, title in self._titles if title.search(text))
        acts = frozenset() if _PLAIN_FIRST.search(text) else kinds & self.lead
        return Kinds(
            acts,
            kinds - self.lead,
            int(under.group(1)) if under else None,
            int(from_age.group(1)) if from_age else None,
        )

    def base(self, name: str) -> str:
        """A name without its variant words (`Gia hạn tạm trú` → `tạm trú`), folded: the
        matter whose variant it is."""
        text = _name_text(name)
        for _, title in self._titles:
            text = title.sub(" ", text)
        return " ".join(text.replace(",", " ").split())

    def asked(self, folded: str) -> Asked:
        """The kinds a folded, lower-case question asks for, and the age it gives (a newborn
        is 0)."""
        age = _AGE.search(folded)
        given = int(age.group(1)) if age else (0 if _NEWBORN.search(folded) else None)
        return Asked(frozenset(v.kind for v, cue in self._cues if cue.search(folded)), given)

    def agreement(self, kinds: Kinds, asked: Asked) -> int:
        """Variant words of the name the question asks for, less those it does not (one of
        the acts a name opens with is enough), less one for an age out of the name's range
        (an age within it adds nothing: `mới sinh bé` may be the mother's matter)."""
        score = len(kinds.qualifiers & asked.kinds)
        score -= len((kinds.qualifiers - asked.kinds) & self.penalised)
        if kinds.acts & asked.kinds:
            score += 1
        elif kinds.acts & self.penalised:
            score -= 1
        if asked.age is not None:
            under = kinds.under is not None and asked.age >= kinds.under
            over = kinds.from_age is not None and asked.age < kinds.from_age
            score -= under or over
        return score


VARIANTS_BOOK = Variants()
