"""`create_app(context)`: the review page's application, its routes and its gates."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from daemon.web.context import WebContext
from daemon.web.files import file_routes
from daemon.web.guard import Guard
from daemon.web.headers import SecurityHeaders
from daemon.web.pages.characters import characters_routes
from daemon.web.pages.corrections import correction_routes
from daemon.web.pages.login import login_routes
from daemon.web.pages.models import models_routes
from daemon.web.pages.movies import movie_routes
from daemon.web.pages.overview import overview_routes
from daemon.web.pages.unknown import unknown_routes
from daemon.web.sessions import SESSION_COOKIE, SESSION_SECONDS
from daemon.web.templates import PageTemplates
from daemon.web.thumbnail_files import thumbnail_routes

STATIC = Path(__file__).resolve().parent / "static"


def create_app(context: WebContext) -> Starlette:
    templates = PageTemplates(context)
    routes: list[BaseRoute] = [
        *overview_routes(context, templates),
        *movie_routes(context, templates),
        *login_routes(context, templates),
        *characters_routes(context, templates),
        *unknown_routes(context, templates),
        *correction_routes(context, templates),
        *file_routes(context),
        *models_routes(context, templates),
        *thumbnail_routes(context),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=context.secret_key,
            session_cookie=SESSION_COOKIE,
            max_age=SESSION_SECONDS,
            same_site="strict",
            https_only=False,  # loopback has no TLS; the cookie is HttpOnly and signed
        ),
        Middleware(Guard, context=context),
    ]
    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: _plain_error},
    )


async def _plain_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "error"
    return PlainTextResponse(detail, status_code=status)
