"""`/login` and `/logout`: one password for the page (web.password), compared in constant
time; the password itself is never logged or echoed."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from daemon.web.context import WebContext
from daemon.web.sessions import log_in, log_out, password_matches
from daemon.web.templates import PageTemplates

WRONG = "wrong password"


def login_routes(context: WebContext, templates: PageTemplates) -> list[Route]:
    log = structlog.get_logger("web")

    async def form(request: Request) -> Response:
        if context.access.password is None:
            return RedirectResponse("/", status_code=303)
        return templates.page(request, "login.html", {"error": None})

    async def submit(request: Request) -> Response:
        expected = context.access.password
        if expected is None:
            return RedirectResponse("/", status_code=303)
        sent = (await request.form()).get("password")
        if not isinstance(sent, str) or not password_matches(expected, sent):
            client = request.client.host if request.client else None
            log.warning("review page: a wrong password", client=client)
            return templates.page(request, "login.html", {"error": WRONG}, status_code=403)
        log_in(request.session)
        return RedirectResponse("/", status_code=303)

    async def logout(request: Request) -> Response:
        log_out(request.session)
        return RedirectResponse("/login" if context.access.password else "/", status_code=303)

    return [
        Route("/login", form, methods=["GET", "HEAD"]),
        Route("/login", submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]
