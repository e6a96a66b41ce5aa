"""A character's models, the fragment the character page loads into its `#models` section:
`/characters/{name}/models` (versions, samples, loss plots, training state), "train now"
(`POST .../train`, the same request as `bunny train`) and "generate" (`POST .../generate`,
a `bunny generate` process; `GET .../generations` shows it, polled while it runs)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from daemon.display_text import REASON_LIMIT, bounded
from daemon.reports.loss_curves import LossCurves
from daemon.reports.status import daemon_running
from daemon.store import utcnow
from daemon.training.training_requests import known_characters, request_training
from daemon.web.context import WebContext
from daemon.web.generation_jobs import GenerationJobs, GenerationRefusedError
from daemon.web.generation_record import MAX_COUNT, MAX_PROMPT, GenerationAsk
from daemon.web.models_view import models_view, shown_count
from daemon.web.templates import PageTemplates

BASE = "/characters/{name}"


def models_routes(context: WebContext, templates: PageTemplates) -> list[Route]:
    jobs = GenerationJobs(context.config)
    curves = LossCurves()

    def known(name: str) -> bool:
        return known_characters(context.repo, context.config.library, name) is None

    async def fragment(request: Request, notice: str | None = None) -> Response:
        name, show = request.path_params["name"], shown_count(request.query_params.get("show"))
        view = await run_in_threadpool(
            models_view, context.repo, context.config, name, show, curves
        )
        if view is None:
            return _unknown(name)
        generations = await run_in_threadpool(jobs.jobs_of, name)
        values = {"view": view, "jobs": generations, "notice": notice, "ok": True}
        return templates.page(request, "models.html", values | _limits())

    async def train(request: Request) -> Response:
        name = request.path_params["name"]

        def ask() -> tuple[int, str]:
            running = daemon_running(context.repo, utcnow())
            return request_training(context.config, name, running, context.repo)

        code, message = await run_in_threadpool(ask)
        if code != 0:  # the command line's one refusal: no such character
            return PlainTextResponse(bounded(message, REASON_LIMIT), status_code=404)
        return await fragment(request, bounded(message, REASON_LIMIT))

    async def generations(request: Request, notice: str | None = None, ok: bool = True) -> Response:
        name = request.path_params["name"]
        if not await run_in_threadpool(known, name):
            return _unknown(name)
        found = await run_in_threadpool(jobs.jobs_of, name)
        values = {"quoted": quote(name, safe=""), "jobs": found, "notice": notice}
        return templates.page(request, "generations.html", values | {"ok": ok, "name": name})

    async def generate(request: Request) -> Response:
        name = request.path_params["name"]
        if not await run_in_threadpool(known, name):
            return _unknown(name)
        form = await request.form()
        try:
            wanted = GenerationAsk.checked(*(str(form.get(k, "")) for k in _FIELDS))
            await run_in_threadpool(jobs.start, name, wanted)
        except (ValueError, GenerationRefusedError) as exc:
            return await generations(request, f"not started: {exc}", ok=False)
        return await generations(request, f"generating {wanted.count} image(s)")

    return [
        Route(f"{BASE}/models", fragment, methods=["GET", "HEAD"]),
        Route(f"{BASE}/train", train, methods=["POST"]),
        Route(f"{BASE}/generations", generations, methods=["GET", "HEAD"]),
        Route(f"{BASE}/generate", generate, methods=["POST"]),
    ]


_FIELDS = ("prompt", "seed", "count")


def _limits() -> dict[str, Any]:
    return {"max_count": MAX_COUNT, "max_prompt": MAX_PROMPT}


def _unknown(name: str) -> Response:
    return PlainTextResponse(f"no character {bounded(name, 200)!r}", status_code=404)
