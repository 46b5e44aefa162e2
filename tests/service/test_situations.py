"""The life situations catalogue (corpus/situations.py) and how a question is matched to it."""

from __future__ import annotations

import pytest

from corpus.situations import SITUATIONS
from service.answer.situations import CATALOGUE, Situations, folded_name


@pytest.mark.parametrize(
    "question, expected",
    [
        ("bo toi vua mat, nha phai khai bao gi", ["Có người mất"]),
        ("vo toi moi sinh be can lam giay gi", ["Sinh con"]),
        ("muon nhan con nuoi thi lam gi", ["Nhận con nuôi"]),  # not `nhận con` (parents)
        ("toi muon nhan con rieng cua minh", ["Nhận cha, mẹ, con"]),
        ("dang ky ket hon can mang can cuoc khong", ["Kết hôn", "Căn cước"]),
        ("toi mat vi o cho", []),  # a lost wallet is not a death
    ],
)
def test_a_question_speaks_of_the_situations_its_words_say(question, expected):
    assert [s.name for s in CATALOGUE.of(question)] == expected


def test_a_family_is_told_by_the_procedure_name():
    birth = CATALOGUE.by_name["Sinh con"]
    assert Situations.holds(birth, folded_name("Đăng ký khai sinh lưu động"))
    assert not Situations.holds(birth, folded_name("Đăng ký khai tử"))
    parents = CATALOGUE.by_name["Nhận cha, mẹ, con"]
    assert Situations.holds(parents, folded_name("Đăng ký nhận cha, mẹ, con"))


def test_every_related_situation_exists_and_names_are_folded():
    for situation in SITUATIONS:
        assert all(r in CATALOGUE.by_name for r in situation.related), situation.name
        assert all(n == folded_name(n) for n in situation.names), situation.name
