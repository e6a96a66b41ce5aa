"""`/characters`: every character and why its training waits; `/characters/{name}`: one
character's references (upload, remove) and its dataset as a paged grid whose captions are
edited in place. The models section and the drop targets are other pages' fragments."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from daemon.reports.character_pages import character_detail, characters_page, page_inputs
from daemon.reports.dataset_grid import character_dataset, dataset_tile
from daemon.store import utcnow
from daemon.web.caption_edit import CaptionRefusedError, NoSuchImageError, save_caption
from daemon.web.context import WebContext
from daemon.web.paging_query import page_request, pager
from daemon.web.reference_changes import (
    NoSuchReferenceError,
    ReferenceChanges,
    ReferenceRefusedError,
    UploadedPhoto,
)
from daemon.web.templates import PageTemplates
from daemon.web.upload_body import (
    MAX_UPLOAD_MB,
    UploadRefusedError,
    UploadTooLargeError,
    received_file,
)

PHOTO_FIELD = "photo"


def address(name: str) -> str:
    """A character's page: its name is one quoted path segment."""
    return f"/characters/{quote(name, safe='')}"


def characters_routes(context: WebContext, templates: PageTemplates) -> list[Route]:
    repo, config = context.repo, context.config
    changes = ReferenceChanges(repo, config)

    def shown(request: Request, name: str, values: dict[str, Any], status: int = 200) -> Response:
        common = {"address": address, "max_upload_mb": MAX_UPLOAD_MB}
        return templates.page(request, name, common | values, status_code=status)

    async def listing(request: Request) -> Response:
        asked = page_request(request)
        found = await run_in_threadpool(
            lambda: characters_page(repo, config, page_inputs(repo, config, utcnow()), asked)
        )
        return shown(request, "characters.html", {"listing": found, "pager": pager(request, found)})

    async def character(request: Request) -> Response:
        name, asked = request.path_params["name"], page_request(request)

        def read() -> dict[str, Any]:
            detail = character_detail(repo, config, page_inputs(repo, config, utcnow()), name)
            if detail is None:
                raise HTTPException(404, f"no character named {name}")
            return {"detail": detail, "grid": character_dataset(repo, config.library, name, asked)}

        values = await run_in_threadpool(read)
        return shown(request, "character.html", values | {"pager": pager(request, values["grid"])})

    async def references(request: Request, message: str, status: int) -> Response:
        name = request.path_params["name"]
        found = await run_in_threadpool(repo.references_of, name)
        values = {"name": name, "references": found, "message": message, "failed": status >= 400}
        return shown(request, "references.html", values, status)

    async def upload(request: Request) -> Response:
        name = await _known(request)
        try:
            sent = await received_file(request, PHOTO_FIELD)
            photo = UploadedPhoto(sent.name, sent.data)
            added = await run_in_threadpool(changes.upload, name, photo)
        except UploadTooLargeError as exc:
            return await references(request, str(exc), 413)
        except (UploadRefusedError, ReferenceRefusedError) as exc:
            return await references(request, f"not added: {exc}", 400)
        done = "reference added" if added else "that photo is already one of the references"
        return await references(request, done, 200)

    async def remove(request: Request) -> Response:
        name = await _known(request)
        file = _field(await request.form(), "file")
        try:
            moved = await run_in_threadpool(changes.remove, name, file)
        except NoSuchReferenceError as exc:
            return await references(request, str(exc), 404)
        where = f"; the photo is in inbox/rejected/{moved.name}" if moved else ""
        return await references(request, f"reference removed{where}", 200)

    async def caption(request: Request) -> Response:
        name, image = await _known(request), request.path_params["image"]
        text = _field(await request.form(), "caption")
        message, status = "caption saved", 200
        try:
            await run_in_threadpool(save_caption, repo, config.library, name, image, text)
        except CaptionRefusedError as exc:
            message, status = f"not saved: {exc}", 400
        except NoSuchImageError as exc:
            raise HTTPException(404, str(exc)) from exc
        tile = await run_in_threadpool(dataset_tile, repo, config.library, name, image)
        if tile is None:
            raise HTTPException(404, f"{name} has no dataset image {image}")
        values = {"name": name, "tile": tile, "message": message, "failed": status >= 400}
        return shown(request, "dataset_tile.html", values, status)

    async def _known(request: Request) -> str:
        name: str = request.path_params["name"]
        if await run_in_threadpool(repo.character, name) is None:
            raise HTTPException(404, f"no character named {name}")
        return name

    return [
        Route("/characters", listing, methods=["GET", "HEAD"]),
        Route("/characters/{name}", character, methods=["GET", "HEAD"]),
        Route("/characters/{name}/references", upload, methods=["POST"]),
        Route("/characters/{name}/references/remove", remove, methods=["POST"]),
        Route("/characters/{name}/captions/{image:int}", caption, methods=["POST"]),
    ]


def _field(form: FormData, key: str) -> str:
    value = form.get(key)
    if not isinstance(value, str):
        raise HTTPException(400, f"the form has no {key!r} field")
    return value
