"""The identity evaluation: its counting on constructed cases, and a real daemon on a few
slideshow segments of the labelled photos in ../shared/media."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.identity import evaluate
from evaluation.identity_count import FrameFace, MissReason, PathOutcome, score
from evaluation.identity_photos import FACES, JOHNS, LabelledPhoto
from evaluation.slideshow import Ground, Segment
from handlers.dataset import DatasetImage
from handlers.letterbox import CropBox
from handlers.quality import JudgedFrame, Verdict
from tests.conftest import SHARED_MEDIA

FPS = 10
PHOTOS = 6


def segments(*people: tuple[str, ...]) -> list[Segment]:
    """One 2 s segment per photo, each showing `people`."""
    return [
        Segment(n, LabelledPhoto(f"photo{n}.jpg", who), Ground.BLACK, n * 2 * FPS, 2 * FPS, FPS)
        for n, who in enumerate(people)
    ]


def frame(name: str, seconds: float, verdict: Verdict = Verdict.KEPT) -> JudgedFrame:
    reason = None if verdict is Verdict.KEPT else f"{verdict.value} for the test"
    return JudgedFrame(
        name, seconds, 0, "middle", f"frames/{name}.jpg", 1.0, 1.0, 100.0, 0.1,
        "0" * 16, verdict, reason, None,
    )  # fmt: skip


def face(frame: str, character: str | None, height: int = 100) -> FrameFace:
    return FrameFace(frame, character, height, None if character else 0.7)


def image(character: str, frame: str) -> DatasetImage:
    return DatasetImage(character, frame, f"characters/{character}/{frame}.jpg",
                        CropBox(0, 0, 10, 10), 10, 10)  # fmt: skip


def test_a_segment_without_a_chosen_frame_is_missed() -> None:
    shown = segments(("Ann",), ("Bob",))
    outcome = PathOutcome((frame("a", 1.0),), (face("a", "Ann"),), (), {})
    result = score(shown, outcome)
    assert (result.appearances, result.found) == (2, 1)
    (miss,) = result.misses
    assert (miss.segment, miss.person, miss.reason) == (1, "Bob", MissReason.NO_FRAME)
    assert result.recall == 0.5
    assert result.precision == 1.0


def test_a_wrong_name_anywhere_lowers_precision_and_misses_its_segment() -> None:
    shown = segments(("Ann",), ("Bob",))
    faces = (face("a", "Ann"), face("b", "Ann"))
    result = score(shown, PathOutcome((frame("a", 0.5), frame("b", 2.5)), faces, (), {}))
    assert result.named == 2
    assert result.precision == 0.5
    (wrong,) = result.wrong
    assert (wrong.frame, wrong.named, wrong.segment, wrong.people) == ("b", "Ann", 1, ("Bob",))
    (miss,) = result.misses
    assert (miss.person, miss.reason, miss.detail) == ("Bob", MissReason.WRONG_NAME, "as Ann")


def test_each_miss_says_where_the_path_lost_the_person() -> None:
    shown = segments(("Ann",), ("Bob",), ("Cy",), ("Dee",), ("Eve",))
    frames = (
        frame("a", 0.1, Verdict.BLURRED),
        frame("b", 2.1),  # no face at all
        frame("c", 4.1),  # a face under the minimum only
        frame("d", 6.1),  # a face matching nobody
        frame("e", 8.1),  # Eve's dataset image: found without a named face listed
    )
    outcome = PathOutcome(frames, (face("d", None, 90),), (image("Eve", "e"),), {"c": 31})
    result = score(shown, outcome)
    reasons = {miss.person: (miss.reason, miss.detail) for miss in result.misses}
    assert reasons == {
        "Ann": (MissReason.REJECTED, "blurred for the test"),
        "Bob": (MissReason.NO_FACE, "1 kept frame(s)"),
        "Cy": (MissReason.TOO_SMALL, "31 px tall"),
        "Dee": (MissReason.UNKNOWN, "90 px; nearest reference 0.70"),
    }
    assert result.found == 1
    assert result.people_without_images == ("Ann", "Bob", "Cy", "Dee")


def test_a_group_photo_counts_each_person_and_the_other_name_is_not_wrong() -> None:
    shown = segments(("Ann", "Bob"))
    result = score(shown, PathOutcome((frame("a", 1.0),), (face("a", "Ann"),), (), {}))
    assert (result.appearances, result.found, result.precision) == (2, 1, 1.0)
    (miss,) = result.misses
    assert (miss.person, miss.reason) == ("Bob", MissReason.NO_FACE)


def test_a_frame_on_a_cut_belongs_to_the_segment_it_starts() -> None:
    first, second = segments(("Ann",), ("Bob",))
    assert not first.holds(2.0) and second.holds(2.0)
    assert first.holds(1.9) and not second.holds(1.9)


@pytest.mark.media
@pytest.mark.skipif(
    not (SHARED_MEDIA / FACES).is_dir() or not (SHARED_MEDIA / JOHNS).is_dir(),
    reason=f"real face photos not found at {SHARED_MEDIA / 'faces'}",
)
def test_a_real_daemon_names_the_people_of_the_first_segments(tmp_path: Path) -> None:
    # Which segments quality keeps depends on the movie's median sharpness, so on the subset:
    # the figures of the whole slideshow are the evaluation's to judge, not this test's.
    slideshow, run = evaluate(SHARED_MEDIA, tmp_path, photos=PHOTOS)
    assert len(slideshow.segments) == PHOTOS
    assert run.rejected_references == ()
    result = score(slideshow.segments, run.outcome)
    assert result.appearances >= PHOTOS
    assert result.found + len(result.misses) == result.appearances
    assert result.named > 0 and result.wrong == ()
    assert result.found >= result.appearances // 2, result.misses
