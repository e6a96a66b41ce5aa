"""How long a 2-hour film takes through the full default path, from a 10-minute 1080p one.

    .venv/bin/python -m benchmarks.film [--minutes 10] [--media DIR] [--work DIR]
        [--decode reference|every]

The clip (benchmarks/film_faces.py): 1920x1080, 24 fps, 10 Mbps, a keyframe every 2 s,
film_plan's shots (static, panning, zooming, fades, repeats) with grain and real people
pasted in from ../shared/media; generated once into --work (minutes: it says how long) and
reused. A real daemon (`bunny run --once`, a fresh process) first takes the five people's
reference photos, then the clip, through every default stage: probe, shots, frames,
quality, faces, scenes, dataset, captions; captions from the template (the default) and
scenes from the built-in descriptor (scenes.model names no folder, the daemon's own
fallback). Printed: each stage's seconds (the daemon's record) and CPU seconds (all its
processes; Linux), their total, each extrapolated to a 2-hour film, beside the target and the
figures before; plain PyAV decoding of the same file is timed in the same run, just before.
It prints figures; it never judges them. Without the media it stops and says so.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.film_faces import CAST, FaceFilm, FaceFilmSpec, ensure_film
from benchmarks.frame_path import PlainRun, plain_decode
from benchmarks.printed_tables import heading, table
from benchmarks.process_cpu import StageCpu, children_cpu_seconds
from daemon.config import PipelineConfig
from evaluation.daemon_once import (
    MovieSummary,
    drop_movie,
    drop_references,
    finish,
    only_movie,
    rejected_files,
    run_once,
    start_once,
    write_config,
)
from evaluation.table import DEFAULT_MEDIA

DEFAULT_WORK = Path(tempfile.gettempdir()) / "diffusion-bunny-bench-film"
FILM_SECONDS = 2 * 3600
TARGET_MINUTES = 15.0
# Issue 16's extrapolation before this work: (path part, minutes for a 2-hour film).
BEFORE = (("frames path", "14-15"), ("faces", "6-7"), ("total", "21-22"))
FRAMES_PATH = ("probe", "shots", "frames", "quality")
CORES = 2  # the target's machine
NO_CLIP_MODEL = "./no-clip-model"  # no such folder: the scenes stage uses its descriptor


@dataclass(frozen=True)
class FilmRun:
    summary: MovieSummary
    stage_cpu: dict[str, float]
    wall_seconds: float  # the daemon's whole run: start, intake (hashing), stages, exit
    cpu_seconds: float | None  # None where the system does not say


def run_film(film: FaceFilm, media: Path, root: Path, decode: str = "reference") -> FilmRun:
    write_config(
        root,
        PipelineConfig().stages,
        shots={"decode": decode},  # reference: the default
        scenes={"model": NO_CLIP_MODEL},
        captions={"providers": ["template"]},
    )
    drop_references(root, [(name, media / reference) for name, _, reference in CAST])
    run_once(root)
    rejected = rejected_files(root)
    if rejected:
        raise RuntimeError(f"references rejected: {rejected}")
    drop_movie(root, film.path)
    before = children_cpu_seconds()
    started = time.perf_counter()
    process = start_once(root)
    with StageCpu(process.pid, root / "library" / "logs" / "bunny.log") as stage_cpu:
        finish(process)
    wall = time.perf_counter() - started
    after = children_cpu_seconds()
    cpu = None if before is None or after is None else after - before
    summary = only_movie(root)
    unfinished = summary.unfinished(PipelineConfig().stages)
    if unfinished:
        raise RuntimeError(f"stages not done: {unfinished}")
    return FilmRun(summary, stage_cpu.seconds(), wall, cpu)


def film_section(film: FaceFilm) -> None:
    heading("Clip (H.264, yuv420p, generated once into the work folder)")
    made = "cached" if film.generated_seconds is None else f"{film.generated_seconds:.0f}"
    size = f"{film.spec.width}x{film.spec.height}"
    headers = ["clip", "size", "seconds", "shots", "with people", "Mbps", "generated s"]
    row = [film.path.name, size, f"{film.spec.seconds:g}", film.shots, film.shots_with_people]
    table(headers, [[*row, f"{film.megabits_per_second:.1f}", made]])


@dataclass(frozen=True)
class Line:
    label: str
    seconds: float
    cpu_seconds: float | None
    note: str = ""


def path_lines(run: FilmRun, plain: PlainRun) -> list[Line]:
    stages = dict(run.summary.stage_seconds())
    cpu = run.stage_cpu
    lines = [Line(name, seconds, cpu.get(name)) for name, seconds in stages.items()]
    before = dict(BEFORE)
    for label, names, note in (
        ("frames path", FRAMES_PATH, f"before: {before['frames path']}"),
        ("faces", ("faces",), f"before: {before['faces']}"),
        ("all stages", tuple(stages), f"target <= {TARGET_MINUTES:g}; before: {before['total']}"),
    ):
        spent = [cpu.get(name) for name in names if name in stages]
        known = None if None in spent or not spent else sum(c for c in spent if c is not None)
        lines.append(Line(label, sum(stages.get(n, 0.0) for n in names), known, note))
    fps = plain.frames / plain.seconds
    return [
        *lines,
        Line("daemon run", run.wall_seconds, run.cpu_seconds, "start, intake (sha256), stages"),
        Line("plain decoding", plain.seconds, plain.cpu_seconds, f"{fps:.0f} fps, just before"),
    ]


def path_section(film: FaceFilm, run: FilmRun, plain: PlainRun) -> None:
    scale = FILM_SECONDS / film.spec.seconds
    heading(f"Full default path, one daemon run; x{scale:g} extrapolates to a 2-hour film")
    rows = [
        [
            line.label,
            f"{line.seconds:.1f}",
            _shown(line.cpu_seconds, 1),
            f"{line.seconds * scale / 60:.1f}",
            _shown(None if line.cpu_seconds is None else line.cpu_seconds * scale / 60 / CORES),
            line.note,
        ]
        for line in path_lines(run, plain)
    ]
    headers = ["", "seconds", "cpu s", "2-hour min", f"cpu/{CORES} cores min", ""]
    table(headers, rows)
    print(
        "seconds: wall time (the daemon's record of each stage); cpu s: CPU seconds of the\n"
        "daemon and its processes, all threads: the work itself, which other processes on the\n"
        f"machine barely move. cpu/{CORES} cores min: the 2-hour film's CPU time spread evenly "
        f"over {CORES} cores,\nwhat its wall time would be on {CORES} idle cores kept busy."
    )


def _shown(value: float | None, decimals: int = 1) -> str:
    return "-" if value is None else f"{value:.{decimals}f}"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the clip")
    parser.add_argument("--media", type=Path, default=DEFAULT_MEDIA, help="../shared/media")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="where clips are cached")
    parser.add_argument(
        "--decode",
        choices=("reference", "every"),
        default="reference",
        help="shots.decode for the daemon's run (reference: the default)",
    )
    return parser.parse_args()


def main() -> int:
    args = arguments()
    media: Path = args.media
    if not all((media / reference).is_file() for _, _, reference in CAST):
        print(
            f"benchmarks.film: the cast's photos are not in {media}; the clip is made of them.\n"
            "Pass --media DIR, the project's shared media folder.",
            file=sys.stderr,
        )
        return 2
    started = time.perf_counter()
    work: Path = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    spec = FaceFilmSpec(seconds=args.minutes * 60)
    print(f"clip: {work / spec.name} (generating when not cached)", flush=True)
    film = ensure_film(spec, media, work)
    film_section(film)
    plain = plain_decode(film.path)
    with tempfile.TemporaryDirectory(prefix="bunny-film-", dir=work) as root:
        run = run_film(film, media, Path(root), args.decode)
    path_section(film, run, plain)
    print(f"\ntotal wall time: {time.perf_counter() - started:.0f} s")
    print(f"command: {shlex.join(['.venv/bin/python', '-m', 'benchmarks.film', *sys.argv[1:]])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
