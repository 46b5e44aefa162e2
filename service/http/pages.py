"""The pages people open: the citizen chat at `/`, the officer view at `/can-bo`, the admin
page at `/quan-tri`, the portal widget at `/widget.js`, and their files under `/static/`.
They are plain files in `service/static/` (no build step); the strict Content-Security-Policy
set in `service.guard` forbids inline script and style, so they hold none."""

from __future__ import annotations

import html
from collections.abc import Callable

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from service.admin import OFF_MESSAGE
from service.http.deps import SettingsDep
from service.resources import STATIC

PAGES = {"/": "index.html", "/can-bo": "can-bo.html"}
# `/quan-tri` without `TTHC_ADMIN_API_KEY`: the reason instead of a form no key could open.
ADMIN_OFF_PAGE = f"""<!doctype html>
<html lang="vi">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Quản trị đang tắt — Trợ lý hỏi đáp thủ tục hành chính</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/static/chat.css">
  <link rel="stylesheet" href="/static/officer.css">
</head>
<body class="officer">
  <header class="site-header">
    <h1>Quản trị tài liệu</h1>
  </header>
  <main>
    <section class="panel-block">
      <p id="admin-status" class="duty-status" role="status">{html.escape(OFF_MESSAGE)}</p>
    </section>
  </main>
</body>
</html>
"""

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


@router.get("/quan-tri")
def admin_page(settings: SettingsDep) -> Response:
    """The admin page, or with administration off (no admin key) the page saying so, 403 as
    the admin routes answer then (`service.guard.KeyFirst`)."""
    if not settings.admin_api_key:
        return HTMLResponse(ADMIN_OFF_PAGE, status_code=403, headers={"Cache-Control": "no-cache"})
    return _file("quan-tri.html", "text/html; charset=utf-8", "no-cache")


@router.get("/widget.js")
def widget() -> FileResponse:
    return _file("widget.js", "text/javascript; charset=utf-8", "public, max-age=300")
