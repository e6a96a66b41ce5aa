"""How fast the frame stages run beside plain PyAV decoding, and whether their memory stays flat.

    .venv/bin/python -m benchmarks.frames [--seconds 120] [--long-seconds 600] [--work DIR]
        [--sizes 1280x720,1920x1080]

Film-like H.264 clips are generated once into --work and reused: shots of 2-8 s, each a smooth
textured picture, static, panning or zooming, with fades to black and shots that come back
(near-duplicates). Per size it prints plain decoding beside the daemon's own `shots` + `frames` +
`quality` handlers (probe runs first, untimed, as the pipeline would have run it), the same in
`keyframes` mode, and the peak resident memory of the whole path for a 1-minute clip beside a
long one, each in a fresh process. It prints figures; it never judges them.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import importlib
import json
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
import cv2
import numpy as np
import numpy.typing as npt

from daemon.config import Config
from evaluation.stages import frame_stages_only
from handlers.base import MovieJob, StageContext
from handlers.frames import FrameSelection
from handlers.near_duplicates import NearDuplicateIndex
from handlers.quality import QualityReport, Verdict
from handlers.registry import StageServices, build_handlers
from handlers.shots import ShotList

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WORK = Path(tempfile.gettempdir()) / "diffusion-bunny-bench-frames"
# Bump when the generator changes, so clips cached by an older one are not reused.
GENERATOR_VERSION = 4
SEED = 20240611
FPS = 24
GOP = 48  # 2 s between forced keyframes, as streaming and broadcast encodes use
# superfast keeps what makes decoding cost what it does in real encodes (CABAC, B-frames,
# deblocking) and generates quickly.
PRESET = "superfast"
# The long memory clip is generated at the cheapest preset; its 1-minute partner matches it.
MEMORY_PRESET = "ultrafast"
MEMORY_SHORT_SECONDS = 60.0
ROUNDS = 2
TARGET_RATIO = 0.8
TARGET_REALTIME = 100.0
TARGET_MEMORY_GROWTH = 1.10
FADE_FRAMES = 18
FADE_EVERY = 10  # shot numbers 6, 16, 26... fade out to black into the next one
REPEAT_EVERY = 7  # shot numbers 4, 11, 18... repeat the shot two before them
MOVIE_KEY = "bench"
# Linux carries the spawning process's peak RSS over exec into the child's ru_maxrss, so the
# measured children are started by a bare interpreter rather than by this much larger process.
LAUNCHER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"

Plane = npt.NDArray[np.uint8]
Motion = Literal["static", "pan", "zoom"]


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
class ShotPlan:
    frames: int
    travel: int  # frames of panning the base picture is sized for: a repeat keeps the original's
    picture: int  # seed of the base picture; a repeated shot reuses an earlier one's
    motion: Motion
    step: tuple[int, int]  # pan: pixels per frame (x, y)
    zoom: float  # zoom: the window's scale at the shot's end (below 1 zooms in)
    fade_in: bool
    fade_out: bool
    repeat: bool


@dataclass(frozen=True)
class Picture:
    y: Plane
    u: Plane
    v: Plane


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


@dataclass(frozen=True)
class PathRun:
    seconds: float
    shots: ShotList
    selection: FrameSelection
    quality: QualityReport


# Planning and drawing the film.


def plan_shots(seconds: float, fps: int, seed: int) -> list[ShotPlan]:
    """Shots of 2-8 s until the clip is full; the same seed gives the same film's start."""
    rng = np.random.default_rng(seed)
    total = round(seconds * fps)
    shots: list[ShotPlan] = []
    used = 0
    while used < total:
        number = len(shots)
        frames = min(total - used, int(rng.integers(2 * fps, 8 * fps + 1)))
        fade_in = bool(shots) and shots[-1].fade_out
        fade_out = number % FADE_EVERY == FADE_EVERY - 4
        if number % REPEAT_EVERY == REPEAT_EVERY - 3:
            earlier = shots[number - 2]
            frames = min(frames, earlier.travel)  # a pan must not run off the same picture
            shots.append(
                dataclasses.replace(
                    earlier, frames=frames, fade_in=fade_in, fade_out=fade_out, repeat=True
                )
            )
        else:
            shots.append(_new_shot(rng, frames, seed * 1000 + number, fade_in, fade_out))
        used += frames
    return shots


def _new_shot(
    rng: np.random.Generator, frames: int, picture: int, fade_in: bool, fade_out: bool
) -> ShotPlan:
    motion: Motion = ("static", "pan", "zoom")[int(rng.choice(3, p=[0.4, 0.4, 0.2]))]
    sign = 1 if rng.random() < 0.5 else -1
    step = (sign * int(rng.integers(1, 4)), int(rng.integers(-1, 2)))
    zoom = float(rng.uniform(0.75, 0.9)) if rng.random() < 0.6 else float(rng.uniform(1.1, 1.3))
    return ShotPlan(frames, frames, picture, motion, step, zoom, fade_in, fade_out, repeat=False)


def _smooth(
    rng: np.random.Generator, size: tuple[int, int], cell: int, low: float, high: float
) -> npt.NDArray[np.float32]:
    """Random values on a coarse grid, upscaled smoothly: blobs, the layout of a real picture."""
    width, height = size
    grid = rng.uniform(low, high, size=(max(2, height // cell), max(2, width // cell)))
    smooth = cv2.resize(grid.astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC)
    return smooth.astype(np.float32, copy=False)


def base_picture(seed: int, size: tuple[int, int], frame_width: int) -> Picture:
    """Large blobs, finer texture and grain; feature sizes follow the frame, not the base."""
    rng = np.random.default_rng(seed)
    width, height = size
    luma = (
        _smooth(rng, size, frame_width // 8, 30, 210)
        + _smooth(rng, size, frame_width // 64, -16, 16)
        + rng.normal(0, 0.5, size=(height, width)).astype(np.float32)
    )
    half = (width // 2, height // 2)
    chroma = [_smooth(rng, half, frame_width // 16, 104, 152) for _ in range(2)]
    y, u, v = (np.clip(p, 16, 235).astype(np.uint8) for p in (luma, *chroma))
    return Picture(y, u, v)


def shot_base_size(shot: ShotPlan, width: int, height: int) -> tuple[int, int]:
    if shot.motion != "pan":
        return width, height
    travel_x, travel_y = (abs(s) * _scale(width) * (shot.travel - 1) for s in shot.step)
    return width + _even(travel_x), height + _even(travel_y)


def _scale(width: int) -> int:
    return max(1, round(width / 1280))


def _even(value: float) -> int:
    return int(value) + int(value) % 2


def window(shot: ShotPlan, index: int, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The (x, y, width, height) of the base picture that frame `index` shows; all even."""
    width, height = size
    progress = index / max(1, shot.frames - 1)
    if shot.motion == "pan":
        base_w, base_h = shot_base_size(shot, width, height)
        dx, dy = (s * _scale(width) * index for s in shot.step)
        x = dx if shot.step[0] >= 0 else base_w - width + dx
        y = dy if shot.step[1] >= 0 else base_h - height + dy
        return x - x % 2, y - y % 2, width, height
    if shot.motion == "zoom":
        # Zooming out shows the base shrink from a tighter start: scales stay within it.
        scale = 1 + (min(shot.zoom, 1 / shot.zoom) - 1) * (
            progress if shot.zoom < 1 else 1 - progress
        )
        w, h = _even(width * scale), _even(height * scale)
        return _even((width - w) / 2), _even((height - h) / 2), w, h
    return 0, 0, width, height


def fade_level(shot: ShotPlan, index: int) -> float:
    level = 1.0
    if shot.fade_in and index < FADE_FRAMES:
        level = index / FADE_FRAMES
    if shot.fade_out and index >= shot.frames - FADE_FRAMES:
        level = min(level, (shot.frames - 1 - index) / FADE_FRAMES)
    return level


class FrameCanvas:
    """One reused yuv420p buffer; each frame is cropped or resized from the shot's base."""

    def __init__(self, width: int, height: int) -> None:
        self.size = (width, height)
        self.buffer = np.empty((height * 3 // 2, width), np.uint8)
        quarter = height // 4
        self.y = self.buffer[:height]
        self.u = self.buffer[height : height + quarter].reshape(height // 2, width // 2)
        self.v = self.buffer[height + quarter :].reshape(height // 2, width // 2)

    def draw(self, base: Picture, shot: ShotPlan, index: int) -> Plane:
        x, y, w, h = window(shot, index, self.size)
        self._fill(self.y, base.y[y : y + h, x : x + w])
        self._fill(self.u, base.u[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2])
        self._fill(self.v, base.v[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2])
        level = fade_level(shot, index)
        if level < 1.0:
            for plane, black in ((self.y, 16), (self.u, 128), (self.v, 128)):
                plane[...] = cv2.convertScaleAbs(plane, alpha=level, beta=black * (1 - level))
        return self.buffer

    @staticmethod
    def _fill(target: Plane, source: Plane) -> None:
        if source.shape == target.shape:
            np.copyto(target, source)
        else:
            size = (target.shape[1], target.shape[0])
            target[...] = cv2.resize(source, size, interpolation=cv2.INTER_LINEAR)


# The clips, generated once.


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


# What is timed.


def plain_decode(path: Path) -> tuple[float, int]:
    started = time.perf_counter()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        frames = sum(1 for _ in container.decode(stream))
    return time.perf_counter() - started, frames


@functools.cache
def shared_index(distance: int) -> NearDuplicateIndex:
    """One index for every run, as the daemon keeps one for its life.

    A fresh index's tables are touched page by page as hashes arrive (~1 ms per hash while
    new, with transparent huge pages); a running daemon paid that once, long ago. Every run
    uses the same movie key, so each run's quality stage first discards the previous run's
    hashes and never meets them as duplicates.
    """
    return NearDuplicateIndex(distance)


def run_path(path: Path, work: Path, config: Config) -> PathRun:
    """Probe untimed, then the timed rest, each handler given the results before it."""
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    services = StageServices(shared_index(config.quality.duplicate_distance))
    probe, *timed = build_handlers(frame_stages_only(config), services)
    library = Path(tempfile.mkdtemp(prefix="library-", dir=work))
    try:
        earlier: list[object] = [probe.run(MovieJob(MOVIE_KEY, path, library, (), context))]
        started = time.perf_counter()
        for handler in timed:
            job = MovieJob(MOVIE_KEY, path, library, tuple(earlier), context)
            earlier.append(handler.run(job))
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(library, ignore_errors=True)
    done = MovieJob(MOVIE_KEY, path, library, tuple(earlier), context)
    return PathRun(
        seconds, done.result(ShotList), done.result(FrameSelection), done.result(QualityReport)
    )


def keyframes_config(config: Config) -> Config:
    return dataclasses.replace(config, frames=dataclasses.replace(config.frames, mode="keyframes"))


def best_of(rounds: int, runs: Sequence[Callable[[], float]]) -> list[float]:
    """Each run's best time over `rounds`, the runs alternating so drift hits them alike."""
    best = [float("inf")] * len(runs)
    for _ in range(rounds):
        for position, run in enumerate(runs):
            best[position] = min(best[position], run())
    return best


# Memory, each figure from a fresh process.


def peak_rss_kib() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KiB elsewhere


def measure_rss(clip: str) -> None:
    """The body of a `--measure-rss` child: the whole path once, then its peak."""
    if clip == "imports":
        importlib.import_module("scipy.fftpack")  # imagehash imports it late: count it here
    else:
        with tempfile.TemporaryDirectory() as work:
            run = run_path(Path(clip), Path(work), Config())
            print(f"frames_decoded {run.shots.frames_decoded}")
    print(f"peak_rss_kib {peak_rss_kib()}")


def child_peak_mib(target: str) -> tuple[float, float]:
    """The child's peak RSS in MiB and its wall seconds."""
    command = [sys.executable, "-m", "benchmarks.frames", "--measure-rss", target]
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    for line in result.stdout.splitlines():
        if line.startswith("peak_rss_kib "):
            return int(line.split()[1]) / 1024, seconds
    raise RuntimeError(f"{shlex.join(command)} failed:\n{result.stdout}{result.stderr}")


# Printing.


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [list(headers), *([_cell(value) for value in row] for row in rows)]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]
    for number, row in enumerate(cells):
        first = row[0].ljust(widths[0])
        print("  ".join([first, *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True))]))
        if number == 0:
            print("  ".join("-" * width for width in widths))


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    return str(value)


def rejections(report: QualityReport) -> str:
    counts = Counter(f.verdict.value for f in report.frames if f.verdict is not Verdict.KEPT)
    return ", ".join(f"{verdict} {count}" for verdict, count in sorted(counts.items())) or "-"


def heading(text: str) -> None:
    print(f"\n== {text} ==")


# The sections.


def clips_section(specs: Sequence[ClipSpec], work: Path) -> list[Clip]:
    heading("Clips (H.264, yuv420p, generated once into the work folder)")
    clips = []
    for spec in specs:
        clip = cached_clip(spec, work)
        if clip is None:
            print(f"  generating {spec.name} ...", flush=True)
            clip = generate_clip(spec, work)
        clips.append(clip)
    rows = [
        [
            c.path.name,
            c.spec.preset,
            f"{c.spec.seconds:g}",
            round(c.spec.seconds * c.spec.fps),
            c.shots,
            c.fades,
            c.repeats,
            c.keyframes,
            c.path.stat().st_size / 2**20,
            "cached" if c.generated_seconds is None else f"{c.generated_seconds:.1f}",
        ]
        for c in clips
    ]
    headers = ["clip", "preset", "seconds", "frames", "shots", "fades", "repeats"]
    table([*headers, "keyframes", "MiB", "generated s"], rows)
    return clips


def warm_up(work: Path) -> None:
    """One run of each mode on a tiny clip, so one-off imports and caches are not timed."""
    tiny = ensure_clip(ClipSpec(320, 180, 6.0, PRESET), work)
    for config in (Config(), keyframes_config(Config())):
        run_path(tiny.path, work, config)
    plain_decode(tiny.path)


def speed_section(clips: Sequence[Clip], work: Path) -> None:
    heading(f"Full path (shots + frames + quality) beside plain PyAV decoding, best of {ROUNDS}")
    rows = []
    for clip in clips:
        runs: list[PathRun] = []
        frames: list[int] = []

        def plain(clip: Clip = clip, frames: list[int] = frames) -> float:
            seconds, count = plain_decode(clip.path)
            frames.append(count)
            return seconds

        def ours(clip: Clip = clip, runs: list[PathRun] = runs) -> float:
            runs.append(run_path(clip.path, work, Config()))
            return runs[-1].seconds

        plain_s, ours_s = best_of(ROUNDS, [plain, ours])
        last = runs[-1]
        plain_fps, ours_fps = frames[-1] / plain_s, last.shots.frames_decoded / ours_s
        rows.append(
            [
                clip.label,
                frames[-1],
                plain_s,
                plain_fps,
                ours_s,
                ours_fps,
                ours_fps / plain_fps,
                (1 / ours_fps - 1 / plain_fps) * 1000,
                len(last.shots.shots),
                len(last.shots.candidates),
                len(last.selection.chosen),
                last.quality.kept,
                rejections(last.quality),
            ]
        )
    headers = ["size", "frames", "plain s", "plain fps", "ours s", "ours fps", "ours/plain"]
    table([*headers, "extra ms/frame", "shots", "candidates", "chosen", "kept", "rejected"], rows)
    print(f"target: ours/plain >= {TARGET_RATIO}")


def keyframes_section(clips: Sequence[Clip], work: Path) -> None:
    heading(f"keyframes mode (shots + frames + quality), best of {ROUNDS}")
    config = keyframes_config(Config())
    rows = []
    for clip in clips:
        runs: list[PathRun] = []

        def ours(clip: Clip = clip, runs: list[PathRun] = runs) -> float:
            runs.append(run_path(clip.path, work, config))
            return runs[-1].seconds

        (seconds,) = best_of(ROUNDS, [ours])
        last = runs[-1]
        rows.append(
            [
                clip.label,
                f"{clip.spec.seconds:g}",
                clip.keyframes,
                last.shots.frames_decoded,
                seconds,
                clip.spec.seconds / seconds,
                len(last.shots.candidates),
                last.quality.kept,
                rejections(last.quality),
            ]
        )
    headers = ["size", "clip s", "keyframes", "decoded", "seconds", "x real time"]
    table([*headers, "candidates", "kept", "rejected"], rows)
    print(f"target: >= {TARGET_REALTIME:g}x real time")


def memory_section(short: Clip, long: Clip) -> None:
    heading("Peak resident memory of the full path (probe + shots + frames + quality)")
    print("each in a fresh process: python -m benchmarks.frames --measure-rss CLIP", flush=True)
    baseline, baseline_s = child_peak_mib("imports")
    rows: list[list[object]] = [["imports only", "-", baseline, 0.0, baseline_s]]
    peaks = []
    for clip in (short, long):
        peak, seconds = child_peak_mib(str(clip.path))
        peaks.append(peak)
        name = f"{clip.spec.seconds:g} s {clip.label} {clip.spec.preset}"
        rows.append([name, f"{clip.spec.seconds:g}", peak, peak - baseline, seconds])
    table(["run", "clip s", "peak RSS MiB", "over imports MiB", "child wall s"], rows)
    growth = peaks[1] / peaks[0]
    print(f"long / short peak: {growth:.3f} (target <= {TARGET_MEMORY_GROWTH:.2f})")


def parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for item in text.split(","):
        width, _, height = item.strip().lower().partition("x")
        sizes.append((int(width), int(height)))
    return sizes


def command_line(args: argparse.Namespace) -> str:
    python = Path(sys.executable)
    shown = python.relative_to(ROOT) if python.is_relative_to(ROOT) else python
    sizes = ",".join(f"{w}x{h}" for w, h in parse_sizes(args.sizes))
    options = ["--seconds", f"{args.seconds:g}", "--long-seconds", f"{args.long_seconds:g}"]
    options += ["--work", str(args.work), "--sizes", sizes]
    return shlex.join([str(shown), "-m", "benchmarks.frames", *options])


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="length of the speed clips")
    parser.add_argument("--long-seconds", type=float, default=600.0, help="the long memory clip")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="where clips are cached")
    parser.add_argument("--sizes", default="1280x720,1920x1080", help="speed clip sizes, WxH,...")
    parser.add_argument("--measure-rss", metavar="CLIP", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = arguments()
    if args.measure_rss:
        measure_rss(args.measure_rss)
        return
    started = time.perf_counter()
    work: Path = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    sizes = parse_sizes(args.sizes)
    speed_specs = [ClipSpec(w, h, args.seconds, PRESET) for w, h in sizes]
    memory_specs = [
        ClipSpec(1280, 720, seconds, MEMORY_PRESET)
        for seconds in (MEMORY_SHORT_SECONDS, args.long_seconds)
    ]
    clips = clips_section([*speed_specs, *memory_specs], work)
    warm_up(work)
    speed_section(clips[: len(speed_specs)], work)
    keyframes_section(clips[: len(speed_specs)], work)
    memory_section(*clips[len(speed_specs) :])
    print(f"\ntotal wall time: {time.perf_counter() - started:.0f} s")
    print(f"command: {command_line(args)}")


if __name__ == "__main__":
    main()
