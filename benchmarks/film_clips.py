"""The benchmark's film-like H.264 clips, generated once into a work folder and reused.

A clip is cached under a name that holds its whole spec, with a JSON of its facts beside it;
only a finished clip ever carries that name.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from benchmarks.film_pictures import FrameCanvas, base_picture
from benchmarks.film_plan import ShotPlan, plan_shots, shot_base_size

# Bump when the generator changes, so clips cached by an older one are not reused.
GENERATOR_VERSION = 4
SEED = 20240611
FPS = 24
GOP = 48  # 2 s between forced keyframes, as streaming and broadcast encodes use


@dataclass(frozen=True)
class ClipSpec:
    width: int
    height: int
    seconds: float
    preset: str
    fps: int = FPS
    gop: int = GOP
    seed: int = SEED
    version: int = GENERATOR_VERSION

    @property
    def name(self) -> str:
        return (
            f"film-{self.width}x{self.height}-{self.seconds:g}s-{self.fps}fps-g{self.gop}"
            f"-{self.preset}-s{self.seed}-v{self.version}.mp4"
        )


@dataclass(frozen=True)
class Clip:
    path: Path
    spec: ClipSpec
    shots: int
    fades: int
    repeats: int
    keyframes: int  # in the file: every GOP's, plus those the encoder put at cuts
    generated_seconds: float | None  # None: reused from the cache

    @property
    def label(self) -> str:
        return f"{self.spec.width}x{self.spec.height}"


def ensure_clip(spec: ClipSpec, work: Path) -> Clip:
    return cached_clip(spec, work) or generate_clip(spec, work)


def cached_clip(spec: ClipSpec, work: Path) -> Clip | None:
    path = work / spec.name
    facts_path = path.with_suffix(".json")
    if not (path.exists() and facts_path.exists()):
        return None
    facts = json.loads(facts_path.read_text(encoding="utf-8"))
    if facts.get("spec") != dataclasses.asdict(spec):
        return None
    plan = (facts["shots"], facts["fades"], facts["repeats"])
    return Clip(path, spec, *plan, keyframes=keyframe_count(path), generated_seconds=None)


def generate_clip(spec: ClipSpec, work: Path) -> Clip:
    path = work / spec.name
    started = time.perf_counter()
    shots = plan_shots(spec.seconds, spec.fps, spec.seed)
    partial = path.with_name(path.name + ".part")
    encode_clip(partial, spec, shots)
    partial.replace(path)  # only a finished clip ever carries the cached name
    clip = Clip(
        path,
        spec,
        shots=len(shots),
        fades=sum(s.fade_out for s in shots),
        repeats=sum(s.repeat for s in shots),
        keyframes=keyframe_count(path),
        generated_seconds=time.perf_counter() - started,
    )
    facts = {"spec": dataclasses.asdict(spec), "shots": clip.shots, "fades": clip.fades}
    facts["repeats"] = clip.repeats
    path.with_suffix(".json").write_text(json.dumps(facts, indent=2), encoding="utf-8")
    return clip


def encode_clip(path: Path, spec: ClipSpec, shots: Sequence[ShotPlan]) -> None:
    canvas = FrameCanvas(spec.width, spec.height)
    options = {"preset": spec.preset, "crf": "23", "g": str(spec.gop)}
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=spec.fps, options=options)
        stream.width, stream.height = spec.width, spec.height
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, spec.fps)
        number = 0
        for shot in shots:
            base_size = shot_base_size(shot, spec.width, spec.height)
            base = base_picture(shot.picture, base_size, spec.width)
            for index in range(shot.frames):
                frame = av.VideoFrame.from_ndarray(canvas.draw(base, shot, index), "yuv420p")
                frame.pts = number
                number += 1
                container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def keyframe_count(path: Path) -> int:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sum(1 for p in container.demux(stream) if p.size and p.is_keyframe)
