"""The `faces` stage on kept frames: found, filtered by size, matched to the references."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt
import pytest

from daemon.config import FacesConfig
from handlers.base import MovieJob, StageContext
from handlers.face_matching import ReferenceSet, detect_faces, largest_face_rule
from handlers.faces import FacesHandler, FacesReport, ReferenceBook
from handlers.image_measures import rgb_of_file
from handlers.quality import JudgedFrame, QualityReport, Verdict
from handlers.result_codec import decode, encode
from tests.conftest import SHARED_MEDIA

EXAMPLES = SHARED_MEDIA / "faces" / "face_recognition" / "examples"
needs_faces = pytest.mark.skipif(
    not EXAMPLES.exists(), reason=f"real face photos not found at {EXAMPLES}"
)


def kept(name: str) -> JudgedFrame:
    return JudgedFrame(
        name, 1.0, 0, "middle", f"frames/{name}.jpg", 1.0, 1.0, 100.0, 0.1, "0" * 16,
        Verdict.KEPT, None, None,
    )  # fmt: skip


def run(library: Path, names: list[str], handler: FacesHandler) -> FacesReport:
    report = QualityReport(tuple(kept(n) for n in names), len(names), 0)
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    return handler.run(MovieJob("m", Path("movie.mp4"), library, (report,), context))


def frame_file(library: Path, name: str) -> Path:
    path = library / "movies" / "m" / "frames" / f"{name}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def test_frames_without_faces_give_an_empty_report(tmp_path: Path) -> None:
    cv2.imwrite(str(frame_file(tmp_path, "a")), np.full((180, 320, 3), 120, np.uint8))
    report = run(tmp_path, ["a"], FacesHandler())
    assert (report.faces, report.frames_searched, report.frames_with_faces) == ((), 1, 0)


def test_a_missing_kept_frame_is_an_error_not_a_silent_gap(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="missing or unreadable"):
        run(tmp_path, ["gone"], FacesHandler())


@needs_faces
def test_faces_are_matched_to_the_nearest_character(tmp_path: Path) -> None:
    names, encodings = [], []
    for character, photo in (("Obama", "obama2.jpg"), ("Biden", "biden.jpg")):
        face = largest_face_rule(detect_faces(rgb_of_file(str(EXAMPLES / photo))))
        assert face is not None
        names.append(character)
        encodings.append(face.encoding)
    book = ReferenceBook(ReferenceSet(names, encodings))
    shutil.copyfile(EXAMPLES / "obama.jpg", frame_file(tmp_path, "o"))
    shutil.copyfile(EXAMPLES / "biden.jpg", frame_file(tmp_path, "b"))
    report = run(tmp_path, ["o", "b"], FacesHandler(FacesConfig(), book))
    assert [(f.frame, f.character) for f in report.faces] == [("o", "Obama"), ("b", "Biden")]
    assert [(c.character, c.frames) for c in report.characters] == [("Biden", 1), ("Obama", 1)]
    stored = encode(report)
    assert "encoding" not in stored["faces"][0], "encodings stay out of movie.json"
    assert decode(FacesReport, stored).faces[0].box == report.faces[0].box
    tiny = run(tmp_path, ["o"], FacesHandler(FacesConfig(min_face_pixels=4000), book))
    assert (tiny.faces, tiny.too_small) == ((), 1)


def clip_frame(path: Path, number: int) -> npt.NDArray[np.uint8]:
    """Frame `number` of a clip, BGR, as the shots stage would save it."""
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index == number:
                return np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8)
    raise AssertionError(f"{path} has no frame {number}")


@pytest.mark.media
@needs_faces
def test_the_cnn_detector_finds_the_turned_face_that_hog_misses(tmp_path: Path) -> None:
    """short_hamilton_clip.mp4 frame 30: the pianist's close-up, his face turned away."""
    names, encodings = [], []
    for character, photo in (("Alex", "alex-lacamoire.png"), ("Lin", "lin-manuel-miranda.png")):
        face = largest_face_rule(detect_faces(rgb_of_file(str(EXAMPLES / photo))))
        assert face is not None
        names.append(character)
        encodings.append(face.encoding)
    book = ReferenceBook(ReferenceSet(names, encodings, tolerance=0.7))
    cv2.imwrite(
        str(frame_file(tmp_path, "p")), clip_frame(EXAMPLES / "short_hamilton_clip.mp4", 30)
    )
    assert run(tmp_path, ["p"], FacesHandler(FacesConfig(detector="hog"), book)).faces == ()
    (found,) = run(tmp_path, ["p"], FacesHandler(FacesConfig(detector="cnn"), book)).faces
    assert found.box.height > 150
    # Nearer his reference than Lin's, but about 0.6 away: beyond the default tolerance.
    assert found.character == "Alex"
    assert found.distance is not None and found.runner_up is not None
    assert 0.5 < found.distance < found.runner_up
