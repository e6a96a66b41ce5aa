"""`bunny lineage`: where a dataset image came from and everything that happened to it, and
the way back from a training run to the sources of its images.

`--json` prints `dataclasses.asdict` of the result (times as text). For an image, a
`Lineage`:
  file, character, created_at; source {kind ("movie" or "images"), movie_key, frame,
  movie_name, movie_sha256, movie_path, seconds, image_path, image_sha256, batch};
  crop {left, top, width, height} (the image's box in the frame); frame {name, seconds, role,
  verdict, reason, sharpness, relative_sharpness, brightness, flat_fraction, phash,
  duplicate_of}; shot {number, start_seconds, end_seconds, kind, mean_motion}; scene
  {number, embedder}; face {number, box {top, right, bottom, left}, character, distance,
  runner_up, confirmed, turned_away}; caption {text, provider, stale, file_text, edited};
  corrections [{at, kind, frame, from_character, to_character, file_before, file_after,
  face_id, undone}]; models [{model, character, folder, training_json, finished, sha256,
  same_bytes, caption}]. frame, shot, scene and face are null when their rows are gone.
For a run, a `RunLineage`: model, character, folder, training_json, images [{file, sha256,
  recorded (the source is dataset.json's own, not the database's), source (as above, or
  null when neither knows)}].
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from daemon.display_text import printable
from daemon.reports.lineage_models import ModelUse, models_trained_on, readable_frozen
from daemon.reports.lineage_paths import NOT_OURS, NotLineageError
from daemon.repository import (
    CorrectionLogEntry,
    LineageFace,
    LineageFrame,
    LineageScene,
    LineageShot,
    Repository,
)
from daemon.training.image_sources import FrozenSource, SourceKind
from daemon.training.run_folder import SUMMARY_FILE, RunFolder
from handlers.caption_files import caption_path
from handlers.caption_records import StoredCaption
from handlers.letterbox import CropBox


@dataclass(frozen=True)
class Source:
    kind: SourceKind
    movie_key: str  # an image batch's part has a key too
    frame: str  # the frame's name (its timestamp), or the name an inbox image became
    movie_name: str | None  # None: the database does not know the movie (any more)
    movie_sha256: str | None
    movie_path: str | None
    seconds: float | None  # the frame's timestamp in the movie
    image_path: str | None = None  # an inbox image: the file the user dropped
    image_sha256: str | None = None
    batch: str | None = None


@dataclass(frozen=True)
class CaptionFacts:
    text: str | None  # the stored caption, None when it has none
    provider: str | None
    stale: bool  # `bunny recaption` asked for a new one
    file_text: str | None  # the .txt beside the image (what training reads)
    edited: bool  # the .txt says something else than the stored caption: edited by hand


@dataclass(frozen=True)
class Lineage:
    file: str  # relative to the library
    character: str
    created_at: datetime
    source: Source
    crop: CropBox
    frame: LineageFrame | None  # its quality figures and verdict
    shot: LineageShot | None
    scene: LineageScene | None
    face: LineageFace | None
    caption: CaptionFacts
    corrections: tuple[CorrectionLogEntry, ...]
    models: tuple[ModelUse, ...]


@dataclass(frozen=True)
class RunImage:
    file: str  # its name in the run's dataset
    sha256: str
    recorded: bool  # the source is dataset.json's own (False: found through the database)
    source: Source | None


@dataclass(frozen=True)
class RunLineage:
    model: str  # NAME-vN
    character: str
    folder: str  # relative to the library
    training_json: str | None
    images: tuple[RunImage, ...]


def source_of(repo: Repository, origin: FrozenSource) -> Source:
    """What the database says of an image's source: the one place for movies and image
    batches (a still image's row is found by its part and frame)."""
    movie = repo.movie_source(origin.movie, origin.frame)
    is_image = origin.kind is SourceKind.IMAGES
    image = repo.image_source(origin.movie, origin.frame) if is_image else None
    if image is not None:  # where the image is now (set aside or moved to done/ since)
        origin = dataclasses.replace(origin, file=str(image.path), batch=image.batch)
    return Source(
        kind=origin.kind,
        movie_key=origin.movie,
        frame=origin.frame,
        movie_name=movie.name if movie else None,
        movie_sha256=movie.sha256 if movie else None,
        movie_path=printable(movie.path) if movie else None,
        seconds=movie.seconds if movie else None,
        image_path=printable(origin.file) if origin.file is not None else None,
        image_sha256=image.sha256 if image is not None else None,
        batch=origin.batch,
    )


def image_lineage(repo: Repository, library: Path, file: str) -> Lineage:
    """The lineage of the dataset image `file` (relative to the library)."""
    rows = repo.image_lineage(file)
    if rows is None:
        raise NotLineageError(f"{NOT_OURS}: {file} (the database has no row for it)")
    image = rows.image
    path = library / file
    characters = {image.character} | {
        name for c in rows.corrections for name in (c.from_character, c.to_character) if name
    }
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:  # moved or deleted a moment ago
        raise NotLineageError(f"{NOT_OURS}: {file} cannot be read: {exc}") from None
    return Lineage(
        file=file,
        character=image.character,
        created_at=image.created_at,
        source=source_of(repo, image.source),
        crop=image.crop,
        frame=rows.frame,
        shot=rows.shot,
        scene=rows.scene,
        face=rows.face,
        caption=_caption(rows.caption, path),
        corrections=rows.corrections,
        models=models_trained_on(library, characters, path.name, digest),
    )


def run_lineage(repo: Repository, library: Path, folder: Path) -> RunLineage:
    """A run's images with their sources: dataset.json's own, else the database's."""
    run = RunFolder.of(folder)
    frozen = readable_frozen(folder)
    if frozen is None:
        raise NotLineageError(f"{NOT_OURS}: {folder.name}: its dataset.json cannot be read")
    images = []
    for item in frozen.items:
        origin = item.source or repo.dataset_origin(run.character, item.file)
        source = source_of(repo, origin) if origin is not None else None
        images.append(RunImage(item.file, item.sha256, item.source is not None, source))
    summary = folder / SUMMARY_FILE
    return RunLineage(
        model=run.name,
        character=run.character,
        folder=folder.relative_to(library.resolve()).as_posix(),
        training_json=summary.relative_to(library.resolve()).as_posix()
        if summary.is_file()
        else None,
        images=tuple(images),
    )


def _caption(stored: StoredCaption | None, image: Path) -> CaptionFacts:
    try:
        on_file: str | None = caption_path(image).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        on_file = None
    text = stored.text.strip() if stored else None
    return CaptionFacts(
        text=stored.text if stored else None,
        provider=stored.provider if stored else None,
        stale=stored.stale if stored else False,
        file_text=on_file,
        edited=on_file is not None and text is not None and on_file != text,
    )
