"""Take a settled file from inbox/images/: identify it by sha256 and let it wait for its part.

Each image is settled and identified like a movie. Its batch is the folder it was dropped
in, the first folder under inbox/images/ (any depth below it belongs to the same batch;
files dropped loose form the batch ""). A byte-identical copy of an image already taken is
recorded as a duplicate and left where it is, with a log line; a copy of a rejected one is
set aside for the same reason. A link to a folder is set aside too: the daemon never
follows one (it could loop back into the inbox). Parts are formed later (image_batches).
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import structlog

from daemon.intake.image_parts import IMAGES_FOLDER, batch_folder
from daemon.intake.inbox import is_present, move_aside
from daemon.intake.inbox_open import UnusableFileError, open_inbox_file, sha256_of_handle
from daemon.intake.movies import IntakeSettings
from daemon.repository import Repository
from daemon.repository.image_records import NewImage
from daemon.store import ImageState
from handlers.image_probe import FILE_GONE


class ImageIntake:
    def __init__(
        self, repo: Repository, settings: IntakeSettings, stop: threading.Event | None = None
    ) -> None:
        self._repo = repo
        self._settings = settings
        self._stop = stop
        self._deciding = threading.Lock()
        self._log = structlog.get_logger("intake")

    def take(self, path: Path) -> None:
        """Handle one settled file of inbox/images/ (on an intake thread)."""
        with structlog.contextvars.bound_contextvars(
            movie=None, stage="intake", job=uuid.uuid4().hex[:8], file=path.name
        ):
            batch = batch_of(path, self._settings.inbox.images)
            try:
                if path.is_symlink() and path.is_dir():
                    raise UnusableFileError(
                        "a link to a folder: the daemon does not follow links to folders"
                    )
                with open_inbox_file(path, self._settings.follow_symlinks) as opened:
                    known = self._repo.image_at(path)
                    if known and (known.size, known.mtime_ns) == (opened.size, opened.mtime_ns):
                        return
                    digest = sha256_of_handle(opened.handle, self._stop)
            except UnusableFileError as exc:
                with self._deciding:
                    self._reject(path, batch, str(exc))
                return
            image = NewImage(path, digest, batch, opened.size, opened.mtime_ns)
            with self._deciding:
                self._wait_or_skip(image)

    def _wait_or_skip(self, image: NewImage) -> None:
        existing = self._repo.image_by_sha(image.sha256)
        if existing is None:
            self._repo.add_image(image)
            self._log.debug("image waits for its part", batch=image.batch)
            return
        if existing.path == image.path or not is_present(existing.path):
            # The same file touched, or the known copy moved here: follow it, no new image.
            self._repo.follow_image(existing.id, image)
            if existing.state is ImageState.REJECTED and existing.reason == FILE_GONE:
                self._repo.wait_again(existing.id)  # it was moved while its part read it
            return
        if existing.state is ImageState.REJECTED:
            reason = f"identical to {existing.path.name}, rejected earlier: {existing.reason}"
            self._reject(image.path, image.batch, reason, image.sha256)
            return
        reason = f"byte-identical to {existing.path}"
        self._repo.add_image(image, ImageState.DUPLICATE, reason)
        self._log.info("duplicate image skipped", same_as=str(existing.path), batch=image.batch)

    def _reject(self, path: Path, batch: str, reason: str, sha256: str = "") -> None:
        folder = batch_folder(self._settings.inbox.rejected / IMAGES_FOLDER, batch)
        moved = move_aside(path, folder, reason)
        self._repo.forget_image(path)
        # Kept as its batch's (its bytes unread when it could not be opened), so the batch's
        # count in `bunny status` has every file that was dropped.
        self._repo.add_image(NewImage(moved, sha256, batch, 0, 0), ImageState.REJECTED, reason)
        self._log.warning("image rejected", reason=reason, moved_to=str(moved))


def batch_of(path: Path, images_root: Path) -> str:
    """The folder of inbox/images/ the file was dropped in ("" for a file dropped loose)."""
    try:
        parts = path.relative_to(images_root).parts
    except ValueError:
        return ""
    return parts[0] if len(parts) > 1 else ""
