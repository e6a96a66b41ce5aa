"""Faces of 20 to 40 px: found, named and counted among the people of a frame, but never cut
into a dataset image (dataset.min_face_pixels is a separate, larger minimum)."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from daemon.config import Config, DatasetConfig, FacesConfig
from daemon.repository import Repository
from handlers.base import MovieJob, StageContext
from handlers.caption_chain import CaptionChain
from handlers.caption_template import TemplateProvider
from handlers.captions import CaptionsHandler
from handlers.dataset import DatasetHandler, DatasetReport
from handlers.face_matching import FaceBox, ReferenceSet, detect_faces, largest_face_rule
from handlers.faces import FacesHandler, FacesReport, ReferenceBook
from handlers.image_measures import rgb_of_file
from handlers.quality import JudgedFrame, QualityReport, Verdict
from tests.conftest import HAMILTON

pytestmark = pytest.mark.skipif(
    not HAMILTON.exists(), reason=f"real face photos not found at {HAMILTON}"
)
SHA = "5a11f4ce5000" + "0" * 52
KEY = SHA[:12]
FRAME = "00-00-01.000"


def face_patch(photo: str, face_pixels: int) -> npt.NDArray[np.uint8]:
    """The photo's face with a face-height margin around it, scaled to a face this tall."""
    rgb = rgb_of_file(str(HAMILTON / photo))
    face = largest_face_rule(detect_faces(rgb))
    assert face is not None
    box: FaceBox = face.box
    margin = box.height
    crop = rgb[
        max(0, box.top - margin) : box.bottom + margin,
        max(0, box.left - margin) : box.right + margin,
    ]
    scale = face_pixels / box.height
    size = (round(crop.shape[1] * scale), round(crop.shape[0] * scale))
    return np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def two_people_frame(path: Path) -> None:
    """A 360x240 frame (HOG upsamples it twice): Obama large on the left, Biden small on the
    right, his face about 30 px (HOG's box)."""
    canvas = np.full((240, 360, 3), 110, np.uint8)
    large, small = face_patch("obama.jpg", 90), face_patch("biden.jpg", 30)
    canvas[10 : 10 + large.shape[0], 10 : 10 + large.shape[1]] = large
    canvas[100 : 100 + small.shape[0], 260 : 260 + small.shape[1]] = small
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))


def references() -> ReferenceBook:
    names, encodings = [], []
    for character, photo in (("Obama", "obama2.jpg"), ("Biden", "biden.jpg")):
        face = largest_face_rule(detect_faces(rgb_of_file(str(HAMILTON / photo))))
        assert face is not None
        names.append(character)
        encodings.append(face.encoding)
    return ReferenceBook(ReferenceSet(names, encodings))


def job(library: Path, earlier: tuple[object, ...]) -> MovieJob:
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    return MovieJob(KEY, Path("movie.mp4"), library, earlier, context)


def test_a_small_face_is_named_and_counted_but_gets_no_dataset_image(tmp_path: Path) -> None:
    library = tmp_path / "library"
    two_people_frame(library / "movies" / KEY / "frames" / f"{FRAME}.jpg")
    frame = JudgedFrame(
        FRAME, 1.0, 0, "middle", f"frames/{FRAME}.jpg", 1.0, 1.0, 110.0, 0.1, "0" * 16,
        Verdict.KEPT, None, None,
    )  # fmt: skip
    quality = QualityReport((frame,), 1, 0)
    faces: FacesReport = FacesHandler(FacesConfig(), references()).run(job(library, (quality,)))
    named = {f.character: f.box.height for f in faces.faces}
    assert set(named) == {"Obama", "Biden"} and faces.too_small == 0
    assert 20 <= named["Biden"] < 40 and named["Obama"] >= DatasetConfig().min_face_pixels

    dataset: DatasetReport = DatasetHandler(DatasetConfig()).run(job(library, (quality, faces)))
    assert [image.character for image in dataset.images] == ["Obama"]
    assert dataset.small_faces == 1
    assert not (library / "characters" / "Biden").exists()

    repo = Repository(library / "bunny.db")
    try:
        repo.add_movie(SHA, "movie.mp4", tmp_path / "movie.mp4", 1)
        repo.save_character("Obama", "obama", "man")
        repo.save_character("Biden", "biden", "man")
        chain = CaptionChain([TemplateProvider()], "next")
        handler = CaptionsHandler(Config().captions, chain, repo)
        handler.run(job(library, (quality, faces, dataset)))
    finally:
        repo.close()
    caption = library / "characters" / "Obama" / "dataset" / f"{KEY}_{FRAME}.txt"
    assert "with another person" in caption.read_text(encoding="utf-8")
