"""Plan duties (ingest.duty) on the five real seed plans, with their deadlines and unit names.

1. Deadlines (`ingest.deadline`): every distinct deadline cell of the three appendix tables
   and every deadline phrase of the prose, each with the date the team's conventions give
   it, typed as written, without diacritics and decomposed (NFD).
2. Unit names (`ingest.units`): every alias the conventions list, keys a question may type,
   cells holding several units or one generic group with commas in it.
3. Extraction on the real plans: counts checked by hand against the tables, the rows PDF
   extraction broke, verbatim sources, ids, the JSON contract.
"""

from __future__ import annotations

import datetime
import json
import unicodedata

import pytest
from conftest import CORPUS

from ingest.deadline import find_deadline, parse_deadline
from ingest.document import read_document
from ingest.duty import Duty, extract_duties
from ingest.textnorm import fold
from ingest.units import canonical_unit, split_units, unit_key

PLANS = CORPUS / "plans"
AN_KHANH, DAN_HOA, DUC_AN = (
    "an-khanh-thai-nguyen-2026",
    "dan-hoa-ha-noi-2026",
    "duc-an-lam-dong-2026",
)
LOC_BINH, QUANG_SON = "loc-binh-lang-son-2026-2030", "quang-son-lam-dong-2025"
VP, VHXH, PVHCC, KT = (
    "Văn phòng HĐND và UBND",
    "Phòng Văn hóa - Xã hội",
    "Trung tâm Phục vụ hành chính công",
    "Phòng Kinh tế",
)


@pytest.fixture(scope="module")
def docs():
    return {path.stem: read_document(path) for path in sorted(PLANS.glob("*.txt"))}


@pytest.fixture(scope="module")
def duties(docs):
    return {doc_id: extract_duties(doc) for doc_id, doc in docs.items()}


def table(duties, doc_id):
    return [d for d in duties[doc_id] if d.origin == "table"]


def prose(duties, doc_id):
    return [d for d in duties[doc_id] if d.origin == "prose"]


def row(duties, doc_id, number, area_start=""):
    """The table duties numbered `number` (in the group whose area starts so)."""
    found = [
        d
        for d in table(duties, doc_id)
        if d.section.endswith(f"› TT {number}") and (d.area or "").startswith(area_start)
    ]
    assert found, (doc_id, number, area_start)
    return found


# ---------------------------------------------------------------- 1. deadlines

# Every distinct deadline cell of the three tables: (cell, plan year, due date, recurrence).
TABLE_DEADLINES = [
    ("Quý I/2026", 2026, "2026-03-31", None),
    ("Quý II/2026", 2026, "2026-06-30", None),
    ("Quý III/2026", 2026, "2026-09-30", None),
    ("Quý IV/2026", 2026, "2026-12-31", None),
    ("Quý II-IV/2026", 2026, "2026-12-31", None),
    ("Năm 2026", 2026, "2026-12-31", None),
    ("Tháng 01/2026", 2026, "2026-01-31", None),
    ("Tháng 02/2026", 2026, "2026-02-28", None),
    ("Tháng 02/2026", 2025, "2026-02-28", None),  # Quảng Sơn's plan year is 2025
    ("Tháng 9/2025", 2025, "2025-09-30", None),
    ("Cả năm", 2026, "2026-12-31", "cả năm"),
    ("Thường xuyên", 2026, None, "thường xuyên"),
    ("Thường xuyên", 2025, None, "thường xuyên"),
    ("Thường xuyên trong năm", 2025, "2025-12-31", "thường xuyên"),
    ("Thực hiện thường xuyên trong năm", 2025, "2025-12-31", "thường xuyên"),
    ("Thực hiện thường xuyên trong năm.", 2025, "2025-12-31", "thường xuyên"),
    (
        "Báo cáo định kỳ theo thời gian quy định; thực hiện thường xuyên trong năm.",
        2025,
        "2025-12-31",
        "thường xuyên",
    ),
    ("Thực hiện thường xuyên khi có yêu cầu của bộ, ngành Trung ương.", 2025, None, "thường xuyên"),
    ("Định kỳ hằng tháng", 2025, None, "hằng tháng"),
    ("Trước ngày 30/7/2025", 2025, "2025-07-29", None),
    ("Trong năm 2025", 2025, "2025-12-31", None),
    ("Thực hiện trong năm 2025", 2025, "2025-12-31", None),
    ("Thực hiện nộp NSNN trong năm 2025", 2025, "2025-12-31", None),
    (
        "Ban hành kế hoạch chậm nhất là ngày 30/7/2025 và tổ chức thực hiện",
        2025,
        "2025-07-30",
        None,
    ),
    (
        "Ban hành kế hoạch chậm nhất là ngày 15/8/2025 và tổ chức thực hiện.",
        2025,
        "2025-08-15",
        None,
    ),
    ("Ban hành kế hoạch trong tháng 7/2025 và tổ chức thực hiện.", 2025, "2025-07-31", None),
    (
        (
            "Ban hành kế hoạch chậm nhất là ngày 15/8/2025, tổ chức kiểm tra chậm nhất trong tháng "
            "10/2025 và báo cáo kết quả khắc phục các tồn tại, hạn chế phát hiện qua kiểm tra chậm "
            "nhất trong tháng 11/2025."
        ),
        2025,
        "2025-08-15",  # the first of three milestones
        None,
    ),
    (
        (
            "Triển khai thực hiện sáng kiến, mô hình, giải pháp và báo cáo kết quả thực hiện chậm "
            "nhất trong tháng 10/2025"
        ),
        2025,
        "2025-10-31",
        None,
    ),
    ("Theo hướng dẫn TP", 2026, None, None),
    ("Theo chỉ đạo TP", 2026, None, None),
    ("Theo quy định", 2026, None, None),
    ("Sau công bố kết quả", 2026, None, None),
    ("Theo kế hoạch của UBND tỉnh", 2025, None, None),
    ("Theo Kế hoạch của UBND tỉnh và của cơ quan, đơn vị, địa phương", 2025, None, None),
    ("Theo lộ trình tại Kế hoạch của UBND tỉnh", 2025, None, None),
    ("Khi có Kế hoạch của UBND tỉnh", 2025, None, None),
    (
        (
            "Sau 03 tháng kể từ khi có văn bản của Trung ương hoặc Quyết định liên quan của cơ "
            "quan có thẩm quyền"
        ),
        2025,
        None,
        None,
    ),
    (
        "Tự phát hiện hoặc sau khi có ý kiến của cấp có thẩm quyền về việc xử lý văn bản",
        2025,
        None,
        None,
    ),
]

# Phrasings the conventions name that the seed tables do not use.
OTHER_DEADLINES = [
    ("trong tháng 7/2025", 2025, "2025-07-31", None),
    ("chậm nhất là ngày 15/8/2025", 2025, "2025-08-15", None),
    ("đến ngày 15/12/2025", 2025, "2025-12-15", None),
    ("ngày 15/12/2025", 2025, "2025-12-15", None),
    ("Định kỳ hằng quý", 2026, None, "hằng quý"),
    ("Định kỳ hàng năm", 2026, None, "hằng năm"),
    ("Định kỳ 6 tháng", 2026, None, "6 tháng"),
    ("Quý 3/2026", 2026, "2026-09-30", None),
    ("trong quý I năm 2026", 2026, "2026-03-31", None),
]


def _expect(text, year, due, recurrence):
    found = parse_deadline(text, year)
    assert found.due == (datetime.date.fromisoformat(due) if due else None), text
    assert found.recurrence == recurrence, text
    assert found.text == text.strip()


@pytest.mark.parametrize(("text", "year", "due", "recurrence"), TABLE_DEADLINES + OTHER_DEADLINES)
def test_deadline(text, year, due, recurrence):
    _expect(text, year, due, recurrence)


@pytest.mark.parametrize(("text", "year", "due", "recurrence"), TABLE_DEADLINES + OTHER_DEADLINES)
def test_deadline_typed_without_diacritics(text, year, due, recurrence):
    found = parse_deadline(fold(text), year)
    assert found.due == (datetime.date.fromisoformat(due) if due else None), fold(text)
    assert found.recurrence == recurrence


@pytest.mark.parametrize(("text", "year", "due", "recurrence"), TABLE_DEADLINES[:20])
def test_deadline_decomposed_unicode(text, year, due, recurrence):
    found = parse_deadline(unicodedata.normalize("NFD", text), year)
    assert found.due == (datetime.date.fromisoformat(due) if due else None)
    assert found.recurrence == recurrence


def test_every_deadline_cell_of_the_seeds_is_covered(duties, docs):
    """The table above is every distinct deadline cell: a new phrasing fails here first."""
    covered = {(text, year) for text, year, _, _ in TABLE_DEADLINES}
    cells = {
        (d.deadline_text, docs[doc_id].year)
        for doc_id in duties
        for d in table(duties, doc_id)
        if d.deadline_text
    }
    assert cells == covered


# Deadline phrases in prose: the one the seeds state, and dates that are not deadlines.
PROSE_DEADLINES = [
    (
        "- Tập trung vào cung cấp dịch vụ công trực tuyến … hoàn thiện động trong quý I năm 2026.",
        2026,
        "trong quý I năm 2026",
        "2026-03-31",
    ),
    (
        "- Giao Phòng Kinh tế tổng hợp, báo cáo trước ngày 15/12/2025.",
        2025,
        "trước ngày 15/12/2025",
        "2025-12-14",
    ),
    (
        "- Hoàn thành chậm nhất trong tháng 10/2025.",
        2025,
        "chậm nhất trong tháng 10/2025",
        "2025-10-31",
    ),
    (
        "- Báo cáo Quý 1: Thời gian chốt số liệu tính từ ngày 15/12/2025 đến 14/3/2026.",
        2026,
        None,
        None,
    ),
    (
        "- Báo cáo CCHC năm: Thời gian chốt số liệu tính từ ngày 15/12/2025 đến 14/12/2026.",
        2026,
        None,
        None,
    ),
    ("Căn cứ Luật Tổ chức Chính quyền địa phương ngày 16/6/2025;", 2026, None, None),
    (
        "- Triển khai thực hiện Nghị định số 118/2025/NĐ-CP ngày 09/6/2025 của Chính phủ",
        2026,
        None,
        None,
    ),
    (
        "- Tiếp tục triển khai mô hình “Công sở thân thiện” phù hợp đặc thù địa bàn xã;",
        2026,
        None,
        None,
    ),
]


@pytest.mark.parametrize(("sentence", "year", "phrase", "due"), PROSE_DEADLINES)
def test_deadline_in_prose(sentence, year, phrase, due):
    found = find_deadline(sentence, year)
    if phrase is None:
        assert found is None
    else:
        assert found is not None and found.text == phrase and found.due.isoformat() == due
        assert phrase in sentence  # a verbatim slice


def test_deadline_in_prose_without_diacritics():
    found = find_deadline("giao phong kinh te bao cao truoc ngay 15/12/2025.", 2025)
    assert found is not None and found.due == datetime.date(2025, 12, 14)


def test_the_seeds_state_one_prose_deadline(docs):
    phrases = [
        (doc_id, found.text)
        for doc_id, doc in docs.items()
        for line in doc.lines
        if not line.is_row and (found := find_deadline(line.text, doc.year))
    ]
    assert phrases == [(DUC_AN, "trong quý I năm 2026")]


# ---------------------------------------------------------------- 2. units

ALIASES = [
    ("Trung tâm PVHCC", PVHCC),
    ("Trung tâm Phục vụ HCC", PVHCC),
    ("Trung tâm phục vụ hành chính công xã", PVHCC),
    ("Điểm PVHCC", PVHCC),
    ("Trung tâm phục vụ HCC", PVHCC),
    ("Điểm Phục vụ hành chính công", PVHCC),
    ("Trung tâm phục vụ Hành chính công", PVHCC),
    ("Văn phòng HĐND-UBND", VP),
    ("Văn phòng HĐND - UBND", VP),
    ("Văn phòng HĐND&UBND", VP),
    ("Văn phòng HĐND & UBND", VP),
    ("Văn Phòng HĐND&UBND", VP),
    ("Văn phòng HDND-UBND", VP),
    ("Văn phòng HDND&UBND", VP),
    ("Văn phòng HĐND-UBND xã", VP),
    ("Văn phòng HDND&UBND xã", VP),
    ("Văn phòng HĐND – UBND xã", VP),
    ("Văn phòng HĐND và UBND xã", VP),
    ("Văn phòng HĐND - UBND,", VP),
    ("Văn phòng Ủy ban nhân dân xã", VP),
    ("Phòng VHXH", VHXH),
    ("Phòng Văn hoá - Xã hội", VHXH),
    ("Phòng Văn hóa – Xã hội", VHXH),
    ("Phòng VHXXH", VHXH),
    ("Phòng Kinh tế", KT),
    ("Công an xã", "Công an xã"),
    ("Công an xã Dân Hòa", "Công an xã"),
    ("Người đứng đầu bộ phận một cửa xã", "Người đứng đầu bộ phận một cửa"),
    ("Trung tâm Dịch vụ Công ích xã", "Trung tâm Dịch vụ Công ích"),
    ("Các cơ quan, đơn vị liên quan", "Các cơ quan, đơn vị liên quan"),
    ("các phòng, ban, đơn vị liên quan", "Các phòng, ban, đơn vị liên quan"),
    (
        "Các cơ quan, đơn vị, trường học trên địa bàn xã",
        "Các cơ quan, đơn vị, trường học trên địa bàn xã",
    ),
    ("ĐVSNCL trực thuộc UBND xã", "ĐVSNCL trực thuộc UBND xã"),  # `xã` is the object here
    ("  Trung tâm   dịch vụ tổng hợp ;", "Trung tâm dịch vụ tổng hợp"),
]


@pytest.mark.parametrize(("alias", "canonical"), ALIASES)
def test_canonical_unit(alias, canonical):
    assert canonical_unit(alias) == canonical


@pytest.mark.parametrize(
    "spellings",
    [
        [
            "Trung tâm PVHCC",
            "trung tam phuc vu hanh chinh cong",
            "TT PVHCC",
            "Điểm PVHCC",
            "Trung tâm Phục vụ hành chính công xã",
            "trung tâm phục vụ hcc",
        ],
        [
            "VP HĐND-UBND",
            "Văn phòng HĐND và UBND xã",
            "van phong hdnd-ubnd xa",
            "Văn phòng HDND&UBND",
            "văn phòng hđnd & ubnd",
        ],
        [
            "phòng VHXH",
            "Phòng Văn hoá - Xã hội",
            "phong van hoa xa hoi",
            "Phòng VHXXH",
            "PHÒNG VĂN HÓA – XÃ HỘI",
        ],
        ["Công an xã", "cong an xa", "Công an xã Dân Hòa", "công an"],
        ["Phòng Kinh tế", "phong kinh te"],
    ],
)
def test_unit_key_is_the_same_for_every_spelling(spellings):
    keys = {unit_key(name) for name in spellings}
    assert len(keys) == 1, {name: unit_key(name) for name in spellings}


def test_unit_keys_tell_units_apart():
    keys = [
        unit_key(name) for name in (VP, VHXH, PVHCC, KT, "Công an xã", "Trung tâm dịch vụ tổng hợp")
    ]
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize(
    ("cell", "units"),
    [
        (
            "Văn phòng HĐND - UBND, Phòng Văn hóa - Xã hội",
            ["Văn phòng HĐND - UBND", "Phòng Văn hóa - Xã hội"],
        ),
        ("Văn phòng HĐND-UBND xã; Trung tâm PVHCC", ["Văn phòng HĐND-UBND xã", "Trung tâm PVHCC"]),
        ("Văn phòng HĐND - UBND,", ["Văn phòng HĐND - UBND"]),
        ("Các cơ quan, đơn vị liên quan", ["Các cơ quan, đơn vị liên quan"]),
        ("Các phòng, ban, đơn vị liên quan", ["Các phòng, ban, đơn vị liên quan"]),
        ("Các phòng, ban chuyên môn", ["Các phòng, ban chuyên môn"]),
        (
            "Các cơ quan; đơn vị; phòng, ban chuyên môn; ĐVSNCL",
            ["Các cơ quan; đơn vị; phòng, ban chuyên môn; ĐVSNCL"],
        ),
        (
            "Các cơ quan, đơn vị, trường học trên địa bàn xã",
            ["Các cơ quan, đơn vị, trường học trên địa bàn xã"],
        ),
        (
            "Văn Phòng HĐND&UBND, các phòng, ban, đơn vị liên quan",
            ["Văn Phòng HĐND&UBND", "các phòng, ban, đơn vị liên quan"],
        ),
        (
            "Phòng Kinh tế, các trường học trên địa bàn xã",
            ["Phòng Kinh tế", "các trường học trên địa bàn xã"],
        ),
        (
            "Cơ quan quản lý cấp trên của ĐVSNCL, ĐVSNCL trực thuộc UBND xã",
            ["Cơ quan quản lý cấp trên của ĐVSNCL", "ĐVSNCL trực thuộc UBND xã"],
        ),
        ("Các phòng chuyên môn, Trung tâm PVHCC", ["Các phòng chuyên môn", "Trung tâm PVHCC"]),
        ("Công an xã, Ban chỉ huy quân sự xã", ["Công an xã", "Ban chỉ huy quân sự xã"]),
        ("", []),
    ],
)
def test_split_units(cell, units):
    assert split_units(cell) == units


# ---------------------------------------------------------------- 3. extraction

# Counted by hand on the cleaned rows. Quảng Sơn: I 3, II 11, III 9, IV 5, V 8, VI 9, VII 5
# (its continuation rows count, its page-break fragments do not). Dân Hòa: rows 1-24.
# An Khánh: rows 1-18.
TABLE_COUNTS = {AN_KHANH: 18, DAN_HOA: 24, DUC_AN: 0, LOC_BINH: 0, QUANG_SON: 50}
# Prose: An Khánh's and Lộc Bình's TỔ CHỨC THỰC HIỆN bullets per unit; Dân Hòa's six
# `Cơ quan thực hiện` blocks and twelve bullets of its section 1; Đức An's four `Giao …`
# and two `<Unit> tham mưu / có trách nhiệm …`; Quảng Sơn's `c) Phòng Văn hóa - Xã hội …`.
PROSE_COUNTS = {AN_KHANH: 39, DAN_HOA: 18, DUC_AN: 6, LOC_BINH: 25, QUANG_SON: 1}


@pytest.mark.parametrize("doc_id", sorted(TABLE_COUNTS))
def test_table_duty_counts(duties, doc_id):
    assert len(table(duties, doc_id)) == TABLE_COUNTS[doc_id]


@pytest.mark.parametrize("doc_id", sorted(PROSE_COUNTS))
def test_prose_duty_counts(duties, doc_id):
    assert len(prose(duties, doc_id)) == PROSE_COUNTS[doc_id]


def test_numbered_rows_of_dan_hoa_and_an_khanh_each_once(duties):
    for doc_id, last in ((DAN_HOA, 24), (AN_KHANH, 18)):
        numbers = [d.section.rsplit("TT ", 1)[1] for d in table(duties, doc_id)]
        assert numbers == [str(n) for n in range(1, last + 1)]


def test_sources_are_verbatim(duties, docs):
    for doc_id, found in duties.items():
        text = docs[doc_id].text
        for duty in found:
            assert text[duty.start : duty.end] == duty.text, duty
            assert duty.text.strip() and duty.task.strip()


def test_every_duty_has_a_lead(duties):
    for found in duties.values():
        for duty in found:
            assert duty.leads and all(duty.leads), duty


def test_header_and_group_rows_are_not_duties(duties):
    for doc_id in (AN_KHANH, DAN_HOA, QUANG_SON):
        for duty in table(duties, doc_id):
            first_cell = duty.text.split(" | ", 1)[0]
            assert first_cell not in ("TT", "Số TT", "I", "II", "III", "IV", "V", "VI", "VII")
            assert duty.task not in ("Nhiệm vụ", "Nội dung công việc")


def test_ids_unique_and_stable(duties, docs):
    again = {doc_id: extract_duties(doc) for doc_id, doc in docs.items()}
    ids = [d.id for found in duties.values() for d in found]
    assert len(ids) == len(set(ids))
    assert ids == [d.id for found in again.values() for d in found]


def test_json_round_trip(duties):
    for found in duties.values():
        for duty in found:
            data = json.loads(json.dumps(duty.to_json(), ensure_ascii=False))
            assert Duty.from_json(data) == duty


def test_json_contract_shape(duties):
    data = row(duties, DAN_HOA, 21)[0].to_json()
    contract = {
        "id",
        "commune",
        "plan_title",
        "task",
        "product",
        "lead",
        "partners",
        "monitor",
        "leader",
        "deadline_text",
        "due_date",
        "source",
    }
    assert contract <= set(data)
    assert set(data["source"]) == {"doc_id", "section", "text"}
    assert data["commune"] == "Dân Hòa" and data["source"]["doc_id"] == DAN_HOA
    assert data["lead"] == f"{VP}; {VHXH}"
    assert data["partners"] == ["Trung tâm dịch vụ tổng hợp"]
    assert data["due_date"] == "2026-12-31" and data["recurrence"] == "cả năm"


def test_dan_hoa_row_7_leader_merged_across_the_repeated_header(duties):
    (duty,) = row(duties, DAN_HOA, 7)
    assert duty.leader == "Chủ tịch UBND xã Dân Hòa"
    assert duty.leads == (VP,)  # the cell was `Văn phòng HĐND - UBND,`
    assert duty.due_date == "2026-06-30"
    assert duty.text.count("\n") == 2  # row 7, the repeated header, the `Dân Hòa` fragment
    assert all(d.leader != "Dân Hòa" for d in table(duties, DAN_HOA))


def test_dan_hoa_rows_carry_their_group_area(duties):
    (duty,) = row(duties, DAN_HOA, 9)
    assert duty.area == "Cải cách TTHC"
    assert duty.section.endswith("› III. Cải cách TTHC › TT 9")
    assert duty.leads == (PVHCC,)  # `Điểm PVHCC`


def test_dan_hoa_row_21_has_two_leads(duties):
    (duty,) = row(duties, DAN_HOA, 21)
    assert duty.leads == (VP, VHXH)


def test_an_khanh_typo_and_dash_variants(duties):
    assert row(duties, AN_KHANH, 17)[0].leads == (VHXH,)  # `Phòng VHXXH`
    assert row(duties, AN_KHANH, 1)[0].leads == (VHXH,)  # `Phòng Văn hóa – Xã hội`
    assert row(duties, AN_KHANH, 9)[0].leads == (VP,)  # `Văn phòng HĐND & UBND xã`
    assert row(duties, AN_KHANH, 10)[0].due_date == "2026-12-31"  # `Quý II-IV/2026`
    assert {d.partners for d in table(duties, AN_KHANH)} == {("Các cơ quan, đơn vị",)}


def test_quang_son_vi_7_is_one_duty_across_the_page_break(duties):
    (duty,) = row(duties, QUANG_SON, 7, "Xây dựng và phát triển chính quyền điện tử")
    assert duty.task.startswith("Có giải pháp tuyên truyền")
    assert duty.task.endswith("khai thác, sử dụng lại thông tin, dữ liệu số hóa.")
    assert duty.monitor == PVHCC  # the lone cell after the row
    assert duty.leads == (VHXH,) and duty.partners == ("Các phòng, đơn vị trực thuộc",)
    assert "Tỷ lệ khai thác, sử dụng lại thông tin" in duty.product
    assert duty.text.count("\n") == 2
    assert not [d for d in table(duties, QUANG_SON) if d.task.startswith("dịch vụ công trực tuyến")]


def test_quang_son_continuation_rows_inherit_the_task(duties):
    found = row(duties, QUANG_SON, 1, "Cải cách tổ chức bộ máy")
    assert len(found) == 3
    assert len({d.task for d in found}) == 1 and found[0].task.startswith(
        "Xây dựng Kế hoạch sắp xếp"
    )
    assert [d.product.split()[0] for d in found] == ["Xây", "Hồ", "Đề"]
    assert [d.deadline_text for d in found[1:]] == ["Theo lộ trình tại Kế hoạch của UBND tỉnh"] * 2


def test_quang_son_cells_written_before_their_task_form_one_row(duties):
    # V.4: an empty-task line (product, deadline, lead …), then `4 | Thường xuyên rà soát…`
    (v4,) = row(duties, QUANG_SON, 4, "Cải cách tài chính công")
    assert v4.task.startswith("Thường xuyên rà soát, cập nhật, nghiên cứu")
    assert v4.product.startswith("Báo cáo về tình hình quản lý, sử dụng kinh phí")
    assert v4.leads == (KT,) and v4.due_date == "2025-12-31"
    assert v4.text.count("\n") == 1
    # II.5 in the same way
    (ii5,) = row(duties, QUANG_SON, 5, "Cải cách thủ tục hành chính")
    assert ii5.task.startswith("Tổ chức tốt việc tiếp nhận")
    assert ii5.product == "Kết quả giải quyết TTHC" and ii5.leads == (PVHCC,)
    # …and V.3 keeps only its own product
    (v3,) = row(duties, QUANG_SON, 3, "Cải cách tài chính công")
    assert v3.product == "Báo cáo kết quả thực hiện của đơn vị"


def test_quang_son_rows_missing_cells(duties):
    # II.6 lost its trailing monitor cell: the cells it has stay in their columns.
    (ii6,) = row(duties, QUANG_SON, 6, "Cải cách thủ tục hành chính")
    assert ii6.leads == ("Các phòng, ban chuyên môn",)
    assert ii6.partners == (PVHCC,) and ii6.monitor is None
    assert ii6.due_date == "2025-12-31" and ii6.recurrence == "thường xuyên"
    # IV.2 has a number but no task: it continues the task above it.
    (iv2,) = [
        d
        for d in row(duties, QUANG_SON, 2, "Cải cách chế độ công vụ")
        if d.product.startswith("Quyết định của cơ quan")
    ]
    assert iv2.task.startswith("Rà soát, lập hồ sơ ban hành quyết định phê duyệt")
    assert iv2.leads == ("Các cơ quan; đơn vị; phòng, ban chuyên môn; ĐVSNCL",)


def test_quang_son_deadlines_and_units(duties):
    (ii8,) = row(duties, QUANG_SON, 8, "Cải cách thủ tục hành chính")
    assert ii8.due_date == "2025-07-29"  # `Trước ngày 30/7/2025`
    (vi2,) = row(duties, QUANG_SON, 2, "Xây dựng và phát triển")
    assert vi2.leads == (VP,) and vi2.monitor == VP  # `Văn phòng HDND-UBND xã`, `…HDND&UBND xã`
    assert row(duties, QUANG_SON, 7, "Cải cách thủ tục hành chính")[0].leads == (
        "Người đứng đầu bộ phận một cửa",
    )
    dates = [
        d.due_date for d in table(duties, QUANG_SON) if d.area == "Công tác chỉ đạo, điều hành"
    ]
    assert dates == ["2025-07-30", "2025-07-31", "2025-08-15", "2025-08-15", "2025-10-31"]


def test_duc_an_giao_duties(duties):
    found = {
        d.task.split(" tham mưu")[0].split(" thường xuyên")[0]: d for d in prose(duties, DUC_AN)
    }
    police = found["Giao Công an xã"]
    assert police.leads == ("Công an xã",)
    assert "ứng dụng AI" in police.task and police.text.startswith("- Giao Công an xã tham mưu")
    assert police.area == "Xây dựng và phát triển chính quyền điện tử, chính quyền số"
    assert police.due_date is None and police.deadline_text is None
    assert found["Giao Trung tâm Phục vụ hành chính công xã"].leads == (PVHCC,)
    assert found["Giao Văn phòng Ủy ban nhân dân xã"].leads == (VP,)
    assert found["Văn phòng HĐND và UBND xã"].leads == (VP,)


def test_dan_hoa_co_quan_thuc_hien_blocks(duties):
    blocks = {d.task: d for d in prose(duties, DAN_HOA) if d.section.endswith("Cơ quan thực hiện")}
    assert set(blocks) == {
        "Cải cách thể chế",
        "Cải cách TTHC và thực hiện cơ chế một cửa, một cửa liên thông",
        "Cải cách tổ chức bộ máy",
        "Cải cách chế độ công vụ",
        "Cải cách tài chính công",
        "Xây dựng, phát triển chính quyền điện tử, Chính quyền số",
    }
    one_stop = blocks["Cải cách TTHC và thực hiện cơ chế một cửa, một cửa liên thông"]
    assert one_stop.leads == (PVHCC,)  # `- Điểm Phục vụ hành chính công.`
    assert one_stop.partners == (VP, "Các phòng, ban, ngành, đơn vị liên quan")
    assert blocks["Cải cách tài chính công"].leads == (KT,)
    assert blocks["Xây dựng, phát triển chính quyền điện tử, Chính quyền số"].leads == (VP, VHXH)
    assert blocks["Cải cách thể chế"].partners == ("Các phòng, ban, ngành, đơn vị liên quan",)


def test_to_chuc_thuc_hien_sections(duties):
    by_lead: dict[str, int] = {}
    for duty in prose(duties, LOC_BINH):
        by_lead[duty.leads[0]] = by_lead.get(duty.leads[0], 0) + 1
    assert by_lead == {
        "Các cơ quan, đơn vị thuộc UBND xã": 6,
        VHXH: 10,
        VP: 3,
        KT: 3,
        PVHCC: 1,
        "Ủy ban Mặt trận Tổ quốc Việt Nam": 1,
        "Trung tâm Dịch vụ Công ích": 1,
    }
    wrapped = [d for d in prose(duties, LOC_BINH) if "\n" in d.text]
    assert len(wrapped) == 1 and wrapped[0].task.endswith("cải cách chế độ công vụ.")
    assert ("Công an xã", "Ban chỉ huy quân sự") in {d.leads for d in prose(duties, AN_KHANH)}


def test_prose_skips_what_no_unit_is_given(duties):
    for found in duties.values():
        for duty in found:
            assert not duty.text.startswith(("- Sở Nội vụ", "Nơi nhận", "Căn cứ", "Trên đây"))
    assert not [d for d in prose(duties, QUANG_SON) if d.task.startswith("Các cơ quan")]


TINY_PLAN = """KẾ HOẠCH
Cải cách hành chính năm 2026 xã Thử Nghiệm
I. NHIỆM VỤ
1. Cải cách tài chính công
- Giao Phòng Kinh tế chủ trì, phối hợp với Văn phòng HĐND - UBND xã rà soát tài sản công, hoàn thành trong quý II năm 2026.
- Rà soát các quy định về phân cấp quản lý.
II. TỔ CHỨC THỰC HIỆN
- Văn phòng HĐND và UBND xã:
+ Tham mưu ban hành quy chế làm việc trước ngày 15/12/2026.
+ Cập nhật văn bản trên Trang thông tin điện tử của xã.
Nơi nhận:
- Sở Nội vụ;
- Phòng Kinh tế:
"""  # noqa: E501 (a document's paragraph is one long line, as in real plans)


def test_prose_patterns_on_a_tiny_plan(tmp_path):
    path = tmp_path / "thu-nghiem-2026.txt"
    path.write_text(TINY_PLAN, encoding="utf-8")
    doc = read_document(path)
    found = extract_duties(doc)
    assert [d.leads for d in found] == [(KT,), (VP,), (VP,)]
    giao, rules, website = found
    assert giao.partners == (VP,) and giao.area == "Cải cách tài chính công"
    assert giao.deadline_text == "hoàn thành trong quý II năm 2026"
    assert giao.due_date == "2026-06-30"
    assert rules.task.startswith("Tham mưu ban hành quy chế") and rules.due_date == "2026-12-14"
    assert website.due_date is None and website.area is None
    assert all(doc.text[d.start : d.end] == d.text and d.origin == "prose" for d in found)
