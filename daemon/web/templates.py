"""The page templates: Jinja2 with autoescape on for every file, so whatever a user named
(a movie, a character, an error about them) is text on the page, never markup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from daemon.web.context import WebContext
from daemon.web.sessions import csrf_token, logged_in
from daemon.web.time_text import duration_text

TEMPLATES = Path(__file__).resolve().parent / "templates"


class PageTemplates:
    def __init__(self, context: WebContext) -> None:
        environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        environment.filters["duration"] = duration_text
        self._templates = Jinja2Templates(env=environment)
        self._context = context

    def page(
        self, request: Request, name: str, values: dict[str, Any], status_code: int = 200
    ) -> Response:
        common = {
            "csrf_token": csrf_token(request.session),
            "read_only": self._context.read_only,
            "logged_in": logged_in(request.session),
            "has_password": self._context.access.password is not None,
            "path": request.url.path,
        }
        return self._templates.TemplateResponse(
            request, name, common | values, status_code=status_code
        )
