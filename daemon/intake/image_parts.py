"""Where a part's images go once read: set aside with their reasons, or done.

An image that probe could not use is moved to `inbox/rejected/images/<batch>/` with its
reason beside it as soon as probe's result is stored. When the part is done its other images
are marked done, and with `after_done: move` moved to `inbox/done/images/<batch>/`. Both keep
the folders the image had in its batch. Each move is recorded before it is made (where it
goes) and after (where it is): a restart, which runs both steps again for the part, finishes
a move a kill interrupted from whichever side of it. Nothing is deleted.
"""

from __future__ import annotations

from pathlib import Path

import structlog

from daemon.intake.inbox import InboxLayout, free_place, is_present, move_to_place
from daemon.repository import MovieRecord, Repository
from daemon.repository.image_records import ImageRecord, source_image
from daemon.store import ImageState
from handlers.base import SourceImage
from handlers.image_probe import FILE_GONE, FILE_REPLACED, ImageProbe

IMAGES_FOLDER = "images"


class ImagePartFiles:
    def __init__(self, repo: Repository, inbox: InboxLayout, move_done: bool) -> None:
        self._repo = repo
        self._inbox = inbox
        self._move_done = move_done
        self._log = structlog.get_logger("images")

    def images(self, part: MovieRecord) -> tuple[SourceImage, ...]:
        return tuple(source_image(image) for image in self._repo.part_images(part.id))

    def set_aside(self, part: MovieRecord, probe: ImageProbe) -> None:
        reasons = {item.frame: item.reason for item in probe.unusable}
        for image in self._repo.part_images(part.id):
            reason = reasons.get(image.frame or "")
            if reason is None or image.state is ImageState.REJECTED:
                continue
            if reason == FILE_GONE and is_present(image.path):
                # Moved while the part read it (its folder renamed), and followed by the
                # intake: a later part reads it where it is now.
                self._repo.wait_again(image.id)
                self._log.info("image moved while its part read it", image=str(image.path))
                continue
            if reason == FILE_REPLACED:
                # The file at its path is another image now, taken by the intake on its own.
                self._repo.settle_image(image.id, ImageState.REJECTED, image.path, reason)
                continue
            moved = self._move(image, self._inbox.rejected, reason)
            self._repo.settle_image(image.id, ImageState.REJECTED, moved, reason)
            self._log.warning("image rejected", image=str(image.path), reason=reason)

    def finish(self, part: MovieRecord) -> None:
        for image in self._repo.part_images(part.id):
            if image.state is not ImageState.BATCHED:
                continue
            path = image.path
            if self._move_done and (is_present(path) or image.moving_to):
                path = self._move(image, self._inbox.done, None)
            self._repo.settle_image(image.id, ImageState.DONE, path)

    def _move(self, image: ImageRecord, root: Path, reason: str | None) -> Path:
        place = image.moving_to
        if place is None:
            if not is_present(image.path):
                return image.path  # gone meanwhile (moved by hand): nothing to move
            place = free_place(self._folder_in(root, image), image.path.name)
            self._repo.intend_move(image.id, place)
        return move_to_place(image.path, place, reason)

    def _folder_in(self, root: Path, image: ImageRecord) -> Path:
        """The image's folder within its batch, under `root` (rejected/ or done/)."""
        folder = batch_folder(root / IMAGES_FOLDER, image.batch)
        source = batch_folder(self._inbox.images, image.batch)
        try:
            return folder / image.path.parent.relative_to(source)
        except ValueError:  # moved by hand meanwhile: its folders are no longer the batch's
            return folder


def batch_folder(images: Path, batch: str) -> Path:
    """The folder of `batch` under `images` (inbox/images/, or rejected/ and done/'s images/):
    `images` itself for loose images, whose batch is ""."""
    return images / batch if batch else images
