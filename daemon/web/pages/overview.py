"""`/`: the overview, and `/overview/body`, the part of it the page fetches every 2 s."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from daemon.commands.retry import requeue_movies
from daemon.web.context import WebContext
from daemon.web.overview_view import OverviewView, overview
from daemon.web.templates import PageTemplates

NOTICE_KEY = "notice"


def overview_routes(context: WebContext, templates: PageTemplates) -> list[Route]:
    def view() -> OverviewView:
        return overview(context.repo, context.config)

    async def page(request: Request) -> Response:
        shown = await run_in_threadpool(view)
        notice = request.session.pop(NOTICE_KEY, None)
        values = {"report": shown.report, "in_flight": shown.in_flight, "failed": shown.failed}
        return templates.page(
            request, "overview.html", values | {"errors": shown.errors, "notice": notice}
        )

    async def body(request: Request) -> Response:
        shown = await run_in_threadpool(view)
        values = {"report": shown.report, "in_flight": shown.in_flight, "failed": shown.failed}
        return templates.page(request, "overview_body.html", values | {"errors": shown.errors})

    async def retry_failed(request: Request) -> Response:
        requeued = await run_in_threadpool(requeue_movies, context.repo, None)
        request.session[NOTICE_KEY] = (
            f"requeued {len(requeued)} movie(s)" if requeued else "no failed or waiting movie"
        )
        return RedirectResponse("/", status_code=303)

    return [
        Route("/", page, methods=["GET", "HEAD"]),
        Route("/overview/body", body, methods=["GET", "HEAD"]),
        Route("/movies/retry-failed", retry_failed, methods=["POST"]),
    ]
