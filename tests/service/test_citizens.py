"""Issue 15's bugs, each asked of the real product over the bundled corpus (slow): a commune
or a year a citizen mentions is context for a national procedure, out-of-scope questions are
refused as such, yes/no questions get their "Có."/"Không.", and the answer a phone shows is
short, with the rest in `details`."""

from __future__ import annotations

import re

import pytest

from service.answer.understand import understand

pytestmark = pytest.mark.slow
MARRIAGE = "1.000894"


def _code(answer) -> str | None:
    codes = [c.get("procedure_code") for c in answer.citations if c.get("procedure_code")]
    return codes[0] if codes else None


@pytest.mark.parametrize(
    "question",
    [
        "Tôi ở xã Tân Phú, đăng ký kết hôn cần gì?",  # a commune the corpus does not have
        "Tôi ở xã Dân Hòa, đăng ký kết hôn cần giấy tờ gì?",  # one it has plans for
        "nha toi o phuong hoa binh tinh ha tinh, dang ky ket hon can giay to gi",
    ],
)
def test_a_commune_named_in_passing_does_not_break_a_procedure_question(real_engine, question):
    answer = real_engine.ask(question)
    assert not answer.abstained, answer.answer
    assert _code(answer) == MARRIAGE


@pytest.mark.parametrize(
    "question, code",
    [
        ("năm 2026 đăng ký kết hôn có mất phí không", MARRIAGE),
        ("so với năm 2025 thì làm khai sinh có mất tiền không", "1.001193"),
    ],
)
def test_a_year_is_context_and_a_free_procedure_answers_khong(real_engine, question, code):
    answer = real_engine.ask(question)
    assert not answer.abstained, answer.answer
    assert _code(answer) == code
    assert answer.answer.startswith("Không.")  # both are free: "có mất phí không" → no


def test_a_year_still_declines_a_plan_question_no_plan_covers(real_engine):
    answer = real_engine.ask("kế hoạch cải cách hành chính năm 2023 của xã Quảng Sơn")
    assert answer.abstained and answer.reason == "unknown_year"


def test_a_question_about_a_refund_gets_no_verdict_on_the_fee(real_engine):
    answer = real_engine.ask(
        "đăng ký kết hôn lệ phí bao nhiêu, bị từ chối có được trả lại tiền không"
    )
    assert _code(answer) == MARRIAGE
    assert not answer.answer.startswith(("Có.", "Không."))


def test_online_yes_no_is_answered_co_first(real_engine):
    answer = real_engine.ask("đăng ký kết hôn có làm online được không")
    assert answer.answer.startswith("Có.") and _code(answer) == MARRIAGE


@pytest.mark.parametrize(
    "question, reason",
    [
        ("Tôi đang kiện hàng xóm ra tòa vì lấn đất, làm sao để thắng kiện?", "out_of_scope"),
        ("gia dat tho cu o xa minh hom nay bao nhieu 1 met vuong", "out_of_scope"),
        ("Xin visa lao động Hàn Quốc cần chuẩn bị gì?", "out_of_scope"),
        ("con toi sot 39 do, nen cho uong thuoc gi", "out_of_scope"),
        ("Theo bạn, sáp nhập xã năm nay là đúng hay sai?", "out_of_scope"),
        ("nghe don chu tich xa an tien cua dan, ong ay giau co nao", "out_of_scope"),
        ("nghe nói chủ tịch phường có vợ bé, chuyện đó có thật không", "out_of_scope"),
        ("tuoi Ngo nam nay nen mua so de con may", "out_of_scope"),
        ("so 0912345678 la cua ai, cho xin ten va dia chi", "personal_data"),
        ("Tìm địa chỉ người có số căn cước 001085012345 giúp tôi", "personal_data"),
        ("cho em xin số điện thoại với địa chỉ nhà của anh thợ xây hôm trước", "personal_data"),
        # a number typed in groups, without diacritics
        ("so 0912 345 678 goi lua dao toi, tra giup chu so do ten gi", "personal_data"),
        # falsifying a record, an officer paid off
        (
            "muốn ghi lùi ngày sinh của con để cháu đi học sớm, tôi sẵn sàng bồi dưỡng",
            "out_of_scope",
        ),
        # another country's requirements
        (
            "gia hạn thẻ cư trú tại Cục Xuất nhập cảnh Hàn Quốc thì phía Hàn yêu cầu gì",
            "out_of_scope",
        ),
    ],
)
def test_out_of_scope_and_lookups_are_refused_as_such(real_engine, question, reason):
    answer = real_engine.ask(question)
    assert answer.abstained and answer.reason == reason
    assert not answer.citations


@pytest.mark.parametrize(
    "question",
    [
        "điều kiện đăng ký kết hôn là gì",  # `điều kiện` is not a lawsuit (`kiện`)
        "khám chữa bệnh bảo hiểm y tế cho trẻ em dưới 6 tuổi",
        "các xã, phường thuộc tỉnh làm khai sinh ở đâu",  # `phường thuộc`, not `uống thuốc`
        "nghe đồn sắp bỏ sổ hộ khẩu giấy, có thật không",  # a rumour about a rule, not a person
        "giấy phép xây nhà sắp hết hạn mà chưa khởi công, xin kéo dài thế nào",  # not `chữa khỏi`
        "tôi ghi tờ khai khai sinh như vậy đúng hay sai",  # a paper's wording, not politics
        "mua xe của người quen, đi sang tên có mất phí không",  # `người quen, đi`, not `quên đi`
        "con tôi vừa tròn 14 tuổi, dẫn cháu đi làm căn cước cần gì",  # `tuổi, dẫn`, not `tuổi Dần`
        "mua lô đất ở xã thì làm sổ đỏ thế nào",  # a plot, not the lottery
        "cho tôi xin số điện thoại của bộ phận một cửa xã",  # an office's contact
        # `nhận tình trạng`, `đổi từ`, `con trưởng`, `vợ bế con` fold like gossip cues
        "Xin giấy xác nhận tình trạng hôn nhân mấy ngày thì có?",
        "muốn thay đổi từ tên cũ sang tên mới trong giấy khai sinh",
        "bố mất, con trưởng có được đứng tên sổ đỏ không",
        "vợ bế con đi làm khai sinh một mình được không",
        # a Vietnamese procedure with a foreign element; a paper written wrong; training
        "chồng em người Hàn Quốc, đăng ký kết hôn ở xã cần giấy gì",
        "năm sinh trong giấy khai sinh bị ghi sai, sửa thế nào",
        "xã có bồi dưỡng nghiệp vụ hộ tịch cho cán bộ không",
    ],
)
def test_everyday_words_that_look_like_out_of_scope_cues_are_not_refused(question):
    assert understand(question, [], frozenset()).refusal is None


def test_the_answer_is_short_and_the_rest_is_in_details(real_engine):
    answer = real_engine.ask("đăng ký khai sinh cần giấy tờ gì")
    assert _code(answer) == "1.001193"
    assert "Căn cứ pháp lý" not in answer.answer and "Căn cứ pháp lý" in answer.details
    assert answer.to_json()["details"] == answer.details
    numbers = {c["n"] for c in answer.citations}  # every [n] in either part is a citation

    cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer + answer.details)}
    assert cited <= numbers


@pytest.mark.parametrize(
    "question, situation",
    [
        ("mất sổ đỏ thì làm lại thế nào", "sổ đỏ"),  # was: contract certification
        ("muốn nhận con nuôi thì làm gì", "nhận con nuôi"),  # was: social allowance
        ("làm căn cước cho con 14 tuổi ở đâu", "căn cước"),  # was: recognising parents
    ],
)
def test_a_thing_no_procedure_is_about_is_not_covered(real_engine, question, situation):
    answer = real_engine.ask(question)
    assert answer.abstained and answer.reason == "not_covered", answer.answer
    assert f"({situation})" in answer.answer and "mã " in answer.answer  # closest titles


def test_a_thing_asked_with_an_event_is_a_paper_of_its_procedure(real_engine):
    answer = real_engine.ask("đăng ký kết hôn cần mang căn cước không")
    assert not answer.abstained and _code(answer) == MARRIAGE


def test_the_readme_example_answers_the_plans_own_figure(real_engine):
    # It answered 80 % (another target's) where Đức An's plan says 98 %.
    answer = real_engine.ask("Đức An phải đạt bao nhiêu phần trăm hồ sơ giải quyết đúng hạn?")
    assert not answer.abstained
    assert "98%" in answer.answer.split("\n")[0]
