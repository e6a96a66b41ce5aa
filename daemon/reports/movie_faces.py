"""A movie's faces in numbers, for its page: found, named, and too small to use.

Faces down to faces.min_face_pixels (20) say who is in a frame; only those of at least
dataset.min_face_pixels (64) become dataset images. A person wondering why a character who
is plainly in a movie got few images learns here how many of its faces were too small.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from daemon.repository import Repository
from handlers.dataset import DatasetReport
from handlers.faces import FacesReport
from handlers.result_codec import decode

FACES_STAGE = "faces"
DATASET_STAGE = "dataset"


@dataclass(frozen=True)
class FaceCounts:
    found: int  # faces kept by the faces stage (at least faces.min_face_pixels tall)
    frames: int  # kept frames with at least one of them
    named: int  # of `found`, a character's now (the database's labels, as the sheet shows)
    too_small_to_keep: int  # under faces.min_face_pixels: left out
    # Named, but under dataset.min_face_pixels; None until the dataset stage is done.
    too_small_for_dataset: int | None


def face_counts(repo: Repository, movie_id: int) -> FaceCounts | None:
    """None until the faces stage is done."""
    faces_json = repo.stage_result_json(movie_id, FACES_STAGE)
    if faces_json is None:
        return None
    report = decode(FacesReport, json.loads(faces_json))
    faces = repo.faces_of_movie(movie_id)
    dataset_json = repo.stage_result_json(movie_id, DATASET_STAGE)
    dataset = decode(DatasetReport, json.loads(dataset_json)) if dataset_json else None
    return FaceCounts(
        found=len(faces),
        frames=len({face.frame for face in faces}),
        named=sum(face.character is not None for face in faces),
        too_small_to_keep=report.too_small,
        too_small_for_dataset=dataset.small_faces if dataset else None,
    )
