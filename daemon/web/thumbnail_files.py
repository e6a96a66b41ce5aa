"""`/thumbs/<path>`: the small cached thumbnail (thumbnails.py) of an image inside the
library, for the grids; the same paths as `/files/` are refused, with the same 404.

A grid asks for 200 of them at once, so each is found and read in one trip to a worker
thread (a thumbnail is a few KiB) rather than streamed; its cache name (the image's path,
size and time) is its ETag, so a browser that has it gets a 304 without the bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from daemon.web.context import WebContext
from daemon.web.files import library_file
from daemon.web.thumbnails import ThumbnailError, Thumbnails

NO_CACHE = "the thumbnail cache cannot be written (see the log)"
REVALIDATE = "private, no-cache"  # kept by the browser, asked again (a 304) when shown


@dataclass(frozen=True)
class ServedThumbnail:
    data: bytes
    media_type: str
    etag: str


def thumbnail_routes(context: WebContext) -> list[Route]:
    library = context.config.library
    thumbnails = Thumbnails(library)
    log = structlog.get_logger("web")

    def made(relative: str) -> ServedThumbnail | None:
        if library_file(library, relative) is None:
            return None
        try:
            thumbnail = thumbnails.of(Path(relative))
        except ThumbnailError:
            return None
        data = thumbnail.path.read_bytes()
        return ServedThumbnail(data, thumbnail.media_type, f'"{thumbnail.path.stem}"')

    async def serve(request: Request) -> Response:
        try:
            thumbnail = await run_in_threadpool(made, request.path_params["path"])
        except OSError as exc:  # a full disk or a library this process may not write
            log.warning("review page: no thumbnail", error=str(exc))
            return PlainTextResponse(NO_CACHE, status_code=503)
        if thumbnail is None:
            return PlainTextResponse("not found", status_code=404)
        headers = {"ETag": thumbnail.etag, "Cache-Control": REVALIDATE}
        if request.headers.get("if-none-match") == thumbnail.etag:
            return Response(status_code=304, headers=headers)
        return Response(thumbnail.data, media_type=thumbnail.media_type, headers=headers)

    return [Route("/thumbs/{path:path}", serve, methods=["GET", "HEAD"])]
