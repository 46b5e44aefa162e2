"""What the admin routes (`service.http.admin`) do: upload documents, list them with their
status, re-index, remove.

The routes exist only when `TTHC_ADMIN_API_KEY` is set (there is no default key), and answer 401
without the `X-API-Key` header and 403 with a wrong one; without the setting, they and the
`/quan-tri` page answer 403 `OFF_MESSAGE`, which names it. Uploads are checked by what they
contain, not by what they are called (a PDF must be a PDF pypdf can open, a DOCX a Word
archive, text valid UTF-8, JSON a procedure record), are size-limited, and are stored under
a name the service makes (`ten-tep-1a2b3c4d.pdf`), never the name sent. Internal documents
go to the `noi-bo` folder, which is what marks them internal (`retriever.build.visibility_of`).

Uploads live in `$TTHC_DATA_DIR/uploads/`; re-indexing updates the index from that folder
only, so the bundled corpus and any imported crawl stay as they are. A file the ingester
cannot read is reported with its reason and removed again: the index keeps serving as before.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import threading
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException

from ingest.textnorm import fold

if TYPE_CHECKING:
    from retriever.store import IndexedDocument
    from service.engine import Engine

FOLDERS = {"public": "cong-khai", "internal": "noi-bo"}
KINDS = (".pdf", ".docx", ".txt", ".md", ".json")
SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}-[0-9a-f]{8}\.(?:pdf|docx|txt|md|json)$")
_BAD_NAME = re.compile(r"[\\/]|^\.|\.\.")
# What the admin routes and page answer when `TTHC_ADMIN_API_KEY` is unset: no key could open
# them, so the operator is told which setting turns administration on.
OFF_CODE = "admin_disabled"
OFF_MESSAGE = (
    "Chức năng quản trị đang tắt trên máy chủ này. Để bật, người vận hành đặt biến môi trường "
    "TTHC_ADMIN_API_KEY (khóa quản trị) rồi khởi động lại dịch vụ."
)


class Refused(HTTPException):
    """An upload refused, with the status and the Vietnamese reason."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(status, message)
        self.code, self.message = code, message


def is_admin_route(method: str, path: str) -> bool:
    """The admin routes (`service.http.admin`) by method and path, for `guard.KeyFirst`."""
    return (method, path) in {
        ("GET", "/api/admin/documents"),
        ("POST", "/api/admin/documents"),
        ("POST", "/api/admin/reindex"),
    } or (method == "DELETE" and path.startswith("/api/admin/documents/"))


def check_name(name: str | None) -> tuple[str, str]:
    """(stem, suffix) of an acceptable original file name; refuses paths and odd names."""
    if (
        not name
        or len(name) > 200
        or _BAD_NAME.search(name)
        or any(unicodedata.category(c)[0] == "C" for c in name)
    ):
        raise Refused(
            400,
            "bad_file_name",
            "Tên tệp không hợp lệ (không được chứa đường dẫn, '..' hay ký tự điều khiển).",
        )
    path = Path(name)
    suffix = path.suffix.lower()
    if suffix not in KINDS:
        raise Refused(415, "unsupported_type", "Chỉ nhận tệp PDF, DOCX, TXT, MD hoặc JSON thủ tục.")
    return path.stem, suffix


def check_content(data: bytes, suffix: str) -> None:
    """Refuse what is not the document its name says it is."""
    if not data.strip():
        raise Refused(422, "empty_file", "Tệp rỗng.")
    _CHECKS.get(suffix, _check_text)(data, suffix)


def _not_a(suffix: str) -> Refused:
    return Refused(
        415, "not_a_document", f"Nội dung tệp không phải tài liệu {suffix[1:].upper()} hợp lệ."
    )


def _check_pdf(data: bytes, suffix: str) -> None:
    if not data.startswith(b"%PDF-"):
        raise _not_a(suffix)
    from pypdf import PdfReader

    try:
        PdfReader(io.BytesIO(data)).pages[0]  # opening the first page is the check
    except Exception:  # noqa: BLE001 - any failure to parse is "not a PDF"
        raise _not_a(suffix) from None


def _check_docx(data: bytes, suffix: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise _not_a(suffix)
    except zipfile.BadZipFile:
        raise _not_a(suffix) from None


def _check_text(data: bytes, suffix: str) -> None:
    """TXT, MD and JSON: UTF-8 text without NUL; JSON must be a procedure record."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused(415, "not_utf8", "Tệp văn bản phải mã hóa UTF-8.") from None
    if "\x00" in text:
        raise _not_a(suffix)
    if suffix == ".json":
        try:
            record = json.loads(text)
        except json.JSONDecodeError:
            raise _not_a(suffix) from None
        if not (isinstance(record, dict) and ("ma_thu_tuc" in record or "code" in record)):
            raise Refused(422, "not_a_procedure", "Tệp JSON không phải bản ghi thủ tục hành chính.")


_CHECKS = {".pdf": _check_pdf, ".docx": _check_docx}


def stored_name(stem: str, suffix: str, data: bytes) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(stem)).strip("-")[:60] or "tai-lieu"
    return f"{slug}-{hashlib.sha256(data).hexdigest()[:8]}{suffix}"


@dataclass(frozen=True)
class Stored:
    """An upload kept and indexed: its stored name and the re-index report."""

    name: str
    report: dict


class Uploads:
    """The uploads folder (`<data_dir>/uploads`, one sub-folder per visibility) and the index
    built from it; one change at a time."""

    def __init__(self, root: Path, max_bytes: int):
        self.root, self.max_bytes = root, max_bytes
        self._lock = threading.Lock()

    def reindex(self, engine: Engine) -> dict:
        """Update the index from the uploads folder only."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self._lock:
            report = engine.ingest([self.root])
        return {
            "added": report.added,
            "updated": report.updated,
            "removed": report.removed,
            "failed": report.failed,
            "generation": report.generation,
            "chunks": report.chunks,
            "seconds": round(report.seconds, 2),
        }

    def listing(self, engine: Engine | None) -> list[dict]:
        """Every uploaded file with its visibility and whether the index holds it yet."""
        indexed: dict[str, list[IndexedDocument]] = {}
        searcher = engine.searcher if engine is not None else None
        if searcher is not None:  # the engine is ready
            for d in searcher.generation.documents:
                indexed.setdefault(Path(d.path).name, []).append(d)
        return [
            _row(path, visibility, indexed.get(path.name, []))
            for visibility, folder in FOLDERS.items()
            for path in _files(self.root / folder)
        ]

    def add(self, engine: Engine, stem: str, suffix: str, data: bytes, visibility: str) -> Stored:
        """Check an upload, keep it under the service's own name and index it; a file the
        ingester cannot read is refused with its reason and removed again."""
        if len(data) > self.max_bytes:
            raise Refused(
                413,
                "file_too_large",
                f"Tệp quá lớn (tối đa {self.max_bytes // (1024 * 1024)} MB).",
            )
        check_content(data, suffix)
        name = stored_name(stem, suffix, data)
        folder = self.root / FOLDERS[visibility]
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        # Hidden from ingestion (a dot name) until complete.
        partial = folder / f".{name}.{uuid.uuid4().hex}.part"
        partial.write_bytes(data)
        partial.replace(target)
        report = self.reindex(engine)
        if name in report["failed"]:
            target.unlink(missing_ok=True)
            raise Refused(
                422, "unreadable_document", f"Không đọc được tài liệu: {report['failed'][name]}"
            )
        return Stored(name, report)

    def remove(self, engine: Engine, stored_as: str) -> dict:
        """Delete an upload by its stored name and update the index; returns the report."""
        self.find(stored_as).unlink()
        return self.reindex(engine)

    def find(self, stored_as: str) -> Path:
        if not SAFE_NAME.match(stored_as):
            raise Refused(400, "bad_file_name", "Tên tệp không hợp lệ.")
        for folder in FOLDERS.values():
            if (self.root / folder / stored_as).is_file():
                return self.root / folder / stored_as
        raise Refused(404, "document_not_found", "Không tìm thấy tài liệu này.")


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("[!.]*")) if folder.is_dir() else []


def _row(path: Path, visibility: str, docs: list[IndexedDocument]) -> dict:
    return {
        "stored_as": path.name,
        "visibility": visibility,
        "size": path.stat().st_size,
        "status": "indexed" if docs else "pending",
        "doc_ids": [d.doc_id for d in docs],
        "titles": [d.title for d in docs],
        "chunks": sum(d.chunks for d in docs),
    }
