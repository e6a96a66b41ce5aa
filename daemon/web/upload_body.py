"""A multipart upload of one file read with a size cap, in memory: a body past the cap is
refused as soon as its declared length or its bytes so far say so, and nothing of it is
ever written to the system's temporary folder (Starlette's parser would spool it there)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

BYTES_PER_MB = 1024 * 1024
MAX_UPLOAD_MB = 20
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * BYTES_PER_MB
# The multipart boundaries and part headers around the file.
ENVELOPE_BYTES = 64 * 1024


class UploadTooLargeError(Exception):
    """More than MAX_UPLOAD_BYTES was sent."""


class UploadRefusedError(Exception):
    """Not a multipart form with the one file expected; the message says why."""


@dataclass(frozen=True)
class ReceivedFile:
    name: str  # as the browser sent it
    data: bytes


class _InMemoryParser(MultiPartParser):
    spool_max_size = MAX_UPLOAD_BYTES + ENVELOPE_BYTES


async def received_file(request: Request, field: str) -> ReceivedFile:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > _body_cap():
        raise UploadTooLargeError(_too_large())
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise UploadRefusedError("send the photo as a multipart form (multipart/form-data)")
    parser = _InMemoryParser(request.headers, _capped(request), max_files=1, max_fields=4)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise UploadRefusedError(f"the form could not be read: {exc.message}") from exc
    sent = form.get(field)
    if not isinstance(sent, UploadFile):
        raise UploadRefusedError(f"no file in the form's {field!r} field")
    data = await sent.read()
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadTooLargeError(_too_large())
    return ReceivedFile(sent.filename or "", data)


async def _capped(request: Request) -> AsyncGenerator[bytes, None]:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _body_cap():
            raise UploadTooLargeError(_too_large())
        yield chunk


def _body_cap() -> int:
    return MAX_UPLOAD_BYTES + ENVELOPE_BYTES


def _too_large() -> str:
    return f"the photo is larger than {MAX_UPLOAD_MB} MB, the most an upload may be"
