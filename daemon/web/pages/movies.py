"""`/movies`: every movie, a page at a time (filtered by state if asked); `/movies/<key>`:
one movie's timeline, contact sheet, rejected frames, shots and scenes; and its retry, which
is `bunny retry <key>`'s own code."""

from __future__ import annotations

from typing import ClassVar

from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from daemon.commands.retry import requeue_movies
from daemon.reports.movie_pages import find_movie, movies_page
from daemon.repository import MOVIE_KEY_LENGTH
from daemon.store import MovieState, utcnow
from daemon.web.context import WebContext
from daemon.web.movie_view import MovieAsk, movie_view
from daemon.web.paging_query import page_request, pager
from daemon.web.templates import PageTemplates

NOTICE_KEY = "movie_notice"
REJECTED_PAGE = "rejected"  # in the address: the rejected frames' page, shown open
SHOTS_PAGE = "shots"
NO_MOVIE = "no movie has this id"
# The list counts each movie's frames, reading every frame row of the movies it shows: at
# 2,000 frames a movie, 200 movies took 240 ms and 100 about 190 ms of the 200 ms a page may
# take (benchmarks/web_library.py's library); 50 take about 70 ms.
MOST_MOVIES = 50


class MovieKeyConvertor(Convertor[str]):
    """A movie's key in an address: any other name under /movies/ is some other route's
    (GET /movies/retry-failed stays that POST route's 405, not a movie's 404)."""

    regex: ClassVar[str] = f"[0-9a-fA-F]{{{MOVIE_KEY_LENGTH}}}"

    def convert(self, value: str) -> str:
        return value.lower()

    def to_string(self, value: str) -> str:
        return value


def movie_routes(context: WebContext, templates: PageTemplates) -> list[Route]:
    register_url_convertor("movie_key", MovieKeyConvertor())
    stages = context.config.pipeline.stages
    library = context.config.library

    async def listing(request: Request) -> Response:
        state = _state_filter(request)
        asked = page_request(request, most=MOST_MOVIES)
        shown = await run_in_threadpool(movies_page, context.repo, asked, stages, utcnow(), state)
        values = {
            "movies": shown,
            "pager": pager(request, shown),
            "state": state,
            "states": list(MovieState),
        }
        return templates.page(request, "movies.html", values)

    async def detail(request: Request) -> Response:
        ask = MovieAsk(
            kept=page_request(request),
            rejected=page_request(request, REJECTED_PAGE, None),
            shots=page_request(request, SHOTS_PAGE, None),
        )
        key = request.path_params["key"]
        view = await run_in_threadpool(
            movie_view, context.repo, library, key, stages, ask, utcnow()
        )
        if view is None:
            raise HTTPException(404, NO_MOVIE)
        values = {
            "view": view,
            "kept_pager": pager(request, view.kept, anchor="frames"),
            "rejected_pager": pager(request, view.rejected, REJECTED_PAGE, "rejected"),
            "shots_pager": pager(request, view.shots, SHOTS_PAGE, "shots"),
            "show_rejected": REJECTED_PAGE in request.query_params,
            "notice": request.session.pop(NOTICE_KEY, None),
        }
        return templates.page(request, "movie.html", values)

    async def retry(request: Request) -> Response:
        key = request.path_params["key"]
        movie = await run_in_threadpool(find_movie, context.repo, key)
        if movie is None:
            raise HTTPException(404, NO_MOVIE)
        requeued = await run_in_threadpool(requeue_movies, context.repo, movie.key)
        request.session[NOTICE_KEY] = (
            "requeued: the daemon takes it up again"
            if requeued
            else f"nothing to retry: the movie is {movie.state}, not failed or waiting"
        )
        return RedirectResponse(f"/movies/{movie.key}", status_code=303)

    return [
        Route("/movies", listing, methods=["GET", "HEAD"]),
        Route("/movies/{key:movie_key}", detail, methods=["GET", "HEAD"]),
        Route("/movies/{key:movie_key}/retry", retry, methods=["POST"]),
    ]


def _state_filter(request: Request) -> MovieState | None:
    text = request.query_params.get("state")
    if not text:
        return None
    try:
        return MovieState(text)
    except ValueError:
        known = ", ".join(state.value for state in MovieState)
        raise HTTPException(400, f"state must be one of {known}") from None
