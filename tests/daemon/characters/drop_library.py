"""A library with two characters, as the pipeline leaves it: faces named by matching, each
character's references, and dataset images on disk and in the database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from daemon.repository import Relabel, Repository
from handlers.dataset import DatasetImage, DatasetReport
from handlers.face_matching import FaceBox
from handlers.letterbox import CropBox
from tests.daemon.characters.test_face_clusters import movie_with_faces, person


@dataclass(frozen=True)
class TwoCharacters:
    ann: tuple[str, ...]  # Ann's dataset images, relative to the library
    bea: tuple[str, ...]

    def image_id(self, repo: Repository, file: str) -> int:
        (entry,) = [e for e in repo.dataset_page(file.split("/")[1], 0, 1000) if e.file == file]
        return entry.id


def two_characters(repo: Repository, library: Path, ann_faces: int = 2) -> TwoCharacters:
    """A movie whose first `ann_faces` faces are Ann's and the last one Bea's, each face in
    a frame of its own, with a dataset image of each; Ann and Bea have a reference each."""
    ann, bea = person(7, ann_faces + 1), person(8, 2)
    movie = movie_with_faces(repo, library, ann[:ann_faces] + bea[:1])
    for name, encoding in (("Ann", ann[-1]), ("Bea", bea[-1])):
        character = repo.save_character(name, name.lower(), "woman")
        reference = f"characters/{name}/reference/{name}.jpg"
        (library / reference).parent.mkdir(parents=True, exist_ok=True)
        (library / reference).write_bytes(name.encode())  # its copy, as the intake keeps one
        repo.add_reference(character.id, name * 32, reference, FaceBox(0, 10, 10, 0), encoding)
    # As matching names them: a distance, a runner-up, not confirmed by the user.
    names = ["Ann"] * ann_faces + ["Bea"]
    repo.relabel_faces(
        [
            Relabel(f.id, f.movie_id, f.frame, f.number, name, 0.3, 0.7)
            for name, f in zip(names, repo.stored_faces(), strict=True)
        ]
    )
    images = []
    for number, face in enumerate(repo.stored_faces()):
        assert face.character is not None
        file = f"characters/{face.character}/dataset/{movie.key}_{face.frame}.jpg"
        (library / file).parent.mkdir(parents=True, exist_ok=True)
        picture = np.full((64, 64, 3), 30 + 40 * number, np.uint8)
        cv2.imwrite(str(library / file), picture)
        images.append(DatasetImage(face.character, face.frame, file, CropBox(0, 0, 64, 64), 64, 64))
    repo.finish_stage(movie.id, "dataset", 0.1, DatasetReport(tuple(images), 0, 0))
    repo.mark_done(movie.id)
    return TwoCharacters(
        tuple(i.file for i in images if i.character == "Ann"),
        tuple(i.file for i in images if i.character == "Bea"),
    )
