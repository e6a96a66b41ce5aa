"""The pages named in the navigation that are not built yet: each says so, and what to use
meanwhile."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from daemon.web.templates import PageTemplates


@dataclass(frozen=True)
class ComingPage:
    path: str
    title: str
    instead: str


COMING = (
    ComingPage("/movies", "Movies", "Meanwhile: bunny status, bunny retry."),
    ComingPage("/characters", "Characters", "Meanwhile: bunny characters, the library's folders."),
)


def coming_routes(templates: PageTemplates) -> list[Route]:
    def route(coming: ComingPage) -> Route:
        async def page(request: Request) -> Response:
            values = {"title": coming.title, "instead": coming.instead}
            return templates.page(request, "coming.html", values)

        return Route(coming.path, page, methods=["GET", "HEAD"])

    return [route(coming) for coming in COMING]
