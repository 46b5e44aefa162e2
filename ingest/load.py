"""Loaders: a file on disk → its text, one string per page.

Each loader raises `IngestError` with a Vietnamese reason for a file that must be skipped
(empty, corrupt, binary, scanned without text, legacy font encoding).
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable
from pathlib import Path

from ingest.errors import IngestError

# Characters that Vietnamese text in Unicode almost never uses but that text typed in the
# legacy TCVN3 (ABC) or VNI fonts shows when read as Unicode ("Céng hoµ x· héi").
_LEGACY_MARKS = set("µ¶·¸¹º»¼½¾¿¡¢£¤¥¦§¨©ª«¬®¯°±²³´×÷")


def load(path: Path) -> list[str]:
    """Return the text of `path`, one string per page (a single page for plain text)."""
    data = path.read_bytes()
    if not data.strip():
        raise IngestError("tệp rỗng, không có nội dung")
    suffix = path.suffix.lower()
    loader = _LOADERS.get(suffix)
    if loader is None:
        raise IngestError(f"định dạng {suffix or '(không có đuôi)'} chưa được hỗ trợ")
    return loader(data)


def _load_text(data: bytes) -> list[str]:
    return decode_text(data).split("\f")  # a form feed is a page break


def decode_text(data: bytes) -> str:
    """Decode UTF-8 (or UTF-16 with a BOM); refuse binary and legacy-encoded text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        if b"\x00" in data[:4096]:
            raise IngestError("tệp nhị phân, không phải văn bản")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise IngestError(
                "không phải mã UTF-8 (có thể là mã cũ TCVN3/VNI/Windows-1258); "
                "hãy lưu lại tệp dưới dạng Unicode UTF-8"
            ) from None
    _check_text(text)
    return text


def _check_text(text: str) -> None:
    visible = [c for c in text if not c.isspace()]
    if not visible:
        raise IngestError("tệp rỗng, không có nội dung")
    control = sum(1 for c in visible if unicodedata.category(c) in ("Cc", "Co", "Cs"))
    if control > 0.01 * len(visible):
        raise IngestError("tệp nhị phân, không phải văn bản")
    legacy = sum(1 for c in visible if c in _LEGACY_MARKS)
    if legacy > 0.005 * len(visible) and legacy >= 5:
        raise IngestError("văn bản gõ bằng phông cũ TCVN3/VNI; hãy chuyển sang Unicode rồi nạp lại")


def _load_pdf(data: bytes) -> list[str]:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except FileNotDecryptedError:
        raise IngestError("PDF có mật khẩu; hãy gỡ mật khẩu rồi nạp lại") from None
    # pypdf raises many kinds of exception on damaged files; all mean the same to the user.
    except Exception as exc:  # noqa: BLE001
        raise IngestError(f"PDF hỏng hoặc không đọc được ({type(exc).__name__})") from None
    if not any(p.strip() for p in pages):
        raise IngestError(
            "PDF không có lớp chữ (có thể là bản scan); cần nhận dạng chữ (OCR) trước"
        )
    for page in pages:
        if page.strip():
            _check_text(page)
    return pages


def _load_docx(data: bytes) -> list[str]:
    from docx import Document as Docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        doc = Docx(io.BytesIO(data))
    # A bad zip, damaged XML inside, missing parts: all mean the file is unreadable.
    except Exception as exc:  # noqa: BLE001
        raise IngestError(f"DOCX hỏng hoặc không đọc được ({type(exc).__name__})") from None
    lines: list[str] = []
    for element in doc.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(element, doc).text)
        elif tag == "tbl":
            for row in Table(element, doc).rows:
                cells = [cell.text.replace("\n", " ").strip() for cell in row.cells]
                lines.append("\t".join(cells))
            lines.append("")
    text = "\n".join(lines)
    if not text.strip():
        raise IngestError("tệp rỗng, không có nội dung")
    return [text]


# The loaders, by file suffix: the file's bytes → its text, one string per page.
_LOADERS: dict[str, Callable[[bytes], list[str]]] = {
    ".txt": _load_text,
    ".md": _load_text,
    ".pdf": _load_pdf,
    ".docx": _load_docx,
}
SUPPORTED = tuple(_LOADERS)  # the plain files `load` reads
