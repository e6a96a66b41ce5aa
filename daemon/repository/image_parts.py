"""Parts of image batches: formed from a batch's waiting images, read by their stages, and
their images settled (done, or set aside) with each move recorded before it is made.

A part is a movie row of kind `images` whose frames are the images (handlers/image_probe.py).
Every query reads an index (tests/daemon/repository/test_images.py checks the plans).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

from daemon.repository.image_records import ImageRecord, image_record
from daemon.repository.records import MovieRecord
from daemon.repository.rows import movie_record
from daemon.store import ImageRow, ImageState, Movie, SourceKind, database, utcnow
from handlers.frame_capture import timestamp_name


def image_row_of_frame(part_id: int, frame: str) -> ImageRow | None:
    """The row of the image that became frame `frame` of the part `part_id`."""
    return ImageRow.get_or_none((ImageRow.part == part_id) & (ImageRow.frame == frame))


class PartLedger:
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
        row = image_row_of_frame(part_id, frame)
        return image_record(row) if row else None

    def intend_move(self, image_id: int, place: Path) -> None:
        """Where an image is about to be moved: recorded before the move."""
        ImageRow.update(moving_to=str(place)).where(ImageRow.id == image_id).execute()

    def settle_image(
        self, image_id: int, state: ImageState, path: Path, reason: str | None = None
    ) -> None:
        """An image of a part done or set aside, at the path it now has (a move ended)."""
        ImageRow.update(state=state.value, path=str(path), reason=reason, moving_to=None).where(
            ImageRow.id == image_id
        ).execute()
