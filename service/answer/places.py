"""Vietnam's administrative units after the 2025 merger (34 provinces, 3,321 communes, wards
and special zones), from the `vietnam-provinces` package's data (2025-10-18), folded:
`Xã Tân Phú` → `tan phu`. A citizen names their commune in passing (`tôi ở xã Tân Phú`):
known, the name is context to set aside, not words of the question.
"""

from __future__ import annotations

import re
from functools import cache

from ingest.textnorm import fold

_KINDS = r"xa|phuong|thi tran|dac khu|tinh|thanh pho|tp"
# A unit's kind, then up to four words of its name (`phường Hòa Bình`, `tỉnh Bà Rịa Vũng Tàu`),
# read ahead so that a name may be followed by the next unit (`xã Tân Phú tỉnh Đồng Nai`).
_MENTION = re.compile(rf"\b({_KINDS})\.?\s+(?=((?:[a-z0-9]+\s*){{1,4}}))")
_PREFIX = re.compile(rf"^(?:{_KINDS})\s+")


@cache
def names() -> frozenset[str]:
    """Folded names of every province and commune-level unit, without their kind."""
    from vietnam_provinces import Province, Ward

    units = [w.name for w in Ward.iter_all()] + [p.name for p in Province.iter_all()]
    return frozenset(_PREFIX.sub("", fold(n).lower()).strip() for n in units)


def mentions(folded: str) -> list[str]:
    """The units a folded, lower-case question names with their kind (`xa tan phu`): the
    longest known name after each kind word."""
    found = []
    for match in _MENTION.finditer(folded):
        words = match.group(2).split()
        for size in range(len(words), 0, -1):
            name = " ".join(words[:size])
            if name in names():
                found.append(f"{match.group(1)} {name}")
                break
    return found


# How a citizen speaks of the commune they are in (`xã mình`, `phường ta`, `địa phương tôi`).
_HOME = re.compile(
    r"\b(?:xã|phường|thị trấn|địa phương)\s+(?:mình|ta|tôi|nhà|này|chúng tôi|chúng ta)\b",
    re.IGNORECASE,
)
_UNIT = re.compile(r"^(?:xã|phường|thị trấn|đặc khu)\s+", re.IGNORECASE)


def in_commune(question: str, commune: str | None) -> str:
    """`question` with `commune` (the portal's own: the widget's `data-commune`) as its
    context: `xã mình` becomes `xã <commune>`. A question that names no unit is left as it is:
    adding the commune to every question took procedure questions to that commune's plans
    (blind sets A–G, session 5: 326 of 434 answers right as typed, 219 with `(xã Đức An)`
    appended to each).

    >>> in_commune("kế hoạch của xã mình có mục tiêu gì", "Đức An")
    'kế hoạch của xã Đức An có mục tiêu gì'
    """
    home = " ".join((commune or "").split())
    if not home:
        return question
    name = _UNIT.sub("", home)
    home = home if name != home else f"xã {home}"  # `Phường Hòa Bình` stays a ward
    return _HOME.sub(home, question)
