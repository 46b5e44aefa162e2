"""The admin routes (`service.admin` does the work): list uploads, upload, re-index, remove.
Included only when `TTHC_ADMIN_API_KEY` is set; `service.guard.KeyFirst` refuses a caller
without the key before the body is read, and `AdminScope` says so again here."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, UploadFile
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool

from service.admin import SAFE_NAME, check_name
from service.guard import ERRORS
from service.http.deps import AdminScope, BuiltEngineDep, MaybeEngineDep, UploadsDep

router = APIRouter()


@router.get("/api/admin/documents", responses=ERRORS)
async def list_documents(_: AdminScope, uploads: UploadsDep, engine: MaybeEngineDep) -> dict:
    return {"documents": await run_in_threadpool(uploads.listing, engine)}


@router.post("/api/admin/documents", status_code=201, responses=ERRORS)
async def upload(
    file: Annotated[UploadFile, File()],
    _: AdminScope,
    uploads: UploadsDep,
    engine: BuiltEngineDep,
    visibility: Annotated[Literal["public", "internal"], Form()] = "public",
) -> dict:
    stem, suffix = check_name(file.filename)
    data = await file.read(uploads.max_bytes + 1)
    stored = await run_in_threadpool(uploads.add, engine, stem, suffix, data, visibility)
    return {
        "document": {
            "name": file.filename,
            "stored_as": stored.name,
            "visibility": visibility,
            "status": "indexed",
        },
        "report": stored.report,
    }


@router.post("/api/admin/reindex", responses=ERRORS)
async def reindex_route(_: AdminScope, uploads: UploadsDep, engine: BuiltEngineDep) -> dict:
    return {"report": await run_in_threadpool(uploads.reindex, engine)}


@router.delete("/api/admin/documents/{stored_as}", responses=ERRORS)
async def remove(
    stored_as: Annotated[str, PathParam(pattern=SAFE_NAME.pattern)],
    _: AdminScope,
    uploads: UploadsDep,
    engine: BuiltEngineDep,
) -> dict:
    report = await run_in_threadpool(uploads.remove, engine, stored_as)
    return {"removed": stored_as, "report": report}
