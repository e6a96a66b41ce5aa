"""The clips both shot detectors are judged on, each with where its boundaries truly are.

Real clips from ../shared/media (their published or observed cuts), and clips generated
into a scratch folder: slideshows of portraits framed alike (on black, on grey, full frame),
dissolves longer than a second, a fast pan and flashes (no boundary in either).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from pathlib import Path

from evaluation.scenes import TESTVIDEO_DISSOLVE
from tests.slideshows import Ground, write_dissolve, write_flashes, write_pan, write_slideshow

HAMILTON = "faces/face_recognition/examples/short_hamilton_clip.mp4"
# goldeneye-vfr-drop3.mp4's nominal rate; its cuts are published as times, not frames.
GOLDENEYE_FPS = 24000 / 1001
FRAME_TOLERANCE = 2


class Unit(enum.Enum):
    FRAMES = "frames"  # decoded-frame indices
    SECONDS = "s"


@dataclass(frozen=True)
class Boundary:
    """Where a boundary may be placed: one frame for a hard cut, a span for a dissolve."""

    first: float
    last: float


@dataclass(frozen=True)
class CutClip:
    name: str
    path: Path
    unit: Unit
    boundaries: tuple[Boundary, ...]
    tolerance: float  # 2 frames, in the clip's unit

    def shown(self) -> str:
        spans = [
            f"{b.first:g}" if b.first == b.last else f"{b.first:g}-{b.last:g}"
            for b in self.boundaries
        ]
        return ", ".join(spans) or "none"


def cuts(*frames: float) -> tuple[Boundary, ...]:
    return tuple(Boundary(f, f) for f in frames)


def real_clips(media: Path) -> list[CutClip]:
    truth = json.loads((media / "scenes" / "scene_cuts.json").read_text(encoding="utf-8"))
    videos = truth["videos"]
    golden = videos["testvideo.mp4"]["golden_cuts"]["ContentDetector.default"]
    clips = [
        CutClip(
            "testvideo.mp4",
            media / "scenes" / "testvideo.mp4",
            Unit.FRAMES,
            (*cuts(*golden), Boundary(*TESTVIDEO_DISSOLVE)),
            FRAME_TOLERANCE,
        ),
        CutClip(
            "goldeneye-vfr-drop3.mp4",
            media / "scenes" / "goldeneye-vfr-drop3.mp4",
            Unit.SECONDS,
            cuts(*videos["goldeneye-vfr-drop3.mp4"]["cut_times_s"]),
            FRAME_TOLERANCE / GOLDENEYE_FPS,
        ),
        CutClip("fades.mp4", media / "scenes" / "fades.mp4", Unit.FRAMES, (), FRAME_TOLERANCE),
        CutClip("counter.mp4", media / "scenes" / "counter.mp4", Unit.FRAMES, (), FRAME_TOLERANCE),
    ]
    if (media / HAMILTON).is_file():
        identities = json.loads(
            (media / HAMILTON).parent.parent.joinpath("identities.json").read_text(encoding="utf-8")
        )
        observed = identities["videos"]["examples/short_hamilton_clip.mp4"]
        staged = observed["staging_observation_NOT_published"]["hard_cuts_at_frame"]
        clips.append(
            CutClip(
                "short_hamilton_clip.mp4",
                media / HAMILTON,
                Unit.FRAMES,
                cuts(*staged),
                FRAME_TOLERANCE,
            )
        )
    return clips


def generated_clips(folder: Path) -> list[CutClip]:
    clips = []
    for ground in Ground:
        show = write_slideshow(folder / f"slides_{ground.name.lower()}.mp4", ground, photos=12)
        clips.append(
            CutClip(show.path.name, show.path, Unit.FRAMES, cuts(*show.cut_frames), FRAME_TOLERANCE)
        )
    for frames, ground in ((30, Ground.FULL_FRAME), (72, Ground.GREY)):
        dissolve = write_dissolve(folder / f"dissolve_{frames}.mp4", ground, frames)
        span = (Boundary(dissolve.first, dissolve.last),)
        clips.append(CutClip(dissolve.path.name, dissolve.path, Unit.FRAMES, span, FRAME_TOLERANCE))
    pan = write_pan(folder / "fast_pan.mp4", pixels_per_frame=8)
    flashes = write_flashes(folder / "flashes.mp4")
    clips.append(CutClip(pan.name, pan, Unit.FRAMES, (), FRAME_TOLERANCE))
    clips.append(CutClip(flashes.name, flashes, Unit.FRAMES, (), FRAME_TOLERANCE))
    return clips
