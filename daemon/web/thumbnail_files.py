"""`/thumbs/<path>`: the small cached thumbnail (thumbnails.py) of an image inside the
library, for the grids; the same paths as `/files/` are refused, with the same 404."""

from __future__ import annotations

from pathlib import Path

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from daemon.web.context import WebContext
from daemon.web.files import library_file
from daemon.web.thumbnails import Thumbnail, ThumbnailError, Thumbnails

NO_CACHE = "the thumbnail cache cannot be written (see the log)"


def thumbnail_routes(context: WebContext) -> list[Route]:
    library = context.config.library
    thumbnails = Thumbnails(library)
    log = structlog.get_logger("web")

    def made(relative: str) -> Thumbnail | None:
        if library_file(library, relative) is None:
            return None
        try:
            return thumbnails.of(Path(relative))
        except ThumbnailError:
            return None

    async def serve(request: Request) -> Response:
        try:
            thumbnail = await run_in_threadpool(made, request.path_params["path"])
        except OSError as exc:  # a full disk or a library this process may not write
            log.warning("review page: no thumbnail", error=str(exc))
            return PlainTextResponse(NO_CACHE, status_code=503)
        if thumbnail is None:
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(thumbnail.path, media_type=thumbnail.media_type)

    return [Route("/thumbs/{path:path}", serve, methods=["GET", "HEAD"])]
