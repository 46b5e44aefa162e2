import itertools
import re
import unicodedata

from ingest.textnorm import fold, has_diacritics, normalize
from conftest import CORPUS, SHARED


def test_tone_mark_conventions_become_one_string():
    assert normalize("Văn hoá") == normalize("Văn hóa") == "Văn hóa"
    assert normalize("thuỷ lợi") == normalize("thủy lợi") == "thủy lợi"
    assert normalize("Uỷ ban nhân dân") == "Ủy ban nhân dân"
    assert normalize("khoẻ") == "khỏe"
    assert normalize("HOÁ") == "HÓA"


def test_words_where_conventions_agree_are_untouched():
    for word in ("quý", "quỹ", "hoàn", "thuyết", "hoạch", "khuya", "giữa", "người", "Quý I/2026"):
        assert normalize(word) == word


def test_decomposed_input_is_composed():
    decomposed = "Ho\u0300a"  # `Hòa` typed with a combining grave accent
    assert normalize(decomposed) == "Hòa"
    assert normalize("a\u00a0b\u200b") == "a b"


def test_fold_and_diacritic_detection():
    assert (
        fold("xã Dân Hòa ban hành Kế hoạch chuyển đổi số")
        == "xa dan hoa ban hanh ke hoach chuyen doi so"
    )
    assert fold("Đức An") == "duc an"
    assert has_diacritics("xã Dân Hòa")
    assert not has_diacritics("xa Dan Hoa ban hanh ke hoach")


# The normaliser as it was before it became one compiled pass (a regex callback on every
# word): the oracle the fast one must match character for character.
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def _reference_retone(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tones = [c for c in decomposed if c in _TONES]
    if len(tones) != 1:
        return word
    bare = "".join(c for c in decomposed if c not in _TONES)
    letters = [(i, c) for i, c in enumerate(bare) if not unicodedata.combining(c)]
    base = "".join(c.lower() for _, c in letters)
    pair = base[-2:]
    if pair not in ("oa", "oe", "uy") or len(base) < 2:
        return word
    before = base[:-2]
    if before.endswith("q") or (before and before[-1] in "aeiouy"):
        return word
    target = letters[-2][0]
    end = target + 1
    while end < len(bare) and unicodedata.combining(bare[end]):
        end += 1
    return unicodedata.normalize("NFC", bare[:end] + tones[0] + bare[end:])


def _reference_normalize(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    return re.sub(r"\w+", lambda m: _reference_retone(m.group(0)), text)


def _real_texts() -> list[str]:
    """The seed plans and procedures, and a sample of the portal's records when the crawl
    is beside the checkout."""
    files = sorted((CORPUS / "plans").glob("*.txt")) + sorted(
        (CORPUS / "procedures").glob("*.json")
    )
    portal = SHARED / "data" / "dvcqg-procedures"
    if portal.is_dir():
        files += sorted(portal.glob("*/*.json"))[::40]
    return [f.read_text(encoding="utf-8") for f in files]


def test_one_pass_normaliser_matches_the_rule_per_word_on_real_text():
    texts = _real_texts()
    assert len(texts) > 40
    for text in texts:
        for variant in (text, unicodedata.normalize("NFD", text), text.upper()):
            assert normalize(variant) == _reference_normalize(variant)


def test_one_pass_normaliser_matches_on_every_tone_and_case_of_the_movable_pairs():
    tones = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]
    vowels = ["o", "ô", "ơ", "u", "ư", "a", "ă", "â", "e", "ê", "y", "i"]
    words = []
    for first, second in itertools.product(vowels, repeat=2):
        for tone, on_first in itertools.product(tones, (True, False)):
            pair = first + tone + second if on_first else first + second + tone
            for onset in ("", "h", "q", "th", "ng", "a", "đ", "1", "_"):
                for coda in ("", "n", "c", "1"):
                    words.append(onset + pair + coda)
    text = " ".join(words)
    for variant in (text, text.upper(), text.title(), unicodedata.normalize("NFC", text)):
        assert normalize(variant) == _reference_normalize(variant)


def test_the_movable_letters_are_all_in_the_blocks_scanned():
    """`_movable_words` looks for letters with a base `o a e u y` below U+3000 only; no letter
    elsewhere in Unicode has one of those bases."""
    beyond = [
        chr(code)
        for code in range(0x3000, 0x110000)
        if chr(code).isalnum()
        and unicodedata.normalize("NFD", chr(code))[0].lower() in ("o", "a", "e", "u", "y")
    ]
    assert beyond == []
