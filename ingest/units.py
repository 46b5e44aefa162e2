"""Unit names in plans: one canonical name per unit, whatever spelling a plan or a user uses.

The same office is `Văn phòng HĐND-UBND xã`, `Văn phòng HĐND&UBND`, `VP HĐND - UBND` or (with a
typo) `Văn phòng HDND-UBND` within one plan, and a question types it any of those ways or
without diacritics. "Việc nào do Trung tâm PVHCC chủ trì" must find the rows that say
`Trung tâm Phục vụ hành chính công xã`, so every name is reduced to a canonical name
(`canonical_unit`) and compared by a folded key (`unit_key`).

A cell may name several units separated by `,` or `;`, but generic groups hold commas
themselves (`Các phòng, ban, đơn vị liên quan`), so `split_units` only starts a new unit at a
piece that starts like a unit name.
"""

from __future__ import annotations

import re

from ingest.textnorm import fold, normalize

# Canonical name → the other spellings the seed plans (and people asking) use. Matching is by
# `_key`, so case, diacritics, `&`/`và`/`-` and a trailing ` xã` need no entries of their own.
ALIASES: dict[str, tuple[str, ...]] = {
    "Trung tâm Phục vụ hành chính công": (
        "Trung tâm PVHCC",
        "TT PVHCC",
        "Trung tâm Phục vụ HCC",
        "Điểm PVHCC",
        "Điểm Phục vụ hành chính công",
        "PVHCC",
    ),
    "Văn phòng HĐND và UBND": (
        "Văn phòng HĐND-UBND",
        "VP HĐND-UBND",
        "Văn phòng Hội đồng nhân dân và Ủy ban nhân dân",
        # The commune's only office; Đức An calls it by its UBND half.
        "Văn phòng UBND",
        "Văn phòng Ủy ban nhân dân",
    ),
    "Phòng Văn hóa - Xã hội": ("Phòng VHXH", "Phòng VHXXH"),
    "Phòng Kinh tế": ("Phòng KT",),
    "Công an xã": ("Công an",),
}

# A piece of a cell that starts with one of these names a unit of its own.
_UNIT_START = re.compile(
    r"^(?:Phòng|Văn [Pp]hòng|VP|Trung tâm|TT|Điểm|Công an|Ban|Các|các|Cơ quan|UBND|Ủy ban|Đảng ủy|"
    r"Hội|Người|ĐVSNCL|Trường|Trạm|Mặt trận|Bộ phận)\b"
)
# Inside a generic group (`Các cơ quan; đơn vị; phòng, ban chuyên môn; ĐVSNCL`) only the name
# of one specific unit starts a new unit.
_SPECIFIC_START = re.compile(
    r"^(?:Phòng [A-ZĐ]|Văn [Pp]hòng|VP |Trung tâm|Điểm|Công an|UBND|Ủy ban|Đảng ủy|Trường|Trạm|"
    r"Mặt trận)"
)
_GENERIC = re.compile(r"^[Cc]ác\s")
# `… xã` ends a unit's name without being part of it, except where `xã` is the object
# (`UBND xã`, `trên địa bàn xã`, `cấp xã`).
_KEEP_XA_AFTER = {"ubnd", "dan", "ban", "cap"}
_TRAILING = " \t.,;:-–"


def _key(name: str) -> str:
    """Case, diacritics, `&`, `và`, dashes and punctuation do not tell units apart."""
    folded = fold(normalize(name)).replace("&", " ")
    words = re.findall(r"[a-z0-9]+", folded)
    return " ".join(w for w in words if w != "va")


_CANONICAL = {_key(name): name for name in ALIASES} | {
    _key(alias): name for name, aliases in ALIASES.items() for alias in aliases
}


def canonical_unit(name: str) -> str:
    """The canonical name of a unit: `Văn phòng HĐND - UBND xã` → `Văn phòng HĐND và UBND`.

    Unknown names come back tidied (white space collapsed, trailing punctuation and a trailing
    ` xã` / ` xã <Tên>` removed); generic groups keep their wording, capitalised."""
    tidy = re.sub(r"\s+", " ", normalize(name)).strip(_TRAILING)
    tidy = re.sub(r"^[-+•]\s*", "", tidy)
    if not tidy:
        return ""
    if _GENERIC.match(tidy):
        return tidy[0].upper() + tidy[1:]
    for candidate in (tidy, _drop_commune(tidy, keep_objects=False)):
        if _key(candidate) in _CANONICAL:
            return _CANONICAL[_key(candidate)]
    tidy = _drop_commune(tidy)
    return tidy[0].upper() + tidy[1:]


def unit_key(name: str) -> str:
    """A folded comparison key: every alias of a unit, typed any way, gives the same key.

    >>> unit_key("TT PVHCC") == unit_key("trung tam phuc vu hanh chinh cong xa")
    True
    """
    return _key(canonical_unit(name))


def split_units(cell: str) -> list[str]:
    """The unit names in one cell, as written (tidied), in order.

    >>> split_units("Văn Phòng HĐND&UBND, các phòng, ban, đơn vị liên quan")
    ['Văn Phòng HĐND&UBND', 'các phòng, ban, đơn vị liên quan']
    """
    parts = re.split(r"\s*([,;])\s*", normalize(cell).strip())
    units: list[str] = []
    for i in range(0, len(parts), 2):
        piece = parts[i].strip(_TRAILING + " ")
        if not piece:
            continue
        if units and _continues(units[-1], piece):
            units[-1] = f"{units[-1]}{parts[i - 1]} {piece}"
        else:
            units.append(piece)
    return [re.sub(r"\s+", " ", unit) for unit in units]


def looks_like_unit(text: str) -> bool:
    """Whether a phrase starts like the name of a unit (`Phòng …`, `Trung tâm …`, `Các …`)."""
    return bool(_UNIT_START.match(normalize(text).strip()))


def _continues(previous: str, piece: str) -> bool:
    if _GENERIC.match(previous):
        return not _SPECIFIC_START.match(piece)
    return not _UNIT_START.match(piece)


def _drop_commune(name: str, keep_objects: bool = True) -> str:
    """`Công an xã Dân Hòa` → `Công an`; `ĐVSNCL trực thuộc UBND xã` stays unless
    `keep_objects` is off (to look up `Văn phòng HĐND - UBND xã` among the aliases)."""
    words = name.split(" ")
    for i in range(len(words) - 1, 0, -1):
        if fold(words[i]) != "xa":
            continue
        after = words[i + 1 :]
        if len(after) <= 3 and all(w[:1].isupper() for w in after):
            keep = keep_objects and fold(words[i - 1]) in _KEEP_XA_AFTER
            if not keep and words[i - 1] not in ("-", "–"):
                return " ".join(words[:i])
        break
    return name
