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
