"""The identity evaluation's counting: which appearances were found, which names were wrong.

An appearance is one person in one segment (a group photo's segment holds two). It is found
when a named face of that person, or a dataset image of them, comes from a frame inside the
segment. Every named face counts for precision: right when its name is one of the people of
the segment its frame is in, wrong otherwise (or when its frame is in no segment).

A missed appearance gets the first reason that holds, in the order of the path: no frame
chosen in its segment; every frame chosen there rejected by quality (with the reasons); no
face found in its kept frames; only faces under faces.min_face_pixels; a face left unknown;
a face named as somebody else.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from evaluation.slideshow import Segment
from handlers.dataset import DatasetImage
from handlers.quality import JudgedFrame, Verdict


class MissReason(enum.StrEnum):
    NO_FRAME = "no frame chosen in it"
    REJECTED = "frame rejected by quality"
    NO_FACE = "no face found"
    TOO_SMALL = "face too small"
    UNKNOWN = "face unknown"
    WRONG_NAME = "wrongly named"


@dataclass(frozen=True)
class FrameFace:
    """A face the daemon holds for a kept frame, as movie.json lists it."""

    frame: str
    character: str | None
    height: int
    distance: float | None


@dataclass(frozen=True)
class Miss:
    segment: int
    person: str
    photo: str
    reason: MissReason
    detail: str


@dataclass(frozen=True)
class WrongName:
    frame: str
    named: str
    segment: int | None  # None: the frame is in no segment
    people: tuple[str, ...]  # who the segment shows


@dataclass(frozen=True)
class PathOutcome:
    """What the daemon made of the slideshow, read back from its library."""

    frames: tuple[JudgedFrame, ...]  # every frame chosen, with quality's verdict
    faces: tuple[FrameFace, ...]
    images: tuple[DatasetImage, ...]
    # Kept frame -> the tallest face under faces.min_face_pixels that a second look (the
    # stage's own detection) finds there, which the stage leaves out; None when there is none.
    small_faces: Mapping[str, int | None]


@dataclass(frozen=True)
class IdentityScore:
    appearances: int
    found: int
    named: int  # named faces
    wrong: tuple[WrongName, ...]
    misses: tuple[Miss, ...]
    people_without_images: tuple[str, ...]

    @property
    def recall(self) -> float:
        return self.found / self.appearances if self.appearances else 0.0

    @property
    def precision(self) -> float:
        return (self.named - len(self.wrong)) / self.named if self.named else 1.0


def score(segments: Sequence[Segment], outcome: PathOutcome) -> IdentityScore:
    misses = [
        miss
        for segment in segments
        for person in segment.photo.people
        if (miss := _miss(segment, person, outcome)) is not None
    ]
    appearances = sum(len(segment.photo.people) for segment in segments)
    shown = {person for segment in segments for person in segment.photo.people}
    with_images = {image.character for image in outcome.images}
    named = [face for face in outcome.faces if face.character is not None]
    return IdentityScore(
        appearances=appearances,
        found=appearances - len(misses),
        named=len(named),
        wrong=tuple(_wrong_names(segments, outcome)),
        misses=tuple(misses),
        people_without_images=tuple(sorted(shown - with_images)),
    )


def segment_of(segments: Sequence[Segment], seconds: float) -> Segment | None:
    return next((segment for segment in segments if segment.holds(seconds)), None)


def _wrong_names(segments: Sequence[Segment], outcome: PathOutcome) -> list[WrongName]:
    seconds = {frame.name: frame.seconds for frame in outcome.frames}
    wrong = []
    for face in outcome.faces:
        if face.character is None:
            continue
        segment = segment_of(segments, seconds[face.frame]) if face.frame in seconds else None
        people = segment.photo.people if segment else ()
        if face.character not in people:
            number = segment.number if segment else None
            wrong.append(WrongName(face.frame, face.character, number, people))
    return wrong


def _miss(segment: Segment, person: str, outcome: PathOutcome) -> Miss | None:
    chosen = [frame for frame in outcome.frames if segment.holds(frame.seconds)]
    kept = {frame.name for frame in chosen if frame.verdict is Verdict.KEPT}
    faces = [face for face in outcome.faces if face.frame in kept]
    imaged = any(image.frame in kept and image.character == person for image in outcome.images)
    if imaged or any(face.character == person for face in faces):
        return None
    others = [face for face in faces if face.character not in segment.photo.people]
    reason, detail = _why(chosen, kept, others, outcome.small_faces)
    return Miss(segment.number, person, segment.photo.path, reason, detail)


def _why(
    chosen: list[JudgedFrame],
    kept: set[str],
    faces: list[FrameFace],
    small_faces: Mapping[str, int | None],
) -> tuple[MissReason, str]:
    """`faces`: the kept frames' faces not named as one of the segment's people."""
    if not chosen:
        return MissReason.NO_FRAME, ""
    if not kept:
        reasons = sorted({frame.reason or frame.verdict.value for frame in chosen})
        return MissReason.REJECTED, "; ".join(reasons)
    unknown = [face for face in faces if face.character is None]
    if unknown:
        nearest = min((f.distance for f in unknown if f.distance is not None), default=None)
        heights = ", ".join(f"{face.height} px" for face in unknown)
        shown = "no reference near" if nearest is None else f"nearest reference {nearest:.2f}"
        return MissReason.UNKNOWN, f"{heights}; {shown}"
    if faces:
        names = sorted({face.character for face in faces if face.character is not None})
        return MissReason.WRONG_NAME, "as " + ", ".join(names)
    small = [height for name in kept if (height := small_faces.get(name)) is not None]
    if small:
        return MissReason.TOO_SMALL, f"{max(small)} px tall"
    return MissReason.NO_FACE, f"{len(kept)} kept frame(s)"
