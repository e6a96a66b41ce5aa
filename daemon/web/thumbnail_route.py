"""`/thumbs/<path>`: the cached thumbnail of an image in the library, for the pages' grids.

The path is refused (404) by the same rules as `/files/` (files.py); the thumbnail is made
off the event loop, once (thumbnails.py)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from daemon.web.context import WebContext
from daemon.web.files import library_file
from daemon.web.thumbnails import ThumbnailError, Thumbnails


def thumbnail_routes(context: WebContext) -> list[Route]:
    thumbnails = Thumbnails(context.config.library)

    async def serve(request: Request) -> Response:
        found = library_file(context.config.library, request.path_params["path"])
        if found is None:
            return PlainTextResponse("not found", status_code=404)
        try:
            thumbnail = await run_in_threadpool(thumbnails.of, found)
        except ThumbnailError:
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(thumbnail.path, media_type=thumbnail.media_type)

    return [Route("/thumbs/{path:path}", serve, methods=["GET", "HEAD"])]
