"""The rows a stage's result fills, replacing those of any earlier run of the stage."""

from __future__ import annotations

import numpy as np

from daemon.repository.rows import box_columns, encoding_blob, replace_rows, signed64
from daemon.store import DatasetImageRow, FaceRow, FrameRow, FrameSceneRow, ShotRow
from handlers.dataset import DatasetImage
from handlers.faces import FoundFace
from handlers.quality import JudgedFrame
from handlers.scenes import ScenesReport
from handlers.shots import Shot


def store_shots(movie_id: int, shots: tuple[Shot, ...]) -> None:
    rows = [
        {
            "movie": movie_id,
            "number": s.index,
            "start_seconds": s.start_seconds,
            "end_seconds": s.end_seconds,
            "kind": s.kind.value,
            "mean_motion": s.mean_motion,
        }
        for s in shots
    ]
    replace_rows(ShotRow, movie_id, rows)


def store_frames(movie_id: int, frames: tuple[JudgedFrame, ...]) -> None:
    rows = [
        {
            "movie": movie_id,
            "name": f.name,
            "seconds": f.seconds,
            "shot": f.shot,
            "role": f.role,
            "verdict": f.verdict.value,
            "reason": f.reason,
            "file": f.file,
            "sharpness": f.sharpness,
            "relative_sharpness": f.relative_sharpness,
            "brightness": f.brightness,
            "flat_fraction": f.flat_fraction,
            "phash": signed64(int(f.phash, 16)),
            "duplicate_of": f.duplicate_of,
        }
        for f in frames
    ]
    replace_rows(FrameRow, movie_id, rows)


def store_faces(movie_id: int, faces: tuple[FoundFace, ...], ids: dict[str, int]) -> None:
    rows = [
        {
            "movie": movie_id,
            "frame": f.frame,
            "number": f.number,
            **box_columns(f.box),
            "encoding": encoding_blob(f.encoding),
            "character": ids.get(f.character) if f.character else None,
            "distance": f.distance if f.distance is not None else -1.0,
            "runner_up": f.runner_up if f.runner_up is not None else -1.0,
            "turned_away": f.turned_away,
        }
        for f in faces
    ]
    replace_rows(FaceRow, movie_id, rows)


def store_dataset_images(
    movie_id: int, images: tuple[DatasetImage, ...], ids: dict[str, int]
) -> None:
    rows = [
        {
            "movie": movie_id,
            "character": ids[image.character],
            "frame": image.frame,
            "file": image.file,
            "left": image.crop.left,
            "top": image.crop.top,
            "width": image.width,
            "height": image.height,
        }
        for image in images
        if image.character in ids
    ]
    replace_rows(DatasetImageRow, movie_id, rows)


def store_frame_scenes(movie_id: int, report: ScenesReport) -> None:
    rows = [
        {
            "movie": movie_id,
            "frame": f.frame,
            "scene": f.scene,
            "embedder": report.embedder,
            "vector": np.asarray(f.vector, dtype="<f4").tobytes(),
        }
        for f in report.frames
    ]
    replace_rows(FrameSceneRow, movie_id, rows)
