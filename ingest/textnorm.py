"""One text normaliser for documents and questions alike.

`normalize` makes two spellings of the same Vietnamese word the same string: Unicode NFC and
one tone-mark placement (`hoá` → `hóa`, `thuỷ` → `thủy`, `Uỷ ban` → `Ủy ban`). We keep the
classic placement because it is the one the seed plans use most (`hóa` 82 times, `hoá` 12).
`fold` removes every diacritic (and `đ` → `d`) for matching questions typed without them.
"""

from __future__ import annotations

import re
import unicodedata

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền sắc ngã hỏi nặng
_SYLLABLE = re.compile(r"\w+")
# Open syllables ending in these vowel pairs are the only ones where the two conventions
# differ; the classic convention puts the tone on the first vowel of the pair.
_MOVABLE_PAIRS = ("oa", "oe", "uy")


def _retone(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tones = [c for c in decomposed if c in _TONES]
    if len(tones) != 1:
        return word
    bare = "".join(c for c in decomposed if c not in _TONES)
    # base letters with their index in `bare`, skipping the non-tone combining marks
    letters = [(i, c) for i, c in enumerate(bare) if not unicodedata.combining(c)]
    base = "".join(c.lower() for _, c in letters)
    pair = base[-2:]
    if pair not in _MOVABLE_PAIRS or len(base) < 2:
        return word
    before = base[:-2]
    if before.endswith("q") or (before and before[-1] in "aeiouy"):
        return word  # `quý`, `quỹ`: the u belongs to qu; a longer vowel run is not our case
    target = letters[-2][0]
    end = target + 1
    while end < len(bare) and unicodedata.combining(bare[end]):
        end += 1
    return unicodedata.normalize("NFC", bare[:end] + tones[0] + bare[end:])


def normalize(text: str) -> str:
    """NFC, one tone-mark convention, no zero-width or non-breaking spaces.

    >>> normalize("Văn hoá - Thuỷ lợi") == normalize("Văn hóa - Thủy lợi")
    True
    """
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    return _SYLLABLE.sub(lambda m: _retone(m.group(0)), text)


def fold(text: str) -> str:
    """Lower-case and strip every diacritic: `Dân Hòa` → `dan hoa`."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace("đ", "d")


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese diacritic (so it was not typed folded)."""
    return fold(text) != text.lower()
