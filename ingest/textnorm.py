"""One text normaliser for documents and questions alike.

`normalize` makes two spellings of the same Vietnamese word the same string: Unicode NFC and
one tone-mark placement (`hoá` → `hóa`, `thuỷ` → `thủy`, `Uỷ ban` → `Ủy ban`). We keep the
classic placement because it is the one the seed plans use most (`hóa` 82 times, `hoá` 12).
`fold` removes every diacritic (and `đ` → `d`) for matching questions typed without them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

# Bump when `normalize` may return another string for some input: caches of what was
# computed from normalised text (retriever/cache.py) are keyed by it.
NORMALIZER_VERSION = "tones-classic/1"
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền sắc ngã hỏi nặng
# Open syllables ending in these vowel pairs are the only ones where the two conventions
# differ; the classic convention puts the tone on the first vowel of the pair.
_MOVABLE_PAIRS = ("oa", "oe", "uy")
_SPACES = str.maketrans({"\u00a0": " ", "\u200b": None, "\ufeff": None})
# Every letter with a base letter is in these blocks (Latin-1 to Latin Extended Additional,
# and the Ångström sign); tests/ingest/test_textnorm.py checks the whole of Unicode.
_LETTER_BLOCKS = range(0x3000)


def _base(char: str) -> str:
    """The base letter of a character, lower-cased (`Ộ` → `o`)."""
    return unicodedata.normalize("NFD", char)[0].lower()


@cache
def _movable_words() -> re.Pattern[str]:
    """One pattern for the only words `_retone` may change: a whole word (`\\w+`, so no
    combining marks inside it after NFC) ending in a movable pair, whatever its marks. Every
    other word is left alone without being looked at letter by letter."""
    letters: dict[str, list[str]] = {}
    for code in _LETTER_BLOCKS:
        char = chr(code)
        if char.isalnum() and (base := _base(char)) in "oaeuy":
            letters.setdefault(base, []).append(char)

    def cls(base: str) -> str:
        return "[" + "".join(letters[base]) + "]"

    pairs = f"{cls('o')}(?:{cls('a')}|{cls('e')})|{cls('u')}{cls('y')}"
    return re.compile(rf"(?<!\w)\w*(?:{pairs})(?!\w)")


@lru_cache(maxsize=1 << 14)
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
    text = unicodedata.normalize("NFC", text).translate(_SPACES)
    return _movable_words().sub(lambda m: _retone(m.group(0)), text)


def fold(text: str) -> str:
    """Lower-case and strip every diacritic: `Dân Hòa` → `dan hoa`."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace("đ", "d")


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese diacritic (so it was not typed folded)."""
    return fold(text) != text.lower()
