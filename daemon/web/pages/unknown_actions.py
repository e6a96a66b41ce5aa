"""The changes made on the unknown faces page, each a POST (the guard checks its origin, CSRF
token and read-only first), each through the code the command line and the drag and drop use:

- `/unknown/{cluster}/name` (`name`): `bunny name CLUSTER NAME`'s adopt_cluster;
- `/unknown/{cluster}/merge` (`into`): this cluster's faces join `into`, which keeps its id;
- `/unknown/{cluster}/take-out` (`face` repeated): to the noise bucket;
- `/unknown/{cluster}/ignore`: never shown, clustered or matched again;
- `/unknown/noise/name` (`face` repeated, `name`): those faces become the character's;
- `/unknown/undo`: the last of these changes but a cluster's naming, undone.

A change made answers 303 to the page with a notice; one that cannot be made, 400 with why
(404 for a cluster that is not waiting for a name), and nothing is changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from daemon.characters.adoption_lock import AdoptionBusyError
from daemon.characters.cluster_folders import CLUSTER_NAME
from daemon.characters.face_clusters import adopt_cluster
from daemon.characters.face_review import FaceReview
from daemon.characters.names import character_name
from daemon.web.context import WebContext
from handlers.registry import stages_needing

NOTICE_KEY = "unknown_notice"
MAX_FACES = 1000  # in one change from the page


def unknown_action_routes(context: WebContext) -> list[Route]:
    repo, library = context.repo, context.config.library
    later = stages_needing("faces", context.config.pipeline.stages)
    review = FaceReview(repo, library, later)
    log = structlog.get_logger("web")

    async def waiting(request: Request) -> str:
        """The cluster in the address, which must be waiting for a name (else 404)."""
        cluster = cluster_of(request)
        if await run_in_threadpool(repo.cluster_size, cluster) == 0:
            raise HTTPException(404, f"no cluster {cluster} waiting for a name")
        return cluster

    async def name(request: Request) -> Response:
        cluster, form = cluster_of(request), await request.form()
        raw = _text(form, "name")

        def adopt() -> Done:
            count = adopt_cluster(repo, library, cluster, raw, later)
            named = character_name(raw)
            log.info("cluster named on the review page", cluster=cluster, character=named)
            return Done(f"{count} faces of {cluster} are now {named}'s", "/unknown")

        return await _answer(request, adopt)

    async def merge(request: Request) -> Response:
        cluster, into = await waiting(request), _text(await request.form(), "into").strip()

        def merged() -> Done:
            done = review.merge_clusters(into, cluster)
            return Done(f"{cluster} merged into {into}: {done.faces} faces", f"/unknown/{into}")

        return await _answer(request, merged)

    async def take_out(request: Request) -> Response:
        cluster, faces = await waiting(request), _faces(await request.form())

        def taken() -> Done:
            done = review.to_noise(faces)
            back = f"/unknown/{cluster}" if repo.cluster_size(cluster) else "/unknown"
            return Done(f"{done.faces} faces taken out of {cluster} into the noise bucket", back)

        return await _answer(request, taken)

    async def ignore(request: Request) -> Response:
        cluster = await waiting(request)

        def ignored() -> Done:
            done = review.ignore_cluster(cluster)
            return Done(
                f"{cluster} ignored: its {done.faces} faces are not shown again", "/unknown"
            )

        return await _answer(request, ignored)

    async def name_faces(request: Request) -> Response:
        form = await request.form()
        faces, raw = _faces(form), _text(form, "name")

        def named() -> Done:
            done = review.to_character(faces, raw)
            return Done(f"{done.faces} faces are now {done.target}'s", "/unknown")

        return await _answer(request, named)

    async def undo(request: Request) -> Response:
        def undone() -> Done:
            record = review.undo_last()
            if record is None:
                return Done("nothing to undo", "/unknown")
            what = record.change.action.value.replace("_", " ")
            return Done(f"undone: {what} {record.change.target}", "/unknown")

        return await _answer(request, undone)

    return [
        Route("/unknown/noise/name", name_faces, methods=["POST"]),
        Route("/unknown/undo", undo, methods=["POST"]),
        Route("/unknown/{cluster}/name", name, methods=["POST"]),
        Route("/unknown/{cluster}/merge", merge, methods=["POST"]),
        Route("/unknown/{cluster}/take-out", take_out, methods=["POST"]),
        Route("/unknown/{cluster}/ignore", ignore, methods=["POST"]),
    ]


def cluster_of(request: Request) -> str:
    """The cluster id in the address; 404 for anything that is not one."""
    cluster = str(request.path_params["cluster"])
    if not CLUSTER_NAME.match(cluster):
        raise HTTPException(404, "no such cluster")
    return cluster


@dataclass(frozen=True)
class Done:
    notice: str  # what the page says next
    back: str  # the page to go back to


async def _answer(request: Request, change: Callable[[], Done]) -> Response:
    """Make the change off the event loop; 303 to the page with its notice, or 400 with why
    not (404 for a cluster `bunny name` does not know)."""
    try:
        done = await run_in_threadpool(change)
    except ValueError as exc:
        status = 404 if str(exc).startswith("no cluster '") else 400
        raise HTTPException(status, str(exc)) from exc
    except AdoptionBusyError as exc:
        raise HTTPException(409, str(exc)) from exc
    request.session[NOTICE_KEY] = done.notice
    return RedirectResponse(done.back, status_code=303)


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    if not isinstance(value, str) or not value.strip():
        raise HTTPException(400, f"'{key}' is missing")
    return value


def _faces(form: FormData) -> list[int]:
    values = form.getlist("face")
    if not values:
        raise HTTPException(400, "no face chosen")
    if len(values) > MAX_FACES:
        raise HTTPException(400, f"at most {MAX_FACES} faces at once")
    try:
        return [int(str(v)) for v in values]
    except ValueError as exc:
        raise HTTPException(400, "a face id is not a number") from exc
