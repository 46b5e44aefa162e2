"""The pages people open: the citizen chat at `/`, the officer view at `/can-bo`, the admin
page at `/quan-tri`, the portal widget at `/widget.js`, and their files under `/static/`.
They are plain files in `service/static/` (no build step); the strict Content-Security-Policy
set in `service.guard` forbids inline script and style, so they hold none."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from service.resources import STATIC

PAGES = {"/": "index.html", "/can-bo": "can-bo.html", "/quan-tri": "quan-tri.html"}

router = APIRouter(include_in_schema=False)


def static_files() -> StaticFiles:
    """The pages' scripts, styles and images, for `app.mount("/static", …)` (a router
    cannot carry a mount)."""
    return StaticFiles(directory=STATIC, check_dir=False)


def _file(name: str, media_type: str, cache: str) -> FileResponse:
    if not (STATIC / name).is_file():
        raise HTTPException(404)
    return FileResponse(STATIC / name, media_type=media_type, headers={"Cache-Control": cache})


def _page(name: str) -> Callable[[], FileResponse]:
    # No parameters: the file is fixed here, never taken from the request (a `name` default
    # argument would be a query parameter, `/?name=../../data/…`, reading any file).
    def page() -> FileResponse:
        return _file(name, "text/html; charset=utf-8", "no-cache")

    return page


for _path, _name in PAGES.items():
    router.add_api_route(_path, _page(_name), methods=["GET"])


@router.get("/widget.js")
def widget() -> FileResponse:
    return _file("widget.js", "text/javascript; charset=utf-8", "public, max-age=300")
