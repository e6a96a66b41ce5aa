"""`/thumbs/<path>`: the cached thumbnail (thumbnails.py) of an image inside the library; the
path is refused as `/files/` refuses it (404 for anything it would not serve)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from daemon.web.context import WebContext
from daemon.web.files import library_file
from daemon.web.thumbnails import ThumbnailError, Thumbnails


def thumbnail_routes(context: WebContext) -> list[Route]:
    library = context.config.library
    thumbnails = Thumbnails(library)

    def thumbnail(relative: str) -> Response:
        found = library_file(library, relative)
        if found is None:
            return PlainTextResponse("not found", status_code=404)
        try:
            made = thumbnails.of(found.relative_to(library.resolve()))
        except ThumbnailError:
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(made.path, media_type=made.media_type)

    async def serve(request: Request) -> Response:
        return await run_in_threadpool(thumbnail, request.path_params["path"])

    return [Route("/thumbs/{path:path}", serve, methods=["GET", "HEAD"])]
