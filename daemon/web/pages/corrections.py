"""`/corrections`: drops of dataset images (and faces) from the page, and undoing the last.

`GET /corrections/targets` is the fragment of drop targets the character and unknown-faces
pages load (every character with its dataset's size, "not this person", the noise bucket,
the undo button). `POST /corrections` makes one drop, all or nothing; `POST
/corrections/undo` undoes the newest. Both go through `Drops`, the same code the file
manager's corrections use; both answer in plain text and tell htmx `corrections-changed`.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from daemon.characters.adoption_lock import AdoptionBusyError
from daemon.characters.drop_requests import BadDropError, parse_drop
from daemon.characters.drops import Drops
from daemon.characters.page_corrections import DropConflictError
from daemon.repository import DropRecord, ReviewRecord, TargetCount
from daemon.web.context import WebContext
from daemon.web.drop_text import correction_text
from daemon.web.templates import PageTemplates
from handlers.registry import stages_needing

CHANGED = {"HX-Trigger": "corrections-changed"}
REFUSALS: dict[type[Exception], int] = {
    BadDropError: 400,
    DropConflictError: 409,
    AdoptionBusyError: 503,
}


def correction_routes(context: WebContext, templates: PageTemplates) -> list[Route]:
    def drops() -> Drops:
        later = stages_needing("faces", context.config.pipeline.stages)
        return Drops(context.repo, context.config.library, later)

    def targets_view() -> tuple[list[TargetCount], DropRecord | ReviewRecord | None]:
        return context.repo.target_counts(), drops().last()

    async def targets(request: Request) -> Response:
        counts, last = await run_in_threadpool(targets_view)
        values = {"targets": counts, "undo": correction_text(last) if last else None}
        return templates.page(request, "drop_targets.html", values)

    async def drop(request: Request) -> Response:
        form = await request.form()
        items = [str(value) for value in form.getlist("item")]
        try:
            wanted = parse_drop(items, str(form.get("target", "")))
            made = await run_in_threadpool(drops().apply, wanted)
        except tuple(REFUSALS) as exc:
            return PlainTextResponse(str(exc), status_code=REFUSALS[type(exc)])
        return PlainTextResponse(correction_text(made), headers=CHANGED)

    async def undo(request: Request) -> Response:
        try:
            undone = await run_in_threadpool(drops().undo_last)
        except (DropConflictError, AdoptionBusyError) as exc:
            return PlainTextResponse(str(exc), status_code=REFUSALS[type(exc)])
        if undone is None:
            return PlainTextResponse("no correction to undo", status_code=409)
        return PlainTextResponse(f"undone: {correction_text(undone)}", headers=CHANGED)

    return [
        Route("/corrections/targets", targets, methods=["GET", "HEAD"]),
        Route("/corrections", drop, methods=["POST"]),
        Route("/corrections/undo", undo, methods=["POST"]),
    ]
