"""Which variant of a procedure a question asks for (service/answer/variants.py): the names'
variant words, the everyday words that ask for them, ages, and how they agree."""

from __future__ import annotations

import pytest

from ingest.textnorm import fold
from service.answer.understand import understand
from service.answer.variants import VARIANTS_BOOK as V


@pytest.mark.parametrize(
    ("name", "acts", "qualifiers"),
    [
        ("Thủ tục đăng ký lại kết hôn", {"again"}, set()),
        ("Cấp đổi thẻ căn cước", {"renew"}, set()),
        ("Gia hạn tạm trú", {"extend"}, set()),
        ("Xóa đăng ký thường trú", {"withdraw"}, set()),
        ("Chứng thực việc sửa đổi, bổ sung, hủy bỏ giao dịch", {"change"}, set()),
        (
            "Cấp lại, đổi, điều chỉnh thông tin trên sổ BHXH, thẻ BHYT",
            {"again", "renew", "change"},
            set(),
        ),
        (
            "Cấp lại chứng nhận đăng ký xe, biển số xe bằng dịch vụ công trực tuyến toàn trình",
            {"again"},
            {"fully_online"},
        ),
        ("Thủ tục đăng ký khai sinh lưu động", set(), {"mobile"}),
        ("Đăng ký kết hôn có yếu tố nước ngoài", set(), {"foreign"}),
        # The plain act first: the name covers the plain case too.
        ("Đăng ký, đăng ký lại, điều chỉnh đóng BHXH tự nguyện; cấp sổ BHXH", set(), set()),
        ("Cấp, cấp lại Giấy xác nhận nuôi trồng thủy sản lồng bè", set(), set()),
        ("Đăng ký khai sinh", set(), set()),
        # `đối với` is not `đổi`.
        ("Giao đất, cho thuê đất đối với trường hợp giao đất không đấu giá", set(), set()),
    ],
)
def test_the_variant_words_of_a_name(name: str, acts: set[str], qualifiers: set[str]):
    kinds = V.of_name(name)
    assert (set(kinds.acts), set(kinds.qualifiers)) == (acts, qualifiers)


def test_the_ages_of_a_name():
    assert V.of_name("Cấp thẻ căn cước cho người dưới 14 tuổi").under == 14
    assert V.of_name("Cấp thẻ căn cước cho người từ đủ 14 tuổi trở lên").from_age == 14


@pytest.mark.parametrize(
    ("question", "kinds", "age"),
    [
        ("Giấy kết hôn của bố mẹ bị mối ăn mất, sổ ở xã cũng thất lạc", {"again"}, None),
        (
            "tên con tôi trong giấy khai sinh bị ghi sai, muốn sửa lại",
            {"change", "bundle_birth"},
            None,
        ),
        ("Giấy phép xây nhà sắp hết hạn, xin kéo dài thêm", {"extend", "renew"}, None),
        # a changed detail asks for a change, not a new card (`Cấp lại, cấp đổi …`)
        ("quán tạp hóa đổi địa chỉ sang chỗ mới, báo thay đổi cho hộ kinh doanh", {"change"}, None),
        # a motorbike is a property other than land or a house
        (
            "xe máy nát quá định bán sắt vụn, có phải nộp lại biển số không",
            {"withdraw", "not_real_estate"},
            None,
        ),
        ("chồng tôi là người Hàn Quốc, làm giấy kết hôn ở đâu", {"foreign"}, None),
        ("con tôi vừa tròn 14 tuổi, làm căn cước cần gì", set(), 14),
        ("bé mới sinh được một tuần", set(), 0),
        # A range the question names is not an age it gives; `hồ sơ` is not `họ`.
        ("làm khai sinh kèm thẻ BHYT cho bé dưới 6 tuổi", {"bundle_birth"}, None),
        ("cần giấy xác nhận để bổ sung hồ sơ xin việc", set(), None),
        ("quán bún nhà tôi định nghỉ bán 2 tháng", {"pause"}, None),
        ("quán ăn thua lỗ muốn đóng cửa hẳn", {"close"}, None),
        ("cán bộ có xuống tận nơi làm khai sinh không", {"mobile", "bundle_birth"}, None),
        # going there oneself is not the mobile service
        ("đăng ký kết hôn làm online được không hay phải đến tận nơi", set(), None),
        # `bố tôi mất` is a death, not a lost paper.
        ("bố tôi mất rồi, khai tử ở đâu", set(), None),
    ],
)
def test_the_variants_a_question_asks_for(question: str, kinds: set[str], age: int | None):
    asked = V.asked(fold(question).lower())
    assert (set(asked.kinds), asked.age) == (kinds, age)


def _agreement(name: str, question: str) -> int:
    return V.agreement(V.of_name(name), V.asked(fold(question).lower()))


def test_agreement_lifts_the_variant_asked_for_and_lowers_the_one_not_asked_for():
    lost = "giấy kết hôn bị cháy mất, sổ ở xã cũng không còn, muốn làm lại"
    assert _agreement("Đăng ký lại kết hôn", lost) == 1
    assert _agreement("Đăng ký kết hôn", lost) == 0
    plain = "hai đứa em đều là người Việt, làm giấy kết hôn ở phường"
    assert _agreement("Đăng ký lại kết hôn", plain) == -1
    assert _agreement("Đăng ký kết hôn", plain) == 0
    # One act of a name's list is enough; each qualifier counts on its own.
    assert (
        _agreement(
            "Cấp lại, đổi, điều chỉnh thông tin trên sổ BHXH, thẻ BHYT",
            "thẻ BHYT bị mất, xin cấp lại",
        )
        == 1
    )
    assert (
        _agreement(
            "Cấp lại chứng nhận đăng ký xe, biển số xe trực tuyến toàn trình",
            "mất cà vẹt, xin cấp lại",
        )
        == 0
    )


def test_an_age_out_of_the_names_range_counts_against_it():
    assert _agreement("Cấp thẻ căn cước cho người dưới 14 tuổi", "con tôi vừa tròn 14 tuổi") == -1
    assert (
        _agreement("Cấp thẻ căn cước cho người từ đủ 14 tuổi trở lên", "con tôi vừa tròn 14 tuổi")
        == 0
    )
    assert (
        _agreement("Cấp thẻ căn cước cho người từ đủ 14 tuổi trở lên", "bé nhà mình mới 5 tuổi")
        == -1
    )


def test_a_bundle_whose_parts_are_not_asked_for_counts_against_it():
    three = "Liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em"
    two = "Liên thông các thủ tục hành chính về đăng ký khai sinh, cấp Thẻ bảo hiểm y tế cho trẻ em"
    assert V.of_name(three).qualifiers == {"bundle_residence", "bundle_birth"}
    assert V.of_name(two).qualifiers == {"bundle_birth"}
    assert V.of_name("Đăng ký thường trú").qualifiers == frozenset()
    # birth and card, no residence: the two-part bundle
    both = "làm khai sinh kèm thẻ bảo hiểm y tế cho bé cùng một lúc"
    assert _agreement(two, both) > _agreement(three, both)
    # all three named: the three-part bundle
    all_three = "bé mới sinh, làm một lần cả khai sinh, nhập hộ khẩu và thẻ BHYT"
    assert _agreement(three, all_three) > _agreement(two, all_three)
    # a lost card is no newborn's bundle; `liên thông` alone asks for any of them
    assert _agreement(two, "thẻ bảo hiểm y tế của mẹ em bị mất") == -1
    assert _agreement(three, "làm thủ tục liên thông cho bé") == 2


def test_between_reviews_or_at_the_yearly_one():
    ongoing = "Công nhận hộ thoát nghèo, hộ thoát cận nghèo thường xuyên hằng năm"
    periodic = "Công nhận hộ thoát nghèo, hộ thoát cận nghèo định kỳ hằng năm"
    mid_year = "làm ăn khá lên rồi, muốn ra khỏi danh sách hộ cận nghèo giữa năm"
    assert _agreement(ongoing, mid_year) > _agreement(periodic, mid_year)
    year_end = "đợt rà soát cuối năm xã có xét cho nhà tôi thoát nghèo không"
    assert _agreement(periodic, year_end) > _agreement(ongoing, year_end)
    # neither asked: neither counts against
    assert _agreement(ongoing, "xin thoát nghèo") == _agreement(periodic, "xin thoát nghèo") == 0


def test_a_recurrence_or_a_group_not_spoken_of_counts_against_the_name():
    again = "Giải quyết hưởng chế độ TNLĐ đối với trường hợp đã bị TNLĐ, BNN nay tiếp tục bị TNLĐ"
    first = "Giải quyết hưởng chế độ TNLĐ, BNN đối với trường hợp bị TNLĐ lần đầu"
    hurt = "chồng em bị tai nạn ở xưởng gãy chân, làm hồ sơ tai nạn lao động"
    assert _agreement(first, hurt) > _agreement(again, hurt)
    assert _agreement(again, "năm ngoái bị tai nạn lao động, nay lại bị lần nữa") == 1
    shock = "Trợ cấp tiền tuất, tai nạn cho lực lượng xung kích phòng chống thiên tai cấp xã"
    assert _agreement(shock, "chồng tôi đang đóng bảo hiểm xã hội thì mất vì tai nạn") == -1
    assert _agreement(shock, "anh tôi trong đội xung kích bị thương khi chống lũ") == 1
    staff = "Giải quyết hưởng lương hưu, trợ cấp hàng tháng đối với cán bộ xã"
    assert _agreement(staff, "bố em mất mà còn lương hưu chưa lĩnh") == -1
    other = "Khai thuế thu nhập cá nhân đối với cá nhân có thu nhập từ nhận thừa kế, quà tặng"
    other += " là các tài sản khác phải đăng ký quyền sở hữu, không phải là bất động sản"
    assert _agreement(other, "nhận thừa kế nhà đất từ bố mẹ, khai thuế") == -1
    assert _agreement(other, "được bố tặng chiếc ô tô, khai thuế thu nhập cá nhân") == 1


def test_recognising_a_parent_is_not_the_plain_birth_registration():
    plain = "Đăng ký khai sinh"
    recognition = "Đăng ký nhận cha, mẹ, con"
    combined = "Đăng ký khai sinh kết hợp đăng ký nhận cha, mẹ, con"
    # registered already, the father's name missing: recognition alone
    missing = "con tôi làm khai sinh chỉ có tên mẹ, giờ ba cháu muốn làm giấy nhận con"
    assert _agreement(recognition, missing) > max(
        _agreement(plain, missing), _agreement(combined, missing)
    )
    # not registered yet, both at once: the combined procedure
    both = "chưa đăng ký kết hôn mà có con, giờ làm khai sinh cho bé và nhận cha luôn 1 lần"
    assert _agreement(combined, both) > max(_agreement(plain, both), _agreement(recognition, both))
    # a birth without a word of recognition: the plain one
    newborn = "vợ em vừa sinh bé ở bệnh viện, làm giấy khai sinh cần gì"
    assert _agreement(plain, newborn) > _agreement(recognition, newborn)


def test_a_names_matter_without_its_variant_words():
    # what the question must spell for a variant it asks for (`procedure._named`)
    assert V.base("Gia hạn tạm trú") == "tam tru"
    assert V.base("Cấp đổi thẻ căn cước") == "the can cuoc"
    assert V.base("Đăng ký khai sinh lưu động") == "dang ky khai sinh"


def test_a_demand_is_not_a_renewal():
    # `đòi` (demand) folds like `đổi` (renew): read as what it means before folding
    demanded = understand("Ngân hàng đòi giấy xác nhận số chứng minh cũ", [], frozenset())
    assert "renew" not in V.asked(demanded.folded).kinds
    changed = understand("muốn đổi giấy phép kinh doanh sang mẫu mới", [], frozenset())
    assert "renew" in V.asked(changed.folded).kinds
