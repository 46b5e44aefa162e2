from ingest.textnorm import fold, has_diacritics, normalize


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
