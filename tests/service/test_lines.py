"""Which line of a procedure carries a citizen's question (`service.answer.lines`), and which
of two close procedures a question means (`procedure._more_specific`)."""

from __future__ import annotations

import pytest

from ingest.records import Chunk
from retriever import segment
from service.answer.lines import Lines
from service.answer.procedure import ANSWER_SHAPES, Choice, _legal_rank, _more_specific

# Lines of the portal's record of `Đăng ký khai sinh` (1.001193), abridged.
BIRTH = [
    ("dossier", "- Tờ khai đăng ký khai sinh theo mẫu."),
    (
        "dossier",
        "- Giấy chứng sinh; trường hợp không có Giấy chứng sinh thì nộp văn bản của người "
        "làm chứng xác nhận về việc sinh; nếu không có người làm chứng thì phải có giấy "
        "cam đoan về việc sinh.",
    ),
    ("steps", "1. Người yêu cầu đăng ký khai sinh nộp hồ sơ tại Ủy ban nhân dân cấp xã."),
    (
        "steps",
        "2. Trong thời hạn 60 ngày kể từ ngày sinh con, cha hoặc mẹ có trách nhiệm đăng ký "
        "khai sinh cho con; trường hợp cha, mẹ không thể đăng ký khai sinh cho con thì ông "
        "hoặc bà hoặc người thân thích khác có trách nhiệm đăng ký khai sinh cho trẻ em.",
    ),
    ("channels", "Trực tiếp: thời hạn giải quyết Ngay trong ngày; phí, lệ phí: Miễn lệ phí."),
]


def _lines(rows: list[tuple[str, str]]) -> Lines:
    chunk = Chunk("c", "d", "t", "s", "procedure", "", "", 0, 0)
    return Lines([(chunk, text) for _, text in rows], [field for field, _ in rows])


def _best(lines: Lines, question: str, asked: set[str]) -> str:
    ranked = lines.rank(question, asked, name="Đăng ký khai sinh")
    return lines.pairs[ranked[0][1]][1]


def test_the_line_that_carries_the_question_leads_in_any_field():
    lines = _lines(BIRTH)
    # asked as papers (`giấy gì`), answered by a dossier line deep in the list
    best = _best(lines, "con sinh ở nhà không có giấy chứng sinh thì nộp giấy gì", {"dossier"})
    assert "người làm chứng" in best
    # asked as who may go, answered by a line of the steps
    best = _best(lines, "ông bà nội có được đi làm khai sinh cho cháu không", {"applicants"})
    assert "ông hoặc bà" in best


def test_the_words_of_the_procedure_name_do_not_count():
    lines = _lines(BIRTH)
    ranked = lines.rank("đăng ký khai sinh", set(), name="Đăng ký khai sinh")
    assert ranked == []  # every line is about the procedure: none carries more of it


def _choice(code: str, name: str, score: float) -> Choice:
    return Choice(code, code, name, score)


BIRTH_NAME = ("1.001193", "Đăng ký khai sinh", 1.4)
MOBILE = ("1.003583", "Đăng ký khai sinh lưu động", 1.2)
MARRIAGE = ("1.000894", "Đăng ký kết hôn", 1.5)
AGAIN = ("1.004746", "Đăng ký lại kết hôn", 1.3)


@pytest.mark.parametrize(
    "generic, specific, question, wins",
    [
        # every further syllable asked (the lexicon's `lưu động` for `xuống tận nơi`)
        (BIRTH_NAME, MOBILE, "cán bộ xuống tận nơi làm khai sinh lưu động", "specific"),
        (BIRTH_NAME, MOBILE, "làm khai sinh cho con cần giấy gì", "generic"),
        # one further syllable (`lại`) counts only beside its neighbour (`ký lại`)
        (MARRIAGE, AGAIN, "đăng ký kết hôn bị từ chối có được trả lại tiền không", "generic"),
        (MARRIAGE, AGAIN, "giấy kết hôn mất hết, đăng ký lại kết hôn", "specific"),
    ],
)
def test_a_close_procedure_whose_further_words_the_question_has_comes_first(
    generic, specific, question, wins
):
    first, second = _choice(*generic), _choice(*specific)
    chosen = _more_specific([first, second], set(segment.folded(question)))[0]
    assert chosen is (second if wins == "specific" else first)


def test_a_close_procedure_far_behind_or_not_more_specific_does_not():
    generic = _choice("1.004837", "Đăng ký giám hộ", 1.6)
    ending = _choice("1.004845", "Thủ tục đăng ký chấm dứt giám hộ", 1.0)  # below 0.8 of 1.6
    asked = set(segment.folded("không làm giám hộ nữa, chấm dứt giám hộ"))
    assert _more_specific([generic, ending], asked)[0] is generic
    other = _choice("2.000815", "Chứng thực bản sao từ bản chính", 1.5)
    assert _more_specific([generic, other], asked | {"chung", "thuc"})[0] is generic


def test_a_question_with_diacritics_is_matched_with_them_and_a_place_answers_where():
    lines = _lines(
        [
            ("dossier", "- Thông tin đã có trong Cơ sở dữ liệu quốc gia về dân cư."),
            ("steps", "- Người yêu cầu nộp hồ sơ tại Trung tâm Phục vụ hành chính công."),
        ]
    )
    question = "cháu đủ 18 tuổi, không làm giám hộ nữa thì phải đến đâu"
    ranked = lines.rank(question, {"where"}, "Đăng ký chấm dứt giám hộ", ANSWER_SHAPES["where"])
    assert [i for _, i in ranked] == [1]  # `đủ` is not `dữ`; the step has the shape of a place
    folded = lines.rank("can cuoc du lieu", set(), typed="can cuoc du lieu")
    assert [i for _, i in folded] == [0]  # typed without diacritics: folded syllables


def test_the_legal_basis_reads_law_first_then_decrees_then_circulars():
    lines = [
        "- Thông tư số 04/2020/TT-BTP quy định chi tiết Luật Hộ tịch",
        "- Sửa đổi, bổ sung một số điều của Thông tư số 02/2020/TT-BTP",
        "- Nghị định số 123/2015/NĐ-CP quy định chi tiết Luật Hộ tịch",
        "- Luật 60/2014/QH13",
        "- Bộ luật Dân sự (91/2015/QH13)",
    ]
    assert [line[2:8] for line in sorted(lines, key=_legal_rank)] == [
        "Luật 6",
        "Bộ luậ",
        "Nghị đ",
        "Thông ",
        "Sửa đổ",
    ]


def test_the_answer_order_puts_the_asked_field_and_the_answers_shape_first():
    lines = _lines(BIRTH)
    # `mất bao lâu`: the channel line (a number of days, the field asked) before the rest
    order = lines.order(
        "làm khai sinh mất bao lâu", {"channels"}, {"channels"}, "Đăng ký khai sinh"
    )
    assert lines.fields[order[0][1]] == "channels"
    # a dossier question: the paper the story speaks of, though it is not the list's first
    question = "con sinh ở nhà không có giấy chứng sinh thì nộp giấy gì"
    order = lines.order(question, {"dossier"}, {"dossier"}, "Đăng ký khai sinh")
    assert "người làm chứng" in lines.pairs[order[0][1]][1]
    assert len(order) == len(BIRTH)  # every line is ranked, none dropped
