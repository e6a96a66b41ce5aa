"""Still images from inbox/images/: identified one by one as they settle, and waiting for
their part (image_parts.py); how far each batch has got.

Every query an image meets here reads an index: the cost of an image does not grow with the
number already known (tests/daemon/repository/test_images.py checks the plans). Only
`batch_progress`, for `bunny status`, reads the whole table, once per call.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import cast

import peewee as pw

from daemon.repository.image_records import (
    BatchProgress,
    ImageRecord,
    NewImage,
    WaitingBatch,
    image_record,
)
from daemon.store import ImageRow, ImageState, database, utcnow


def _outside_parts(path: Path) -> pw.Expression:
    """The rows at `path` that no part holds: a part's rows stay, its frames' lineage."""
    return (ImageRow.path == str(path)) & ImageRow.part.is_null()


class ImageLedger:
    def image_at(self, path: Path) -> ImageRecord | None:
        row = (
            ImageRow.select().where(ImageRow.path == str(path)).order_by(ImageRow.id.desc()).first()
        )
        return image_record(row) if row else None

    def image_by_sha(self, sha256: str) -> ImageRecord | None:
        """The image taken with these bytes (not a duplicate of it), if any."""
        row = (
            ImageRow.select()
            .where(ImageRow.sha256 == sha256, ImageRow.state != ImageState.DUPLICATE.value)
            .order_by(ImageRow.id)
            .first()
        )
        return image_record(row) if row else None

    def add_image(
        self, image: NewImage, state: ImageState = ImageState.WAITING, reason: str | None = None
    ) -> ImageRecord:
        """Records a settled image (replacing what was known at its path)."""
        with database.atomic():
            ImageRow.delete().where(_outside_parts(image.path)).execute()
            row = ImageRow.create(
                sha256=image.sha256,
                path=str(image.path),
                batch=image.batch,
                size=image.size,
                mtime_ns=image.mtime_ns,
                state=state.value,
                reason=reason,
            )
        return image_record(row)

    def follow_image(self, image_id: int, image: NewImage) -> None:
        """A known image seen at `image.path` (touched, or moved there): the same image."""
        with database.atomic():
            ImageRow.delete().where(_outside_parts(image.path), ImageRow.id != image_id).execute()
            ImageRow.update(path=str(image.path), size=image.size, mtime_ns=image.mtime_ns).where(
                ImageRow.id == image_id
            ).execute()

    def forget_image(self, path: Path) -> None:
        ImageRow.delete().where(_outside_parts(path)).execute()

    def waiting_batches(self) -> list[WaitingBatch]:
        rows = cast(
            Iterable[tuple[str, object]],
            ImageRow.select(ImageRow.batch, pw.fn.MAX(ImageRow.settled_at))
            .where(ImageRow.state == ImageState.WAITING.value)
            .group_by(ImageRow.batch)
            .tuples(),
        )
        return [WaitingBatch(batch, _datetime(last)) for batch, last in rows]

    def count_waiting_images(self) -> int:
        return int(ImageRow.select().where(ImageRow.state == ImageState.WAITING.value).count())

    def batch_progress(self) -> list[BatchProgress]:
        rows = cast(
            Iterable[tuple[str, str, int]],
            ImageRow.select(ImageRow.batch, ImageRow.state, pw.fn.COUNT(ImageRow.id))
            .group_by(ImageRow.batch, ImageRow.state)
            .tuples(),
        )
        counts: dict[str, dict[str, int]] = {}
        for batch, state, count in rows:
            counts.setdefault(batch, {})[state] = count
        return [
            BatchProgress(
                batch,
                *(states.get(state.value, 0) for state in ImageState),
            )
            for batch, states in sorted(counts.items())
        ]


def _datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return utcnow()
