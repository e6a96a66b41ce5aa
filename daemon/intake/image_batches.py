"""Parts of image batches, formed once a batch's images have all arrived.

A folder dropped into inbox/images/ is copied file by file; its images are taken one by one
as each settles. A part is formed only when none of the batch's files is still waiting in
the settle gate or being hashed, and its last image settled a quiet period ago: a folder
still being copied is not cut into parts of a few images. A part holds at most
`images.part_size` images; a batch of 10,000 is 20 parts of 500, each a queued movie.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import structlog

from daemon.intake.image_parts import batch_folder
from daemon.intake.images import batch_of
from daemon.repository import Repository
from daemon.store import utcnow


@dataclass(frozen=True)
class BatchSettings:
    images_root: Path
    part_size: int
    quiet_seconds: float


class ImageBatcher:
    def __init__(
        self,
        repo: Repository,
        settings: BatchSettings,
        pending: Callable[[], Iterable[Path]],
        formed: Callable[[], None],
    ) -> None:
        """`pending`: the inbox files not yet taken (settling or being hashed);
        `formed`: called when a part is queued (wakes the workers)."""
        self._repo = repo
        self._settings = settings
        self._pending = pending
        self._formed = formed
        self._log = structlog.get_logger("images")

    def form(self) -> int:
        """Queue the parts of every batch that is complete; returns how many were formed."""
        root = self._settings.images_root
        arriving = {batch_of(path, root) for path in self._pending() if path.is_relative_to(root)}
        settled_before = utcnow() - timedelta(seconds=self._settings.quiet_seconds)
        formed = 0
        for waiting in self._repo.waiting_batches():
            if waiting.batch in arriving or waiting.last_settled_at > settled_before:
                continue
            folder = batch_folder(root, waiting.batch)
            while part := self._repo.form_part(waiting.batch, folder, self._settings.part_size):
                formed += 1
                self._log.info("image part queued", batch=waiting.batch, part=part.name)
        if formed:
            self._formed()
        return formed
