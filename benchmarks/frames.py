"""How fast the frame stages run beside plain PyAV decoding, and whether their memory stays flat.

    .venv/bin/python -m benchmarks.frames [--seconds 120] [--long-seconds 600] [--work DIR]
        [--sizes 1280x720,1920x1080] [--rounds 7]

Film-like H.264 clips are generated once into --work and reused (benchmarks/film_clips.py):
shots of 2-8 s, each a smooth textured picture, static, panning or zooming, with fades to black
and shots that come back (near-duplicates). Per size it times plain decoding and the daemon's
own `shots` + `frames` + `quality` handlers (probe runs first, untimed, as the pipeline would
have run it) in alternating rounds and prints the median of the per-round ratio with its range;
then the same in `keyframes` mode, and the peak resident memory of the whole path for a
1-minute clip beside a long one, each in a fresh process. It prints figures; it never judges
them.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.film_clips import Clip, ClipSpec, cached_clip, ensure_clip, generate_clip
from benchmarks.frame_path import (
    PathRun,
    PlainRun,
    keyframes_config,
    plain_decode,
    run_path,
)
from benchmarks.peak_memory import memory_section
from benchmarks.printed_tables import heading, rejections, table
from benchmarks.rounds import Spread, alternating, ratios, rounds_argument
from daemon.config import Config, ShotsConfig

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WORK = Path(tempfile.gettempdir()) / "diffusion-bunny-bench-frames"
# superfast keeps what makes decoding cost what it does in real encodes (CABAC, B-frames,
# deblocking) and generates quickly.
PRESET = "superfast"
# The long memory clip is generated at the cheapest preset; its 1-minute partner matches it.
MEMORY_PRESET = "ultrafast"
MEMORY_SHORT_SECONDS = 60.0
TARGET_RATIO = 0.8
TARGET_REALTIME = 100.0


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


def speed_section(clips: Sequence[Clip], work: Path, rounds: int) -> None:
    heading(
        f"Full path (shots + frames + quality) beside plain PyAV decoding: {rounds} rounds, "
        "alternating; median (min-max) over the rounds"
    )
    rows = []
    per_round_lines = []
    for clip in clips:
        plains, paths, everys = _alternate_plain_and_ours(clip, work, rounds)
        frames = plains[-1].frames  # the clip's: plain decoding decodes every one
        plain_fps = [run.frames / run.seconds for run in plains]
        # Frames of the movie per second, whether the decoder skipped some or not.
        ours_fps = [frames / run.seconds for run in paths]
        every_fps = [frames / run.seconds for run in everys]
        ratio = ratios(ours_fps, plain_fps)
        # CPU seconds per frame, all threads: the work itself, whatever else the machine runs.
        plain_cpu = [run.cpu_seconds / run.frames for run in plains]
        ours_cpu = [run.cpu_seconds / frames for run in paths]
        every_cpu = [run.cpu_seconds / frames for run in everys]
        extra_ms = [(1 / o - 1 / p) * 1000 for o, p in zip(ours_fps, plain_fps, strict=True)]
        last = paths[-1]
        rows.append(
            [
                clip.label,
                frames,
                Spread.of(plain_fps).text(0),
                Spread.of(ours_fps).text(0),
                Spread.of(ratio).text(2),
                Spread.of(ratios(plain_cpu, ours_cpu)).text(2),
                last.shots.frames_decoded,
                Spread.of(ratios(every_fps, plain_fps)).text(2),
                Spread.of(ratios(plain_cpu, every_cpu)).text(2),
                f"{statistics.median(extra_ms):.2f}",
                len(last.shots.shots),
                len(last.shots.candidates),
                len(last.selection.chosen),
                last.quality.kept,
                rejections(last.quality),
            ]
        )
        shown = ", ".join(f"{value:.2f}" for value in ratio)
        per_round_lines.append(f"  {clip.label}: {shown}")
    headers = ["size", "frames", "plain fps", "ours fps", "ours/plain", "cpu plain/ours"]
    headers += ["decoded", "every/plain", "cpu plain/every", "extra ms/frame"]
    table([*headers, "shots", "candidates", "chosen", "kept", "rejected"], rows)
    print("ours/plain, round by round:")
    print("\n".join(per_round_lines))
    print(f"target: ours/plain >= {TARGET_RATIO} (the median)")
    print(
        "ours: the default path, which decodes the reference frames only (decoded: how many);\n"
        "every: the same path with shots.decode: every. fps: the clip's frames per second"
    )
    print(
        "cpu plain/ours: CPU seconds per frame of plain decoding over ours (all threads): the "
        "same ratio\nmeasured in work done, which other processes on the machine do not move"
    )


def _alternate_plain_and_ours(
    clip: Clip, work: Path, rounds: int
) -> tuple[list[PlainRun], list[PathRun], list[PathRun]]:
    plains: list[PlainRun] = []
    paths: list[PathRun] = []
    everys: list[PathRun] = []
    every_frame = dataclasses.replace(Config(), shots=ShotsConfig(decode="every"))

    def plain() -> float:
        plains.append(plain_decode(clip.path))
        return plains[-1].seconds

    def ours() -> float:
        paths.append(run_path(clip.path, work, Config()))
        return paths[-1].seconds

    def every() -> float:
        everys.append(run_path(clip.path, work, every_frame))
        return everys[-1].seconds

    alternating(rounds, [plain, ours, every])
    return plains, paths, everys


def keyframes_section(clips: Sequence[Clip], work: Path, rounds: int) -> None:
    heading(f"keyframes mode (shots + frames + quality): {rounds} rounds, median (min-max)")
    config = keyframes_config(Config())
    rows = []
    for clip in clips:
        runs: list[PathRun] = []

        def ours(clip: Clip = clip, runs: list[PathRun] = runs) -> float:
            runs.append(run_path(clip.path, work, config))
            return runs[-1].seconds

        (seconds,) = alternating(rounds, [ours])
        last = runs[-1]
        rows.append(
            [
                clip.label,
                f"{clip.spec.seconds:g}",
                clip.keyframes,
                last.shots.frames_decoded,
                Spread.of(seconds).text(2),
                Spread.of([clip.spec.seconds / s for s in seconds]).text(0),
                len(last.shots.candidates),
                last.quality.kept,
                rejections(last.quality),
            ]
        )
    headers = ["size", "clip s", "keyframes", "decoded", "seconds", "x real time"]
    table([*headers, "candidates", "kept", "rejected"], rows)
    print(f"target: >= {TARGET_REALTIME:g}x real time (the median)")


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
    options += ["--work", str(args.work), "--sizes", sizes, "--rounds", str(args.rounds)]
    return shlex.join([str(shown), "-m", "benchmarks.frames", *options])


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="length of the speed clips")
    parser.add_argument("--long-seconds", type=float, default=600.0, help="the long memory clip")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="where clips are cached")
    parser.add_argument("--sizes", default="1280x720,1920x1080", help="speed clip sizes, WxH,...")
    rounds_argument(parser)
    return parser.parse_args()


def main() -> None:
    args = arguments()
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
    speed_section(clips[: len(speed_specs)], work, args.rounds)
    keyframes_section(clips[: len(speed_specs)], work, args.rounds)
    memory_section(*clips[len(speed_specs) :])
    print(f"\ntotal wall time: {time.perf_counter() - started:.0f} s")
    print(f"command: {command_line(args)}")


if __name__ == "__main__":
    main()
