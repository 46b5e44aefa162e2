"""Cleaning, structure and chunking on the real seed plans, exactly as shipped."""

from pathlib import Path

import pytest

from ingest.chunk import MAX_CHARS, SECTION_SEP, chunk
from ingest.clean import clean
from ingest.document import read_document
from ingest.structure import heading_kind

PLANS = Path(__file__).resolve().parents[2] / "corpus" / "plans"


@pytest.fixture(scope="module")
def docs():
    return {p.stem: read_document(p) for p in sorted(PLANS.glob("*.txt"))}


def test_metadata_as_the_documents_state_it(docs):
    expected = {
        "duc-an-lam-dong-2026": (
            "Kế hoạch Cải cách hành chính nhà nước năm 2026 xã Đức An",
            "Đức An",
            "Lâm Đồng",
            2026,
        ),
        "an-khanh-thai-nguyen-2026": (
            "Kế hoạch Cải cách hành chính xã An Khánh năm 2026",
            "An Khánh",
            "Thái Nguyên",
            2026,
        ),
        "loc-binh-lang-son-2026-2030": (
            "Kế hoạch cải cách hành chính (CCHC) nhà nước xã Lộc Bình giai đoạn 2026 - 2030",
            "Lộc Bình",
            "Lạng Sơn",
            2026,
        ),
        "dan-hoa-ha-noi-2026": (
            "Kế hoạch Cải cách hành chính nhà nước năm 2026 trên địa bàn xã Dân Hòa",
            "Dân Hòa",
            "Hà Nội",
            2026,
        ),
        "quang-son-lam-dong-2025": (
            "Quyết định về việc ban hành Kế hoạch cải cách hành chính nhà nước "
            "xã Quảng Sơn năm 2025",
            "Quảng Sơn",
            "Lâm Đồng",
            2025,
        ),
    }
    for doc_id, (title, commune, province, year) in expected.items():
        doc = docs[doc_id]
        assert (doc.title, doc.commune, doc.province, doc.year) == (
            title,
            commune,
            province,
            year,
        ), doc_id
    assert docs["quang-son-lam-dong-2025"].number == "149/QĐ-UBND"


def test_pdf_wraps_are_rejoined_and_debris_dropped(docs):
    text = docs["duc-an-lam-dong-2026"].text
    assert (
        "- 100% văn bản quy phạm pháp luật được cập nhật trên cơ sở dữ liệu của xã "
        "về pháp luật kịp thời, đúng quy định." in text.splitlines()
    )
    assert "javascript:" not in "\n".join(d.text for d in docs.values())
    # Lộc Bình has a blank line after every wrapped line: paragraphs still come back whole
    assert (
        "Thực hiện Nghị quyết số 76/NQ-CP ngày 15/7/2021 của Chính phủ "
        "ban hành Chương trình tổng thể" in docs["loc-binh-lang-son-2026-2030"].text
    )


def test_markup_is_stripped_but_meaning_kept(docs):
    doc = docs["an-khanh-thai-nguyen-2026"]
    assert "**" not in doc.text and "<b>" not in doc.text and "<i>" not in doc.text
    headings = [line.text for line in doc.lines if heading_kind(line)]
    assert "I. MỤC ĐÍCH, YÊU CẦU" in headings and "2. Yêu cầu" in headings
    rows = [line.text for line in doc.lines if line.is_row]
    assert (
        "1 | Xây dựng Kế hoạch Cải cách hành chính xã An Khánh năm 2026; "
        "tổ chức triển khai thực hiện | Phòng Văn hóa – Xã hội | Các cơ quan, đơn vị | Quý I/2026"
        in rows
    )


def test_tone_marks_are_unified_in_documents(docs):
    assert "Văn hoá" not in "\n".join(d.text for d in docs.values())


def test_page_numbers_and_running_headers_dropped():
    pages = [f"UBND XÃ ĐỨC AN\nNội dung trang {n} tiếp tục\n{n}\n" for n in range(1, 5)]
    texts = [line.text for line in clean(pages)]
    assert "UBND XÃ ĐỨC AN" not in texts
    assert not any(t.isdigit() for t in texts)
    assert [line.page for line in clean(pages)] == [1, 2, 3, 4]


def test_section_paths_follow_the_heading_hierarchy(docs):
    chunks = chunk(docs["duc-an-lam-dong-2026"])
    sections = {c.section for c in chunks}
    assert "I. MỤC TIÊU, NHIỆM VỤ › 2. Cải cách thủ tục hành chính › a) Mục tiêu" in sections
    target = next(c for c in chunks if "Tối thiểu 98% hồ sơ thủ tục hành chính" in c.text)
    assert target.section == "I. MỤC TIÊU, NHIỆM VỤ › 2. Cải cách thủ tục hành chính › a) Mục tiêu"


def test_chunks_are_verbatim_slices_within_one_section(docs):
    for doc in docs.values():
        chunks = chunk(doc)
        assert chunks, doc.doc_id
        heading_texts = {
            line.text for line in doc.lines if heading_kind(line) not in (None, "caps")
        }
        for c in chunks:
            assert doc.text[c.start : c.end] == c.text
            assert c.doc_id == doc.doc_id and c.title == doc.title and c.source == doc.source
            assert len(c.text) <= MAX_CHARS or c.columns or "\n" not in c.text
            # a heading never sits inside a passage: passages never straddle two sections
            assert not any(line in heading_texts for line in c.text.split("\n")[1:]), c.text[:80]


def test_table_rows_are_chunks_with_their_headers(docs):
    rows = [c for c in chunk(docs["dan-hoa-ha-noi-2026"]) if c.columns]
    assert len(rows) >= 24
    first = next(c for c in rows if c.text.startswith("1 | Ban hành Kế hoạch CCHC năm 2026"))
    assert first.columns == (
        "TT",
        "Nhiệm vụ",
        "Nội dung/sản phẩm",
        "Lãnh đạo UBND xã chủ trì",
        "Cơ quan, đơn vị chủ trì",
        "Cơ quan, đơn vị phối hợp",
        "Thời gian hoàn thành",
    )
    assert first.section.endswith(SECTION_SEP + "I. Chỉ đạo, điều hành")
    assert "Cơ quan, đơn vị chủ trì: Phòng Văn hóa - Xã hội" in first.index_text()
    assert "Thời gian hoàn thành: Tháng 01/2026" in first.index_text()
    # repeated header rows are not passages
    assert not any(c.text.startswith("TT | Nhiệm vụ") for c in rows)


def test_quang_son_continuation_rows_keep_headers(docs):
    rows = [c for c in chunk(docs["quang-son-lam-dong-2025"]) if c.columns]
    continuation = [c for c in rows if c.text.startswith(" | ") or c.text.startswith("| ")]
    assert continuation, "continuation rows (empty first cells) are chunks too"
    assert all(c.columns[0] == "TT" and "Theo dõi, kiểm tra, đôn đốc" in c.columns for c in rows)
