"""`/files/<path>`: images from inside the library, and nothing else.

The path is refused (404, the same as a file that is not there, so nothing is learnt by
probing) when it is absolute, has a `..`, a backslash, a drive or a NUL, names a hidden file,
is not an image, or resolves (symbolic links followed) to somewhere outside the library.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from daemon.web.context import WebContext

SERVED_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp"})
FORBIDDEN_CHARACTERS = ("\\", "\x00", ":")


def library_file(library: Path, relative: str) -> Path | None:
    """The file `relative` names inside `library`, or None when it must not be served."""
    if not relative or any(c in relative for c in FORBIDDEN_CHARACTERS):
        return None
    parts = PurePosixPath(relative)
    if parts.is_absolute() or any(p in ("..", ".") or p.startswith(".") for p in parts.parts):
        return None
    if parts.suffix.lower() not in SERVED_SUFFIXES:
        return None
    root = library.resolve()
    try:
        resolved = (root / parts).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, a link loop
        return None
    if not resolved.is_relative_to(root) or not resolved.is_file():
        return None
    return resolved


def file_routes(context: WebContext) -> list[Route]:
    def serve(request: Request) -> Response:
        found = library_file(context.config.library, request.path_params["path"])
        if found is None:
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(found)

    return [Route("/files/{path:path}", serve, methods=["GET", "HEAD"])]
