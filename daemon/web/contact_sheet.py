"""A movie's kept frames as the contact sheet shows them: each frame's thumbnail with its
faces boxed and labelled. Boxes are in the frame's pixels, drawn by an SVG whose viewBox is
the frame's size laid over the thumbnail (the CSP forbids style attributes, so no percent
offsets in `style`)."""

from __future__ import annotations

from dataclasses import dataclass

from daemon.reports.movie_frames import KeptFrame
from daemon.reports.movie_pages import FrameSize
from daemon.repository import FaceInFrame

UNKNOWN = "unknown"
LABEL_PER_WIDTH = 18  # a label's height is the frame's width / this: readable on a thumbnail
MIN_LABEL = 8
GLYPH_WIDTH = 0.6  # a sans-serif letter's mean width per unit of height, about


@dataclass(frozen=True)
class FaceMark:
    label: str  # the character's name, the unknown face's cluster, or "unknown"
    named: bool
    x: int
    y: int
    width: int
    height: int
    label_x: int
    label_y: int  # the label's baseline: above the box, or inside it at the frame's top
    label_anchor: str  # SVG text-anchor: "start" at the box's left, "end" at its right


@dataclass(frozen=True)
class SheetTile:
    name: str  # the frame's timestamp
    seconds: float
    shot: int
    scene: int | None
    file: str | None  # relative to the library
    faces: tuple[FaceMark, ...]

    @property
    def labels(self) -> str:
        return ", ".join(face.label for face in self.faces)


@dataclass(frozen=True)
class ContactSheet:
    size: FrameSize | None  # None: no boxes can be placed
    label_size: int  # in the frame's pixels
    tiles: tuple[SheetTile, ...]


def contact_sheet(frames: tuple[KeptFrame, ...], size: FrameSize | None) -> ContactSheet:
    label_size = max(MIN_LABEL, size.width // LABEL_PER_WIDTH) if size else MIN_LABEL
    width = size.width if size else 0
    tiles = tuple(_tile(kept, label_size, width) for kept in frames)
    return ContactSheet(size, label_size, tiles)


def face_label(face: FaceInFrame) -> str:
    if face.character is not None:
        return face.character
    return f"cluster {face.cluster}" if face.cluster else UNKNOWN


def _tile(kept: KeptFrame, label_size: int, frame_width: int) -> SheetTile:
    frame = kept.frame
    faces = tuple(_mark(face, label_size, frame_width) for face in kept.faces)
    return SheetTile(frame.name, frame.seconds, frame.shot, kept.scene, frame.file, faces)


def _mark(face: FaceInFrame, label_size: int, frame_width: int) -> FaceMark:
    box = face.box
    label = face_label(face)
    above = box.top - label_size // 4
    # A label that would run off the frame's right edge ends at the box's right instead.
    runs_off = box.left + len(label) * label_size * GLYPH_WIDTH > frame_width
    return FaceMark(
        label=label,
        named=face.character is not None,
        x=box.left,
        y=box.top,
        width=box.right - box.left,
        height=box.bottom - box.top,
        label_x=box.right if runs_off else box.left,
        label_y=above if above >= label_size else box.top + label_size,
        label_anchor="end" if runs_off else "start",
    )
