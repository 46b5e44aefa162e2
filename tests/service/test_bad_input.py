"""Ingestion of the files officers really drop into the corpus folder, through `Engine.ingest`.

Bad files (empty, corrupt, binary, legacy-encoded) must be skipped with a Vietnamese reason
keyed by file name, while the good file next to them is indexed and searchable. Real PDF and
DOCX files must keep what a citation needs: the page a passage is on, a table row's headers.
Fast: the hash embedder double stands in for the model.
"""

from __future__ import annotations

import io
import random
import re
import unicodedata
import zipfile
from pathlib import Path

import pytest

from service.engine import Engine, build_engine
from service.settings import Settings

GOOD_NAME = "dan-hoa-2026.txt"
GOOD = """KẾ HOẠCH
Cải cách hành chính nhà nước năm 2026 trên địa bàn xã Dân Hòa

I. MỤC TIÊU
1. Chuyển đổi số
- Ban hành Kế hoạch chuyển đổi số xã năm 2026 trong tháng 02/2026.
- 100% hồ sơ thủ tục hành chính được số hóa.
"""
GOOD_EDIT = (
    "2. Cải cách thủ tục hành chính\n- Tối thiểu 98% hồ sơ được giải quyết trước và đúng hạn.\n"
)

# Lower-case Vietnamese letters with diacritics: a reason a citizen reads is written in them.
_VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]")


def cp1258(text: str) -> bytes:
    """Vietnamese text as Windows-1258 bytes (base letters precomposed, tones combining)."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = bytearray()
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
        out += (base + "".join(c for c in decomposed if c in tones)).encode("cp1258")
    return bytes(out)


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF: each page shows its lines in Helvetica (ASCII text only)."""
    page_ids = [4 + 2 * i for i in range(len(pages))]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        (
            f"<< /Type /Pages /Kids [{' '.join(f'{p} 0 R' for p in page_ids)}] "
            f"/Count {len(pages)} >>"
        ).encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for page_id, lines in zip(page_ids, pages):
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 760 Td"]
        for line in lines:
            ops += [
                "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj",
                "T*",
            ]
        stream = "\n".join(ops + ["ET"]).encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {page_id + 1} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def make_docx(
    paragraphs_before: list[str], table: list[list[str]], paragraphs_after: list[str]
) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs_before:
        document.add_paragraph(text)
    grid = document.add_table(rows=len(table), cols=len(table[0]))
    for r, row in enumerate(table):
        for c, text in enumerate(row):
            grid.cell(r, c).text = text
    for text in paragraphs_after:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# file name → (bytes, a word the reason must contain)
BAD_FILES: dict[str, tuple[bytes, str]] = {
    "trong.txt": (b"", "rỗng"),
    "chi-khoang-trang.txt": (b"  \n\t\r\n   \n", "rỗng"),
    "hong.pdf": (b"%PDF-1.4\n garbage" + random.Random(1).randbytes(300), "PDF"),
    "nhi-phan.txt": (
        random.Random(2).randbytes(400) + b"\x00\x00" + random.Random(3).randbytes(400),
        "nhị phân",
    ),
    "windows-1258.txt": (
        cp1258("Cộng hòa xã hội chủ nghĩa Việt Nam. Độc lập - Tự do - Hạnh phúc.\n" * 5),
        "UTF-8",
    ),
    "tcvn3.txt": (
        ("Céng hoµ x· héi chñ nghÜa ViÖt Nam\n§éc lËp - Tù do - H¹nh phóc\n" * 8).encode("utf-8"),
        "TCVN3",
    ),
    "hong.docx": (b"PK\x03\x04" + random.Random(4).randbytes(300), "DOCX"),
}


@pytest.fixture
def engine(tmp_path: Path, hash_embedder) -> Engine:
    return build_engine(Settings(data_dir=tmp_path / "data"), embedder=hash_embedder)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """One good Vietnamese plan next to every kind of bad file."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / GOOD_NAME).write_text(GOOD, encoding="utf-8")
    for name, (data, _) in BAD_FILES.items():
        (folder / name).write_bytes(data)
    return folder


def _reason_problems(failed: dict[str, str]) -> dict[str, str | None]:
    """Bad files whose reason is missing, lacks its key word, or is not Vietnamese."""
    problems = {}
    for name, (_, word) in BAD_FILES.items():
        reason = failed.get(name)
        if (
            reason is None
            or word.lower() not in reason.lower()
            or not _VIETNAMESE.search(reason.lower())
        ):
            problems[name] = reason
    return problems


def test_bad_files_are_reported_by_name_and_the_good_file_is_indexed(engine, folder):
    report = engine.ingest([folder])

    assert _reason_problems(report.failed) == {}, report.failed
    assert set(report.failed) == set(BAD_FILES)
    assert report.added == [GOOD_NAME]
    assert report.updated == [] and report.removed == []
    assert [d["source"] for d in engine.documents()] == [GOOD_NAME]

    hits = engine.search("kế hoạch chuyển đổi số ban hành khi nào", k=3)
    assert hits, "the good file must be searchable although bad files sat next to it"
    assert hits[0].chunk.source == GOOD_NAME
    assert "chuyển đổi số xã năm 2026 trong tháng 02/2026" in hits[0].chunk.text


def test_editing_the_good_file_reprocesses_only_it_and_still_reports_the_bad_ones(
    engine, folder, hash_embedder
):
    engine.ingest([folder])
    unchanged = engine.ingest([folder])
    assert unchanged.unchanged == [GOOD_NAME] and not unchanged.changed
    assert set(unchanged.failed) == set(BAD_FILES)

    known = {c.dense_text() for c in engine.searcher.chunks}
    (folder / GOOD_NAME).write_text(GOOD + GOOD_EDIT, encoding="utf-8")
    before = hash_embedder.texts
    report = engine.ingest([folder])

    assert report.updated == [GOOD_NAME]
    assert report.added == [] and report.removed == []
    assert _reason_problems(report.failed) == {}, report.failed
    good = {c.dense_text() for c in engine.searcher.chunks if c.source == GOOD_NAME}
    # only the edited file is read again, and only its chunks whose text changed are embedded
    assert hash_embedder.texts - before == len(good - known) >= 1

    hits = engine.search("tỷ lệ hồ sơ giải quyết trước và đúng hạn", k=3)
    assert hits and "98% hồ sơ được giải quyết trước và đúng hạn" in hits[0].chunk.text


def test_a_file_that_turns_unreadable_is_dropped_from_the_index_and_said_so(engine, folder):
    engine.ingest([folder])
    (folder / GOOD_NAME).write_bytes(cp1258(GOOD))

    report = engine.ingest([folder])

    assert "UTF-8" in report.failed[GOOD_NAME]
    assert report.removed == [GOOD_NAME]
    assert engine.documents() == []
    assert engine.search("chuyển đổi số", k=5) == []


def test_utf8_bom_and_utf16_text_files_are_accepted(engine, tmp_path):
    folder = tmp_path / "encodings"
    folder.mkdir()
    (folder / "bom.txt").write_bytes(GOOD.encode("utf-8-sig"))
    (folder / "utf16.txt").write_bytes(GOOD.replace("Dân Hòa", "Đức An").encode("utf-16"))

    report = engine.ingest([folder])

    assert report.failed == {}
    assert sorted(report.added) == ["bom.txt", "utf16.txt"]
    assert {d["commune"] for d in engine.documents()} == {"Dân Hòa", "Đức An"}


def test_a_docx_with_damaged_xml_inside_is_reported_not_fatal(engine, folder):
    good_docx = make_docx(
        ["Kế hoạch chuyển đổi số xã Dân Hòa năm 2026"],
        [["TT", "Nhiệm vụ", "Thời gian"], ["1", "Số hóa hồ sơ", "Quý I/2026"]],
        [],
    )
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good_docx)) as src, zipfile.ZipFile(damaged, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(
                info, data[: len(data) // 2] if info.filename == "word/document.xml" else data
            )
    (folder / "xml-hong.docx").write_bytes(damaged.getvalue())

    report = engine.ingest([folder])

    assert "DOCX" in report.failed.get("xml-hong.docx", ""), report.failed
    assert report.added == [GOOD_NAME]


def test_pdf_passages_carry_their_page_numbers(engine, tmp_path):
    folder = tmp_path / "pdf"
    folder.mkdir()
    (folder / "ke-hoach-dan-hoa.pdf").write_bytes(
        make_pdf(
            [
                [
                    "KE HOACH",
                    "Ke hoach cai cach hanh chinh xa Dan Hoa nam 2026",
                    "I. MUC TIEU",
                    "- Ban hanh ke hoach chuyen doi so trong thang 02/2026.",
                ],
                [
                    "II. NHIEM VU",
                    "- Ke hoach cai cach hanh chinh xa Dan Hoa nam 2026: "
                    "so hoa 100% ho so thu tuc.",
                ],
            ]
        )
    )

    report = engine.ingest([folder])

    assert report.added == ["ke-hoach-dan-hoa.pdf"] and report.failed == {}
    first = engine.search("ban hanh ke hoach chuyen doi so thang 02/2026", k=1)
    second = engine.search("so hoa 100% ho so thu tuc", k=1)
    assert first and "chuyen doi so trong thang 02/2026" in first[0].chunk.text
    assert first[0].chunk.page == 1
    assert second and "so hoa 100% ho so thu tuc" in second[0].chunk.text
    assert second[0].chunk.page == 2
    pages = {
        hit.chunk.page
        for hit in engine.search("Ke hoach cai cach hanh chinh xa Dan Hoa nam 2026", k=10)
    }
    assert pages == {1, 2}


def test_pdf_without_a_text_layer_asks_for_ocr(engine, tmp_path):
    folder = tmp_path / "scan"
    folder.mkdir()
    (folder / "ban-scan.pdf").write_bytes(make_pdf([[], []]))

    report = engine.ingest([folder])

    assert report.added == []
    assert "OCR" in report.failed["ban-scan.pdf"]


def test_docx_table_rows_become_chunks_with_their_column_headers(engine, tmp_path):
    header = ["TT", "Nhiệm vụ", "Cơ quan chủ trì", "Thời gian"]
    rows = [
        ["1", "Ban hành Kế hoạch chuyển đổi số", "Văn phòng HĐND và UBND xã", "Tháng 02/2026"],
        [
            "2",
            "Rà soát, đơn giản hóa thủ tục hành chính",
            "Trung tâm Phục vụ hành chính công",
            "Quý II/2026",
        ],
    ]
    folder = tmp_path / "docx"
    folder.mkdir()
    (folder / "ke-hoach-dan-hoa.docx").write_bytes(
        make_docx(
            [
                "KẾ HOẠCH",
                "Cải cách hành chính nhà nước năm 2026 xã Dân Hòa",
                "I. NHIỆM VỤ TRỌNG TÂM",
                "- Đẩy mạnh cải cách hành chính gắn với chuyển đổi số.",
            ],
            [header, *rows],
            ["II. TỔ CHỨC THỰC HIỆN", "Các cơ quan, đơn vị triển khai thực hiện nghiêm túc."],
        )
    )

    report = engine.ingest([folder])

    assert report.added == ["ke-hoach-dan-hoa.docx"] and report.failed == {}
    assert engine.documents()[0]["commune"] == "Dân Hòa"
    table_chunks = [c for c in engine.searcher.chunks if c.columns]
    assert [c.text.split(" | ") for c in table_chunks] == rows
    assert all(c.columns == tuple(header) for c in table_chunks)
    assert not any(c.text.startswith("TT") for c in engine.searcher.chunks), (
        "the header row is not a passage"
    )

    hit = engine.search(
        "Trung tâm Phục vụ hành chính công rà soát thủ tục hành chính khi nào", k=1
    )[0]
    assert hit.chunk.text.split(" | ") == rows[1]
    assert hit.chunk.columns == tuple(header)
