"""Admin routes: upload documents, list them with their status, re-index, remove.

They exist only when `TTHC_ADMIN_API_KEY` is set (there is no default key), and answer 401
without the `X-API-Key` header and 403 with a wrong one. Uploads are checked by what they
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
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

from fastapi import FastAPI, File, Form, Header, UploadFile
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from ingest.textnorm import fold
from service.guard import ERRORS, error, key_matches
from service.settings import Settings

FOLDERS = {"public": "cong-khai", "internal": "noi-bo"}
KINDS = (".pdf", ".docx", ".txt", ".md", ".json")
SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}-[0-9a-f]{8}\.(?:pdf|docx|txt|md|json)$")
_BAD_NAME = re.compile(r"[\\/]|^\.|\.\.")


class Refused(HTTPException):
    """An upload refused, with the status and the Vietnamese reason."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(status, message)
        self.code, self.message = code, message


def is_admin_route(method: str, path: str) -> bool:
    """The admin routes below, by method and path (for `service.guard.KeyFirst`)."""
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
    refuse = Refused(
        415, "not_a_document", f"Nội dung tệp không phải tài liệu {suffix[1:].upper()} hợp lệ."
    )
    if not data.strip():
        raise Refused(422, "empty_file", "Tệp rỗng.")
    if suffix == ".pdf":
        if not data.startswith(b"%PDF-"):
            raise refuse
        from pypdf import PdfReader

        try:
            PdfReader(io.BytesIO(data)).pages[0]  # opening the first page is the check
        except Exception:  # noqa: BLE001 - any failure to parse is "not a PDF"
            raise refuse from None
    elif suffix == ".docx":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" not in archive.namelist():
                    raise refuse
        except zipfile.BadZipFile:
            raise refuse from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Refused(415, "not_utf8", "Tệp văn bản phải mã hóa UTF-8.") from None
        if "\x00" in text:
            raise refuse
        if suffix == ".json":
            try:
                record = json.loads(text)
            except json.JSONDecodeError:
                raise refuse from None
            if not (isinstance(record, dict) and ("ma_thu_tuc" in record or "code" in record)):
                raise Refused(
                    422, "not_a_procedure", "Tệp JSON không phải bản ghi thủ tục hành chính."
                )


def stored_name(stem: str, suffix: str, data: bytes) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(stem)).strip("-")[:60] or "tai-lieu"
    return f"{slug}-{hashlib.sha256(data).hexdigest()[:8]}{suffix}"


def add_admin(app: FastAPI, settings: Settings, engine_of: Callable) -> None:
    root = settings.data_dir / "uploads"
    lock = threading.Lock()  # one change to the uploads at a time

    def authorise(key: str | None) -> None:
        if not key:
            raise HTTPException(401)
        if not key_matches(key, settings.admin_api_key):
            raise HTTPException(403)

    def engine():
        found = engine_of()
        if found is None:
            raise HTTPException(503)
        return found

    def reindex() -> dict:
        root.mkdir(parents=True, exist_ok=True)
        with lock:
            report = engine().ingest([root])
        return {
            "added": report.added,
            "updated": report.updated,
            "removed": report.removed,
            "failed": report.failed,
            "generation": report.generation,
            "chunks": report.chunks,
            "seconds": round(report.seconds, 2),
        }

    def listing() -> list[dict]:
        indexed: dict[str, list[dict]] = {}
        current = engine_of()
        if current is not None and current.ready:
            for d in current.searcher.generation.documents:
                indexed.setdefault(Path(d.get("path", "")).name, []).append(d)
        rows = []
        for visibility, folder in FOLDERS.items():
            for path in sorted((root / folder).glob("[!.]*")) if (root / folder).is_dir() else []:
                docs = indexed.get(path.name, [])
                rows.append(
                    {
                        "stored_as": path.name,
                        "visibility": visibility,
                        "size": path.stat().st_size,
                        "status": "indexed" if docs else "pending",
                        "doc_ids": [d["doc_id"] for d in docs],
                        "titles": [d.get("title") for d in docs],
                        "chunks": sum(d.get("chunks", 0) for d in docs),
                    }
                )
        return rows

    def find(stored_as: str) -> Path:
        if not SAFE_NAME.match(stored_as):
            raise Refused(400, "bad_file_name", "Tên tệp không hợp lệ.")
        for folder in FOLDERS.values():
            if (root / folder / stored_as).is_file():
                return root / folder / stored_as
        raise Refused(404, "document_not_found", "Không tìm thấy tài liệu này.")

    @app.exception_handler(Refused)
    async def on_refused(request, exc: Refused):
        return error(exc.status_code, exc.code, exc.message)

    @app.get("/api/admin/documents", responses=ERRORS)
    async def list_documents(x_api_key: str | None = Header(default=None)) -> dict:
        authorise(x_api_key)
        return {"documents": await run_in_threadpool(listing)}

    @app.post("/api/admin/documents", status_code=201, responses=ERRORS)
    async def upload(
        file: Annotated[UploadFile, File()],
        visibility: Annotated[Literal["public", "internal"], Form()] = "public",
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> dict:
        authorise(x_api_key)
        stem, suffix = check_name(file.filename)
        data = await file.read(settings.max_upload_bytes + 1)
        if len(data) > settings.max_upload_bytes:
            raise Refused(
                413,
                "file_too_large",
                f"Tệp quá lớn (tối đa {settings.max_upload_bytes // (1024 * 1024)} MB).",
            )
        await run_in_threadpool(check_content, data, suffix)
        name = stored_name(stem, suffix, data)
        folder = root / FOLDERS[visibility]
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        partial = (
            folder / f".{name}.{uuid.uuid4().hex}.part"
        )  # hidden from ingestion until complete
        partial.write_bytes(data)
        partial.replace(target)
        report = await run_in_threadpool(reindex)
        if name in report["failed"]:
            target.unlink(missing_ok=True)
            raise Refused(
                422, "unreadable_document", f"Không đọc được tài liệu: {report['failed'][name]}"
            )
        return {
            "document": {
                "name": file.filename,
                "stored_as": name,
                "visibility": visibility,
                "status": "indexed",
            },
            "report": report,
        }

    @app.post("/api/admin/reindex", responses=ERRORS)
    async def reindex_route(x_api_key: str | None = Header(default=None)) -> dict:
        authorise(x_api_key)
        return {"report": await run_in_threadpool(reindex)}

    @app.delete("/api/admin/documents/{stored_as}", responses=ERRORS)
    async def remove(
        stored_as: Annotated[str, PathParam(pattern=SAFE_NAME.pattern)],
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> dict:
        authorise(x_api_key)
        path = find(stored_as)
        path.unlink()
        return {"removed": stored_as, "report": await run_in_threadpool(reindex)}
