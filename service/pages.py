"""The pages people open: the citizen chat at `/`, the officer view at `/can-bo`, the admin
page at `/quan-tri`, the portal widget at `/widget.js`, and their files under `/static/`.
They are plain files in `service/static/` (no build step); the strict Content-Security-Policy
set in `service.guard` forbids inline script and style, so they hold none."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from service.resources import STATIC

PAGES = {"/": "index.html", "/can-bo": "can-bo.html", "/quan-tri": "quan-tri.html"}


def add_pages(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")

    for path, name in PAGES.items():

        def page(name: str = name) -> FileResponse:
            if not (STATIC / name).is_file():
                raise HTTPException(404)
            return FileResponse(
                STATIC / name,
                media_type="text/html; charset=utf-8",
                headers={"Cache-Control": "no-cache"},
            )

        app.add_api_route(path, page, methods=["GET"], include_in_schema=False)

    @app.get("/widget.js", include_in_schema=False)
    def widget() -> FileResponse:
        if not (STATIC / "widget.js").is_file():
            raise HTTPException(404)
        return FileResponse(
            STATIC / "widget.js",
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )
