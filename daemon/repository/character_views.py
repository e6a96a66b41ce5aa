"""Reads for the review page's characters: references, one page of a dataset with each
image's caption, movie and frame time, found by index (no scan per image)."""

from __future__ import annotations

import peewee as pw

from daemon.repository.captions import CaptionStore
from daemon.repository.records import MOVIE_KEY_LENGTH
from daemon.repository.rows import grouped_counts
from daemon.repository.view_records import DatasetEntry, ReferenceView
from daemon.store import Character, DatasetImageRow, FrameRow, Movie, ReferenceFace
from handlers.face_matching import FaceBox


class CharacterViews(CaptionStore):
    def reference_counts(self) -> dict[str, int]:
        """References of each character that has one."""
        counts = grouped_counts(
            ReferenceFace.select(ReferenceFace.character, pw.fn.COUNT(ReferenceFace.id))
            .group_by(ReferenceFace.character)
            .tuples()
        )
        names = {c.id: c.name for c in Character.select(Character.id, Character.name)}
        return {names[cid]: count for cid, count in counts.items()}

    def references_of(self, character: str) -> list[ReferenceView]:
        query = (
            ReferenceFace.select()
            .join(Character)
            .where(Character.name == character)
            .order_by(ReferenceFace.added_at, ReferenceFace.id)
        )
        return [
            ReferenceView(r.file, FaceBox(r.top, r.right, r.bottom, r.left), r.added_at)
            for r in query
        ]

    def dataset_count(self, character: str) -> int:
        return int(
            DatasetImageRow.select().join(Character).where(Character.name == character).count()
        )

    def dataset_page(self, character: str, offset: int, limit: int) -> list[DatasetEntry]:
        """The character's dataset images in file order (movie, then time), `limit` from
        `offset`, each with its caption and the movie and time it came from."""
        query = _entries_of(character).order_by(DatasetImageRow.file).offset(offset).limit(limit)
        return self._entries(list(query))

    def dataset_entry(self, character: str, image_id: int) -> DatasetEntry | None:
        """One of the character's dataset images, as `dataset_page` gives it; None when the
        character has no image of that id."""
        found = self._entries(list(_entries_of(character).where(DatasetImageRow.id == image_id)))
        return found[0] if found else None

    def _entries(self, rows: list[DatasetImageRow]) -> list[DatasetEntry]:
        captions = self.captions_of([row.file for row in rows])
        return [
            DatasetEntry(
                id=r.id,
                file=r.file,
                movie_key=r.movie.sha256[:MOVIE_KEY_LENGTH],
                movie_name=r.movie.name,
                frame=r.frame,
                seconds=_seconds(r),
                width=r.width,
                height=r.height,
                created_at=r.created_at,
                caption=captions.get(r.file),
            )
            for r in rows
        ]


def _entries_of(character: str) -> pw.ModelSelect[DatasetImageRow]:
    frame = (FrameRow.movie == DatasetImageRow.movie) & (FrameRow.name == DatasetImageRow.frame)
    return (
        DatasetImageRow.select(DatasetImageRow, Movie.sha256, Movie.name, FrameRow.seconds)
        .join(Character)
        .switch(DatasetImageRow)
        .join(Movie)
        .switch(DatasetImageRow)
        .join(FrameRow, pw.JOIN.LEFT_OUTER, on=frame, attr="frame_row")
        .where(Character.name == character)
    )


def _seconds(row: DatasetImageRow) -> float | None:
    frame = getattr(row, "frame_row", None)  # absent when the outer join found no frame
    return float(frame.seconds) if frame is not None and frame.seconds is not None else None
