"""Still images from inbox/images/: identified one by one, processed in parts of a batch.

A part is a movie row of kind `images` whose frames are the images: the stages after probe
see a movie of N one-frame shots (see handlers/image_probe.py). Every query here reads an
index: the cost of an image does not grow with the number already known.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast

import peewee as pw

from daemon.repository.records import MovieRecord
from daemon.repository.rows import movie_record
from daemon.store import ImageRow, ImageState, Movie, SourceKind, database, utcnow
from handlers.base import SourceImage
from handlers.frame_capture import timestamp_name


@dataclass(frozen=True)
class ImageRecord:
    id: int
    sha256: str
    path: Path
    batch: str
    size: int
    mtime_ns: int
    state: ImageState
    reason: str | None
    part_id: int | None
    frame: str | None
    moving_to: Path | None = None  # a move recorded before it is made


@dataclass(frozen=True)
class WaitingBatch:
    batch: str
    images: int
    last_settled_at: datetime


@dataclass(frozen=True)
class BatchProgress:
    batch: str
    waiting: int
    batched: int
    done: int
    rejected: int
    duplicate: int

    @property
    def total(self) -> int:
        return self.waiting + self.batched + self.done + self.rejected + self.duplicate


@dataclass(frozen=True)
class NewImage:
    path: Path
    sha256: str
    batch: str
    size: int
    mtime_ns: int


def image_record(row: ImageRow) -> ImageRecord:
    return ImageRecord(
        id=row.id,
        sha256=row.sha256,
        path=Path(row.path),
        batch=row.batch,
        size=row.size,
        mtime_ns=row.mtime_ns,
        state=ImageState(row.state),
        reason=row.reason,
        part_id=row.part_id,  # type: ignore[attr-defined]  # peewee adds <fk>_id
        frame=row.frame,
        moving_to=Path(row.moving_to) if row.moving_to else None,
    )


def source_image(record: ImageRecord, number: int) -> SourceImage:
    """The `number`th image of a part, as its stages see it: a frame `number` seconds in."""
    return SourceImage(record.path, timestamp_name(number), float(number), record.sha256)


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
            Iterable[tuple[str, int, object]],
            ImageRow.select(
                ImageRow.batch, pw.fn.COUNT(ImageRow.id), pw.fn.MAX(ImageRow.settled_at)
            )
            .where(ImageRow.state == ImageState.WAITING.value)
            .group_by(ImageRow.batch)
            .tuples(),
        )
        return [WaitingBatch(batch, count, _datetime(last)) for batch, count, last in rows]

    def form_part(self, batch: str, folder: Path, most: int) -> MovieRecord | None:
        """Takes up to `most` waiting images of `batch` into a new part, queued like a movie."""
        with database.atomic("IMMEDIATE"):
            rows = list(
                ImageRow.select()
                .where(ImageRow.state == ImageState.WAITING.value, ImageRow.batch == batch)
                .order_by(ImageRow.id)
                .limit(most)
            )
            if not rows:
                return None
            in_parts = (ImageState.BATCHED, ImageState.DONE, ImageState.REJECTED)
            before = (
                ImageRow.select()
                .where(
                    ImageRow.state.in_([s.value for s in in_parts]),
                    ImageRow.batch == batch,
                    ImageRow.part.is_null(False),  # not those set aside as they came in
                )
                .count()
            )
            digest = hashlib.sha256(b"images\0" + os.fsencode(batch) + b"\0")  # any name
            for row in rows:
                digest.update(row.sha256.encode())
            # The key names the part's library folder: never an earlier part's, even of the
            # same images (taken again after they moved while that part read them).
            digest.update(uuid.uuid4().bytes)
            label = batch or "loose images"
            part = Movie.create(
                sha256=digest.hexdigest(),
                name=f"{label} (images {before + 1}-{before + len(rows)})",
                path=str(folder),
                size=sum(row.size for row in rows),
                kind=SourceKind.IMAGES.value,
            )
            for number, row in enumerate(rows):
                ImageRow.update(
                    state=ImageState.BATCHED.value, part=part.id, frame=timestamp_name(number)
                ).where(ImageRow.id == row.id).execute()
        return movie_record(part)

    def wait_again(self, image_id: int) -> None:
        """An image of a part that moved while the part read it: out of the part, it waits
        for the next one of its batch."""
        ImageRow.update(
            state=ImageState.WAITING.value,
            part=None,
            frame=None,
            reason=None,
            moving_to=None,
            settled_at=utcnow(),
        ).where(ImageRow.id == image_id).execute()

    def part_images(self, part_id: int) -> list[ImageRecord]:
        rows = ImageRow.select().where(ImageRow.part == part_id).order_by(ImageRow.frame)
        return [image_record(row) for row in rows]

    def image_of_frame(self, part_id: int, frame: str) -> ImageRecord | None:
        row = ImageRow.get_or_none(ImageRow.part == part_id, ImageRow.frame == frame)
        return image_record(row) if row else None

    def intend_move(self, image_id: int, place: Path) -> None:
        """Where an image is about to be moved: recorded before the move."""
        ImageRow.update(moving_to=str(place)).where(ImageRow.id == image_id).execute()

    def settle_image(
        self, image_id: int, state: ImageState, path: Path, reason: str | None = None
    ) -> None:
        """An image of a part done or set aside, at the path it now has (a move ended)."""
        with database.atomic():
            ImageRow.update(state=state.value, path=str(path), reason=reason, moving_to=None).where(
                ImageRow.id == image_id
            ).execute()

    def settle_images(self, image_ids: Sequence[int], state: ImageState) -> None:
        for chunk in pw.chunked(image_ids, 500):
            ImageRow.update(state=state.value).where(ImageRow.id.in_(chunk)).execute()

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
