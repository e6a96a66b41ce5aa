"""The gate in front of every route: login, then for each change (any method but GET and
HEAD) the same origin, a CSRF token bound to the session, and a page that may change things.

The token travels in the `X-CSRF-Token` header (htmx sends it on every request, see
base.html) or, for a plain form, in the `csrf_token` field of a urlencoded body, which is
read here and handed on to the route unchanged. A multipart form (an upload) must use the
header. GET never changes anything, so it needs no token.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from daemon.web.context import WebContext
from daemon.web.sessions import CSRF_FIELD, CSRF_HEADER, csrf_matches, logged_in

SAFE_METHODS = frozenset({"GET", "HEAD"})
OPEN_PATHS = ("/login", "/static/")  # reachable before logging in
ACCOUNT_PATHS = frozenset({"/login", "/logout"})  # changes of the session, not of the library
MAX_FORM_BYTES = 1024 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"
READ_ONLY_MESSAGE = "this page is read-only (bunny web --read-only): nothing was changed"


class Guard:
    def __init__(self, app: ASGIApp, context: WebContext) -> None:
        self.app = app
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path = request.url.path
        needs_login = self.context.access.password is not None and not path.startswith(OPEN_PATHS)
        if request.method in SAFE_METHODS:
            if needs_login and not logged_in(request.session):
                await _to_login(request)(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        form = request.headers.get("content-type", "").startswith(FORM_TYPE)
        body, replay = await _read_body(receive) if form else (b"", receive)
        refusal = self._refusal(request, path, needs_login, body)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, replay, send)

    def _refusal(
        self, request: Request, path: str, needs_login: bool, body: bytes | None
    ) -> Response | None:
        if not _same_origin(request):
            return _forbidden("refused: the request came from another site")
        if needs_login and not logged_in(request.session):
            return _forbidden("refused: log in first")
        if body is None:
            return PlainTextResponse("refused: the form is too large", status_code=413)
        if not csrf_matches(request.session, _sent_token(request, body)):
            return _forbidden("refused: the form's CSRF token is missing or wrong; reload the page")
        if self.context.read_only and path not in ACCOUNT_PATHS:
            return _forbidden(READ_ONLY_MESSAGE)
        return None


def _same_origin(request: Request) -> bool:
    """A browser names the page a change comes from; one from another origin is refused."""
    origin = request.headers.get("origin")
    if origin is None:
        return request.headers.get("sec-fetch-site") in (None, "same-origin", "none")
    return origin == f"{request.url.scheme}://{request.headers.get('host', '')}"


def _sent_token(request: Request, body: bytes) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith(FORM_TYPE):
        values = parse_qs(body.decode("latin-1"), max_num_fields=1000).get(CSRF_FIELD)
        return values[0] if values else None
    return None


async def _read_body(receive: Receive) -> tuple[bytes | None, Receive]:
    """The whole body (None past MAX_FORM_BYTES), and a receive that gives it again."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None, receive
        chunks.append(chunk)
        more = message.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


def _forbidden(text: str) -> Response:
    return PlainTextResponse(text, status_code=403)


def _to_login(request: Request) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": "/login"})
    return RedirectResponse("/login", status_code=303)
