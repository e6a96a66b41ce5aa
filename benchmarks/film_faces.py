"""The 2-hour-film benchmark's clip: benchmarks.film_plan's shots with real people in them.

Most shots show one of five people of ../shared/media (a photo of them pasted into the shot,
drifting across it, fading with it); their other photo is their reference. Grain in every
frame, H.264 at a film-like bitrate (10 Mbps at 1080p by default), a keyframe every 2 s,
cached under a name that holds the whole spec, with a JSON of its facts beside it.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt

from benchmarks.film_pictures import FrameCanvas, Plane, base_picture
from benchmarks.film_plan import ShotPlan, fade_level, plan_shots, shot_base_size
from handlers.image_measures import rgb_of_file

KNN = "faces/face_recognition/examples/knn_examples/train"
# (name, the photo shown in the film, the reference photo), relative to the media folder.
CAST = (
    ("Barack Obama", f"{KNN}/obama/obama2.jpg", f"{KNN}/obama/obama.jpg"),
    ("Joe Biden", f"{KNN}/biden/biden2.jpg", f"{KNN}/biden/biden.jpg"),
    ("Kit Harington", f"{KNN}/kit_harington/john2.jpeg", f"{KNN}/kit_harington/john1.jpeg"),
    ("Rose Leslie", f"{KNN}/rose_leslie/img2.jpg", f"{KNN}/rose_leslie/img1.jpg"),
    ("Alex Lacamoire", "faces/face_recognition/examples/alex-lacamoire.png",
     f"{KNN}/alex_lacamoire/img1.jpg"),
)  # fmt: skip
EMPTY_SHOTS = 0.2  # the share of shots with nobody in them
GENERATOR_VERSION = 1


@dataclass(frozen=True)
class FaceFilmSpec:
    width: int = 1920
    height: int = 1080
    seconds: float = 600.0
    fps: int = 24
    gop: int = 48  # 2 s between forced keyframes
    bitrate: int = 10_000_000
    preset: str = "superfast"
    seed: int = 20261129
    version: int = GENERATOR_VERSION

    @property
    def name(self) -> str:
        return (
            f"faces-{self.width}x{self.height}-{self.seconds:g}s-{self.fps}fps-g{self.gop}"
            f"-{self.bitrate // 1000}k-{self.preset}-s{self.seed}-v{self.version}.mp4"
        )


@dataclass(frozen=True)
class FaceFilm:
    path: Path
    spec: FaceFilmSpec
    shots: int
    shots_with_people: int
    megabits_per_second: float
    generated_seconds: float | None  # None: reused from the cache


@dataclass(frozen=True)
class Inset:
    """A photo in I420 planes, and where it starts and how it drifts in its shot."""

    y: Plane
    u: Plane
    v: Plane
    start: tuple[int, int]
    step: tuple[int, int]  # pixels per frame

    def at(self, index: int, width: int, height: int) -> tuple[int, int]:
        """Its (x, y) at a frame of the shot: even, and inside the frame."""
        h, w = self.y.shape
        x = min(max(0, self.start[0] + self.step[0] * index), width - w)
        y = min(max(0, self.start[1] + self.step[1] * index), height - h)
        return x - x % 2, y - y % 2


class Grain:
    """Film grain, new in every frame: what makes a film's bits cost what they do to decode
    (generated pictures are too smooth to fill 10 Mbps). A few planes of noise, cycled."""

    PLANES = 7
    STRENGTH = 2.5  # standard deviation, in luma levels

    def __init__(self, rng: np.random.Generator, width: int, height: int) -> None:
        self._up: list[Plane] = []
        self._down: list[Plane] = []
        for _ in range(self.PLANES):
            noise = rng.normal(0, self.STRENGTH, size=(height, width))
            self._up.append(np.clip(noise, 0, 255).astype(np.uint8))
            self._down.append(np.clip(-noise, 0, 255).astype(np.uint8))

    def add_to(self, luma: Plane, number: int) -> None:
        plane = number % self.PLANES
        cv2.add(luma, self._up[plane], dst=luma)
        cv2.subtract(luma, self._down[plane], dst=luma)


def ensure_film(spec: FaceFilmSpec, media: Path, work: Path) -> FaceFilm:
    path = work / spec.name
    facts_path = path.with_suffix(".json")
    if path.exists() and facts_path.exists():
        facts = json.loads(facts_path.read_text(encoding="utf-8"))
        if facts.get("spec") == dataclasses.asdict(spec):
            return FaceFilm(path, spec, facts["shots"], facts["with_people"], facts["mbps"], None)
    started = time.perf_counter()
    partial = path.with_name(path.name + ".part")
    shots, with_people = encode_film(partial, spec, media)
    partial.replace(path)  # only a finished clip ever carries the cached name
    mbps = path.stat().st_size * 8 / spec.seconds / 1e6
    facts = {"spec": dataclasses.asdict(spec), "shots": shots, "with_people": with_people}
    facts["mbps"] = mbps
    facts_path.write_text(json.dumps(facts, indent=2), encoding="utf-8")
    return FaceFilm(path, spec, shots, with_people, mbps, time.perf_counter() - started)


def encode_film(path: Path, spec: FaceFilmSpec, media: Path) -> tuple[int, int]:
    """Writes the film; returns (shots, shots with somebody in them)."""
    photos = [rgb_of_file(str(media / shown)) for _, shown, _ in CAST]
    rng = np.random.default_rng(spec.seed)
    canvas = FrameCanvas(spec.width, spec.height)
    grain = Grain(rng, spec.width, spec.height)
    shots = plan_shots(spec.seconds, spec.fps, spec.seed)
    with_people = 0
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=spec.fps, options=_rate_options(spec))
        stream.width, stream.height = spec.width, spec.height
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, spec.fps)
        number = 0
        for shot in shots:
            inset = _inset(rng, photos, spec)
            with_people += inset is not None
            size = shot_base_size(shot, spec.width, spec.height)
            base = base_picture(shot.picture, size, spec.width)
            for index in range(shot.frames):
                canvas.draw(base, shot, index)
                if inset is not None:
                    _paste(canvas, inset, shot, index)
                grain.add_to(canvas.y, number)
                frame = av.VideoFrame.from_ndarray(canvas.buffer, "yuv420p")
                frame.pts = number
                number += 1
                container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return len(shots), with_people


def _rate_options(spec: FaceFilmSpec) -> dict[str, str]:
    """The bitrate on average, and at most that over the buffer, as a streaming encode caps it:
    the bitrate is much of what decoding costs."""
    rate = str(spec.bitrate)
    return {
        "preset": spec.preset,
        "g": str(spec.gop),
        "b": rate,
        "minrate": rate,
        "maxrate": rate,
        "bufsize": str(spec.bitrate * 2),
    }


def _inset(
    rng: np.random.Generator, photos: list[npt.NDArray[np.uint8]], spec: FaceFilmSpec
) -> Inset | None:
    if rng.random() < EMPTY_SHOTS:
        return None
    photo = photos[int(rng.integers(len(photos)))]
    height = int(spec.height * rng.uniform(0.4, 0.7)) // 4 * 4  # I420: chroma rows in fours
    width = min(spec.width, round(photo.shape[1] * height / photo.shape[0])) // 2 * 2
    resized = cv2.resize(photo, (width, height), interpolation=cv2.INTER_AREA)
    i420 = np.asarray(cv2.cvtColor(resized, cv2.COLOR_RGB2YUV_I420), dtype=np.uint8)
    quarter = height // 4
    u = i420[height : height + quarter].reshape(height // 2, width // 2)
    v = i420[height + quarter :].reshape(height // 2, width // 2)
    start = (
        int(rng.integers(0, spec.width - width + 1)),
        int(rng.integers(0, spec.height - height + 1)),
    )
    scale = max(1, spec.width // 640)
    step = (int(rng.integers(-2, 3)) * scale, int(rng.integers(-1, 2)))
    return Inset(i420[:height], u, v, start, step)


def _paste(canvas: FrameCanvas, inset: Inset, shot: ShotPlan, index: int) -> None:
    width, height = canvas.size
    x, y = inset.at(index, width, height)
    level = fade_level(shot, index)
    for plane, part, black, (px, py) in (
        (canvas.y, inset.y, 16, (x, y)),
        (canvas.u, inset.u, 128, (x // 2, y // 2)),
        (canvas.v, inset.v, 128, (x // 2, y // 2)),
    ):
        ph, pw = part.shape
        if level < 1.0:
            faded = cv2.convertScaleAbs(part, alpha=level, beta=black * (1 - level))
            part = np.asarray(faded, dtype=np.uint8)
        plane[py : py + ph, px : px + pw] = part
