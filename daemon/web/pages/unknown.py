"""`/unknown`: the clusters of unknown faces waiting for a name (a page of clusters, each with
its first faces) and the noise bucket; `/unknown/{cluster}`, one cluster's faces a page at a
time; `/unknown/faces/{id}/thumbnail`, one face's crop. The changes are in unknown_actions.py.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from daemon.reports.paging import PageRequest
from daemon.reports.unknown_pages import cluster_page, clusters_page, noise_page
from daemon.web.context import WebContext
from daemon.web.face_thumbnails import FaceThumbnails
from daemon.web.pages.unknown_actions import NOTICE_KEY, cluster_of, unknown_action_routes
from daemon.web.paging_query import page_request, pager
from daemon.web.templates import PageTemplates

CLUSTERS_PER_PAGE = 20
FACES_PER_CLUSTER = 12  # on the list; a cluster's own page shows them all, a page at a time
FACES_PER_PAGE = 120
NOISE_PER_PAGE = 48


def unknown_routes(context: WebContext, templates: PageTemplates) -> list[Route]:
    thumbnails = FaceThumbnails(context.config.library)
    repo, margin = context.repo, context.config.faces.noise_margin

    def overview(clusters: PageRequest, noise: PageRequest) -> dict[str, Any]:
        return {
            "clusters": clusters_page(repo, clusters, FACES_PER_CLUSTER),
            "noise": noise_page(repo, margin, noise),
            "characters": [c.name for c in repo.characters()],
        }

    async def page(request: Request) -> Response:
        clusters = page_request(request, "page", None, default=CLUSTERS_PER_PAGE)
        noise = page_request(request, "noise", None, default=NOISE_PER_PAGE)
        values = await run_in_threadpool(overview, clusters, noise)
        values["clusters_pager"] = pager(request, values["clusters"], "page", "clusters")
        values["noise_pager"] = pager(request, values["noise"], "noise", "noise")
        values["notice"] = request.session.pop(NOTICE_KEY, None)
        return templates.page(request, "unknown.html", values)

    def one_cluster(cluster: str, request: PageRequest) -> dict[str, Any] | None:
        faces = cluster_page(repo, cluster, request)
        if faces is None:
            return None
        return {
            "cluster": cluster,
            "faces": faces,
            "characters": [c.name for c in repo.characters()],
        }

    async def cluster(request: Request) -> Response:
        name = cluster_of(request)
        asked = page_request(request, "page", None, default=FACES_PER_PAGE)
        values = await run_in_threadpool(one_cluster, name, asked)
        if values is None:
            raise HTTPException(404, f"no cluster {name} waiting for a name")
        values["pager"] = pager(request, values["faces"])
        values["notice"] = request.session.pop(NOTICE_KEY, None)
        return templates.page(request, "unknown_cluster.html", values)

    def crop(face_id: int) -> Response | None:
        face = repo.face_tile(face_id)
        shown = thumbnails.of(face) if face is not None else None
        if shown is None:
            return None
        return Response(shown.data, media_type=shown.media_type)

    async def thumbnail(request: Request) -> Response:
        found = await run_in_threadpool(crop, int(request.path_params["face"]))
        if found is None:
            raise HTTPException(404, "no such face")
        return found

    return [
        Route("/unknown", page, methods=["GET", "HEAD"]),
        Route("/unknown/faces/{face:int}/thumbnail", thumbnail, methods=["GET", "HEAD"]),
        *unknown_action_routes(context),
        Route("/unknown/{cluster}", cluster, methods=["GET", "HEAD"]),
    ]
