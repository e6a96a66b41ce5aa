"""Reads for `bunny lineage`: everything the database knows of one dataset image, where each
image of a character's dataset came from (recorded in a training run's dataset.json), and the
way back from such a record to its movie."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import peewee as pw

from daemon.repository.captions import CaptionStore
from daemon.repository.corrections import correction_entry
from daemon.repository.image_parts import image_row_of_frame
from daemon.repository.image_records import ImageRecord, image_record
from daemon.repository.lineage_records import (
    ImageRows,
    LineageFace,
    LineageFrame,
    LineageImage,
    LineageScene,
    LineageShot,
    MovieSource,
)
from daemon.repository.records import MOVIE_KEY_LENGTH, CorrectionLogEntry
from daemon.repository.rows import MASK64, box_of, name_of
from daemon.store import (
    Character,
    Correction,
    DatasetImageRow,
    FaceRow,
    FrameRow,
    FrameSceneRow,
    Movie,
    ShotRow,
)
from daemon.training.image_sources import FrozenSource, SourceKind
from handlers.letterbox import CropBox
from handlers.quality import Verdict
from handlers.shots import ShotKind

_MOVIE_KEY = re.compile(rf"^[0-9a-f]{{{MOVIE_KEY_LENGTH}}}$")


class LineageRows(CaptionStore):
    def image_lineage(self, file: str) -> ImageRows | None:
        """The dataset image whose row names `file` (relative to the library), and the rows
        it came from; None when no row names it."""
        row = (
            DatasetImageRow.select(
                DatasetImageRow, Movie.id, Movie.sha256, Movie.kind, Character.name
            )
            .join(Movie)
            .switch(DatasetImageRow)
            .join(Character)
            .where(DatasetImageRow.file == file)
            .first()
        )
        if row is None:
            return None
        movie_id: int = row.movie.id
        image = LineageImage(
            id=row.id,
            file=row.file,
            character=row.character.name,
            movie_key=row.movie.sha256[:MOVIE_KEY_LENGTH],
            frame=row.frame,
            crop=CropBox(row.left, row.top, row.width, row.height),
            created_at=row.created_at,
            source=_frozen(row.movie, row.frame),
        )
        frame = FrameRow.get_or_none((FrameRow.movie == movie_id) & (FrameRow.name == row.frame))
        corrections = _corrections_of(movie_id, row.frame, row.file)
        return ImageRows(
            image=image,
            frame=_frame(frame) if frame is not None else None,
            shot=_shot(movie_id, frame.shot) if frame is not None else None,
            scene=_scene(movie_id, row.frame),
            face=_face(movie_id, row.frame, image.character, corrections),
            caption=self.caption_of(row.file),
            corrections=corrections,
        )

    def movie_source(self, key: str, frame: str) -> MovieSource | None:
        """The movie whose key is `key`, and the time of its frame `frame`."""
        movie = _movie_of_key(key)
        if movie is None:
            return None
        row = FrameRow.get_or_none((FrameRow.movie == movie.id) & (FrameRow.name == frame))
        seconds = float(row.seconds) if row is not None else None
        return MovieSource(movie.name, key, movie.sha256, str(movie.path), seconds)

    def image_source(self, key: str, frame: str) -> ImageRecord | None:
        """The still image that became frame `frame` of the image batch part `key`."""
        part = _movie_of_key(key)
        row = image_row_of_frame(part.id, frame) if part is not None else None
        return image_record(row) if row is not None else None

    def frozen_sources(self, character: str) -> dict[str, FrozenSource]:
        """Where each of the character's dataset images came from, by its file name."""
        query = (
            DatasetImageRow.select(
                DatasetImageRow.file, DatasetImageRow.frame, Movie.id, Movie.sha256, Movie.kind
            )
            .join(Movie)
            .switch(DatasetImageRow)
            .join(Character)
            .where(Character.name == character)
        )
        return {PurePosixPath(r.file).name: _frozen(r.movie, r.frame) for r in query}

    def dataset_origin(self, character: str, name: str) -> FrozenSource | None:
        """Where the image `name` of the character's dataset came from, by its row or, when
        the user moved or deleted it since, by the correction that says so."""
        file = f"characters/{character}/dataset/{name}"
        row = (
            DatasetImageRow.select(DatasetImageRow.frame, Movie.id, Movie.sha256, Movie.kind)
            .join(Movie)
            .where(DatasetImageRow.file == file)
            .first()
        )
        if row is not None:
            return _frozen(row.movie, row.frame)
        moved = (
            Correction.select(Correction.frame, Movie.id, Movie.sha256, Movie.kind)
            .join(Movie)
            .where((Correction.file_before == file) | (Correction.file_after == file))
            .order_by(Correction.id.desc())
            .first()
        )
        return _frozen(moved.movie, moved.frame) if moved is not None else None


def _movie_of_key(key: str) -> Movie | None:
    if not _MOVIE_KEY.match(key):
        return None  # a hand-edited dataset.json: nothing to look for
    movie: Movie | None = Movie.select().where(Movie.sha256.startswith(key)).first()
    return movie


def _frozen(movie: Movie, frame: str) -> FrozenSource:
    # The one place a frozen source is made from the database.
    key = movie.sha256[:MOVIE_KEY_LENGTH]
    if movie.kind != SourceKind.IMAGES.value:
        return FrozenSource(SourceKind.MOVIE, key, frame)
    image = image_row_of_frame(movie.id, frame)
    if image is None:
        return FrozenSource(SourceKind.IMAGES, key, frame)
    return FrozenSource(SourceKind.IMAGES, key, frame, file=str(image.path), batch=image.batch)


def _frame(row: FrameRow) -> LineageFrame:
    return LineageFrame(
        name=row.name,
        seconds=row.seconds,
        role=row.role,
        verdict=Verdict(row.verdict),
        reason=row.reason,
        sharpness=row.sharpness,
        relative_sharpness=row.relative_sharpness,
        brightness=row.brightness,
        flat_fraction=row.flat_fraction,
        phash=f"{row.phash & MASK64:016x}",  # stored as a signed 64-bit integer
        duplicate_of=row.duplicate_of,
    )


def _shot(movie_id: int, number: int) -> LineageShot | None:
    row = ShotRow.get_or_none((ShotRow.movie == movie_id) & (ShotRow.number == number))
    if row is None:
        return None
    kind = ShotKind(row.kind)
    return LineageShot(row.number, row.start_seconds, row.end_seconds, kind, row.mean_motion)


def _scene(movie_id: int, frame: str) -> LineageScene | None:
    row = FrameSceneRow.get_or_none(
        (FrameSceneRow.movie == movie_id) & (FrameSceneRow.frame == frame)
    )
    return LineageScene(row.scene, row.embedder) if row is not None else None


def _corrections_of(movie_id: int, frame: str, file: str) -> tuple[CorrectionLogEntry, ...]:
    """The corrections of the frame that moved this image here, or from here, by every name
    it had: a chain of moves is followed back from its newest name."""
    query = Correction.select().where((Correction.movie == movie_id) & (Correction.frame == frame))
    entries = [correction_entry(row) for row in query.order_by(Correction.id)]
    names = {file}
    for entry in reversed(entries):
        if entry.file_after in names:
            names.add(entry.file_before)
    return tuple(e for e in entries if e.file_before in names or e.file_after in names)


def _face(
    movie_id: int, frame: str, character: str, corrections: tuple[CorrectionLogEntry, ...]
) -> LineageFace | None:
    """The face the image shows: the one its newest correction named, else the largest face
    of its character in the frame (the one the dataset stage cut it around)."""
    query = (
        FaceRow.select(FaceRow, Character.name)
        .join(Character, pw.JOIN.LEFT_OUTER)
        .where((FaceRow.movie == movie_id) & (FaceRow.frame == frame))
        .order_by(FaceRow.number)
    )
    faces = list(query)
    named = [e.face_id for e in corrections if e.face_id is not None and not e.undone]
    chosen = next((f for f in faces if named and f.id == named[-1]), None)
    chosen = chosen or next((f for f in faces if name_of(f.character) == character), None)
    if chosen is None:
        return None
    return LineageFace(
        number=chosen.number,
        box=box_of(chosen),
        character=name_of(chosen.character),
        distance=chosen.distance if chosen.distance >= 0 else None,
        runner_up=chosen.runner_up if chosen.runner_up >= 0 else None,
        confirmed=bool(chosen.confirmed),
        turned_away=bool(chosen.turned_away),
    )
