"""The offline caption: built from what the pipeline already knows about a frame.

It needs no model and no network, so it always works: the chain's last resort and the
default. A caption reads like a tagger's: the trigger word, the class word, then the shot
size (from the face's height in the frame), who else is there (the faces found in the
frame), where the face is, the light (the frame's mean brightness) and the setting's colour
(measured over the whole scene, so the frames of one scene share it).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from daemon.clients.caption_client import CaptionRequest

# Face height over frame height at which a shot is a close-up, or at least a medium shot.
CLOSE_UP_FACE_SHARE = 0.30
MEDIUM_FACE_SHARE = 0.12
# Mean luma (0-255) bounds of the light words.
DARK_BELOW, DIM_BELOW, BRIGHT_ABOVE = 50.0, 90.0, 170.0
# Mean saturation (0-1) under which colours read as muted.
MUTED_BELOW = 0.18
COLOURFUL_ABOVE = 0.45


class ShotSize(enum.StrEnum):
    CLOSE_UP = "close-up"
    MEDIUM = "medium shot"
    WIDE = "wide shot"


@dataclass(frozen=True)
class CaptionFacts:
    """What is known of one dataset image; every provider gets it, the template uses it."""

    name: str
    trigger: str
    class_word: str
    shot_size: ShotSize
    people: int  # faces found in the frame, the character's included
    position: str  # "on the left", "in the centre", "on the right"
    light: str  # "dark", "dim", "" (ordinary) or "bright"
    setting: str  # the scene's colour: "warm-toned", "cool-toned", "muted", ...
    scene: int | None  # the scene's number within the movie, when scenes are known

    def context(self) -> str:
        """The facts as a sentence for a vision model's prompt."""
        others = {1: "alone in the frame", 2: "with one other person"}.get(
            self.people, f"with {self.people - 1} other people"
        )
        light = f"{self.light} light" if self.light else "ordinary light"
        scene = f" It is from scene {self.scene} of its movie." if self.scene else ""
        return (
            f"Known: a {self.shot_size.value}, {self.name} {others}, {self.position}, "
            f"{light}, a {self.setting} setting.{scene}"
        )


def shot_size_of(face_height: int, frame_height: int) -> ShotSize:
    share = face_height / max(frame_height, 1)
    if share >= CLOSE_UP_FACE_SHARE:
        return ShotSize.CLOSE_UP
    return ShotSize.MEDIUM if share >= MEDIUM_FACE_SHARE else ShotSize.WIDE


def position_of(face_centre_x: float, frame_width: int) -> str:
    share = face_centre_x / max(frame_width, 1)
    if share < 1 / 3:
        return "on the left"
    return "in the centre" if share <= 2 / 3 else "on the right"


def light_of(brightness: float) -> str:
    if brightness < DARK_BELOW:
        return "dark"
    if brightness < DIM_BELOW:
        return "dim"
    return "bright" if brightness > BRIGHT_ABOVE else ""


def setting_of(pictures: list[npt.NDArray[np.uint8]]) -> str:
    """The colour of a scene from its frames (BGR, as read_frame gives them)."""
    red = blue = saturation = 0.0
    for picture in pictures:
        small = picture[::8, ::8].astype(np.float32) / 255.0
        blue += float(small[..., 0].mean())
        red += float(small[..., 2].mean())
        high, low = small.max(axis=2), small.min(axis=2)
        saturation += float(((high - low) / np.maximum(high, 1e-6)).mean())
    count = max(len(pictures), 1)
    red, blue, saturation = red / count, blue / count, saturation / count
    if saturation < MUTED_BELOW:
        return "muted"
    if red - blue > 0.06:
        return "warm-toned"
    if blue - red > 0.06:
        return "cool-toned"
    return "colourful" if saturation > COLOURFUL_ABOVE else "neutral-toned"


class TemplateProvider:
    """Never fails and never waits: the offline default at the end of every chain."""

    def __init__(self) -> None:
        self.name = "template"

    def caption(self, _request: CaptionRequest, facts: CaptionFacts) -> str:
        company = {1: "solo", 2: "with another person"}.get(facts.people, "in a group")
        light = f"{facts.light} lighting" if facts.light else ""
        parts = [
            facts.trigger,
            f"a {facts.class_word}",
            facts.shot_size.value,
            company,
            facts.position,
            light,
            f"{facts.setting} setting",
        ]
        return ", ".join(part for part in parts if part)
