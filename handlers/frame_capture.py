"""Keeping the few full-size pictures worth saving while the decode pass streams by.

Only the decode pass ever holds full-size pictures, so the candidates for the `frames`
stage are caught on the way: per shot, the sharpest frame near its start, middle and end;
or the sharpest frame of each fixed interval ("sharpest": with the most detail, see
image_measures.detail, so steady and fully lit). A shot's end is not known until the next cut,
so `ShotReservoir` keeps the sharpest frame of each of at most `BUCKETS` equal time spans,
halving the resolution when the shot outgrows them: memory stays bounded for any shot length.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from daemon.atomic import write_bytes_atomic
from handlers.decoding import luma
from handlers.frame_files import jpeg_bytes
from handlers.image_measures import measure, working_grey
from handlers.letterbox import CropBox

BUCKETS = 12
MAX_PENDING = 4
FIRST_BUCKET_SECONDS = 0.125
# Where, as shares of the shot, the start, middle and end windows lie.
WINDOWS = {"start": (0.0, 0.25), "middle": (0.375, 0.625), "end": (0.75, 1.0)}


class CandidateRole(enum.StrEnum):
    START = "start"
    MIDDLE = "middle"
    END = "end"
    INTERVAL = "interval"
    KEYFRAME = "keyframe"
    IMAGE = "image"  # a still image of an image batch: its one frame


STATIC_ROLES = frozenset({CandidateRole.MIDDLE})
MOVING_ROLES = frozenset({CandidateRole.START, CandidateRole.MIDDLE, CandidateRole.END})


def roles_for_shot(static: bool) -> frozenset[CandidateRole]:
    """A static shot gives its middle frame; a moving one its start, middle and end."""
    return STATIC_ROLES if static else MOVING_ROLES


@dataclass(frozen=True)
class Candidate:
    name: str  # file stem: the timestamp, h-mm-ss.mmm
    seconds: float
    shot: int
    role: CandidateRole
    sharpness: float
    brightness: float
    flat_fraction: float
    phash: int


@dataclass
class Held:
    seconds: float
    detail: float  # image_measures.detail: the frame of a shot with the most is taken
    frame: Any  # the decoded av.VideoFrame


def timestamp_name(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}-{minutes:02d}-{rest // 1000:02d}.{rest % 1000:03d}"


def timestamp_seconds(name: str) -> float:
    """The seconds a `timestamp_name` stands for."""
    hours, minutes, seconds = name.split("-")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


@dataclass
class ShotReservoir:
    start: float
    span: float = FIRST_BUCKET_SECONDS
    buckets: dict[int, Held] = field(default_factory=dict)

    def offer(self, held: Held) -> None:
        index = math.floor((held.seconds - self.start) / self.span)
        while index >= BUCKETS:
            self._halve()
            index = math.floor((held.seconds - self.start) / self.span)
        kept = self.buckets.get(index)
        if kept is None or held.detail > kept.detail:
            self.buckets[index] = held

    def split(self, at: float) -> ShotReservoir:
        """Hand the frames from `at` on to a new shot's reservoir (a cut found late)."""
        later = ShotReservoir(at)
        for index, held in list(self.buckets.items()):
            if held.seconds >= at:
                del self.buckets[index]
                later.offer(held)
        return later

    def picks(self, end: float) -> list[tuple[CandidateRole, Held]]:
        """The sharpest frame in each window, middle first; a frame is never picked twice."""
        held = sorted(self.buckets.values(), key=lambda h: h.seconds)
        if not held:
            return []
        length = max(end - self.start, 1e-6)
        chosen: list[tuple[CandidateRole, Held]] = []
        for role in (CandidateRole.MIDDLE, CandidateRole.START, CandidateRole.END):
            low, high = WINDOWS[role.value]
            free = [h for h in held if all(h is not c for _, c in chosen)]
            inside = [h for h in free if low <= (h.seconds - self.start) / length <= high]
            if inside:
                chosen.append((role, max(inside, key=lambda h: h.detail)))
            elif free:
                centre = self.start + length * (low + high) / 2
                chosen.append((role, min(free, key=lambda h: abs(h.seconds - centre))))
        return chosen

    def _halve(self) -> None:
        merged: dict[int, Held] = {}
        for index, held in self.buckets.items():
            kept = merged.get(index // 2)
            if kept is None or held.detail > kept.detail:
                merged[index // 2] = held
        self.buckets = merged
        self.span *= 2


@dataclass
class IntervalReservoir:
    """The sharpest frame of each `seconds`-long interval, handed over as the interval ends."""

    seconds: float
    current: int | None = None
    best: Held | None = None

    def offer(self, held: Held) -> Held | None:
        index = math.floor(held.seconds / self.seconds)
        finished = None
        if index != self.current:
            finished, self.current, self.best = self.best, index, None
        if self.best is None or held.detail > self.best.detail:
            self.best = held
        return finished

    def flush(self) -> Held | None:
        finished, self.best = self.best, None
        return finished


class CandidateWriter:
    """Writes picked frames, cropped, as JPEG into a work folder and measures them.

    The encoding runs on one worker thread (OpenCV and swscale release the GIL), so it
    overlaps the decoding instead of adding to it; at most MAX_PENDING frames wait, which
    keeps memory bounded when the disk is slower than the decoder.
    """

    def __init__(self, folder: Path, crop: CropBox, jpeg_quality: int) -> None:
        self.folder = folder
        self.crop = crop
        self.jpeg_quality = jpeg_quality
        self.written: list[Candidate] = []
        self._names: set[str] = set()
        self._pending: deque[Future[Candidate]] = deque()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="candidates")

    def __enter__(self) -> CandidateWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def write(self, held: Held, role: CandidateRole, shot: int) -> None:
        name = timestamp_name(held.seconds)
        if name in self._names:
            return  # two frames within the same millisecond: one file is enough
        self._names.add(name)
        self._pending.append(self._pool.submit(self._encode, held, role, shot, name))
        while len(self._pending) > MAX_PENDING:
            self.written.append(self._pending.popleft().result())

    def finish(self) -> list[Candidate]:
        """Every candidate, once all are on disk; raises the first error of any write."""
        while self._pending:
            self.written.append(self._pending.popleft().result())
        return self.written

    def _encode(self, held: Held, role: CandidateRole, shot: int, name: str) -> Candidate:
        measures = measure(working_grey(crop_of(luma(held.frame), self.crop)))
        picture = crop_of(held.frame.to_ndarray(format="bgr24"), self.crop)
        data = jpeg_bytes(picture, self.jpeg_quality, f"the frame at {held.seconds:.3f} s")
        write_bytes_atomic(self.folder / f"{name}.jpg", data, durable=False)
        return Candidate(
            name=name,
            seconds=round(held.seconds, 4),
            shot=shot,
            role=role,
            sharpness=measures.sharpness,
            brightness=measures.brightness,
            flat_fraction=measures.flat_fraction,
            phash=measures.phash,
        )


def crop_of(picture: Any, crop: CropBox) -> Any:
    return picture[crop.top : crop.top + crop.height, crop.left : crop.left + crop.width]
