"""The frame stages on a film's first minutes, reference frames only beside every frame.

    .venv/bin/python -m benchmarks.reference_frames --film FILE [--seconds 150] [--rounds 3]
        [--work DIR]

The film's first --seconds are copied (packets, no re-encoding) into --work once, then
`shots` + `frames` + `quality` run on them with `shots.decode: reference` (the default) and
`every`, beside plain decoding of every frame, in alternating rounds. Printed: CPU seconds
(all threads; what other processes on the machine do not inflate) and wall seconds, frames
decoded, and the cuts each found, side by side. It prints figures; it never judges them.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

import av

from benchmarks.frame_path import PathRun, PlainRun, plain_decode, run_path
from benchmarks.printed_tables import heading, table
from benchmarks.rounds import Spread, alternating, ratios, rounds_argument
from daemon.config import Config, ShotsConfig

DEFAULT_WORK = Path(tempfile.gettempdir()) / "diffusion-bunny-bench-reference"
SCOPES = ("reference", "every")


def film_start(film: Path, seconds: float, work: Path) -> Path:
    """The film's first `seconds`, its video packets copied as they are; made once."""
    target = work / f"{film.stem}-first{seconds:g}s{film.suffix}"
    if target.exists():
        return target
    partial = target.with_name("partial-" + target.name)
    with av.open(str(film)) as source, av.open(str(partial), mode="w") as copy:
        video = source.streams.video[0]
        stream = copy.add_stream_from_template(video)
        for packet in source.demux(video):
            if packet.dts is None:
                continue
            if packet.pts is not None and float(packet.pts * video.time_base) >= seconds:
                break
            packet.stream = stream
            copy.mux(packet)
    partial.rename(target)
    return target


def measure(clip: Path, work: Path, rounds: int) -> tuple[list[PlainRun], dict[str, list[PathRun]]]:
    plains: list[PlainRun] = []
    runs: dict[str, list[PathRun]] = {scope: [] for scope in SCOPES}

    def plain() -> float:
        plains.append(plain_decode(clip))
        return plains[-1].seconds

    def path(scope: str) -> float:
        config = dataclasses.replace(Config(), shots=ShotsConfig(decode=scope))  # type: ignore[arg-type]
        runs[scope].append(run_path(clip, work, config))
        return runs[scope][-1].seconds

    alternating(rounds, [plain, lambda: path("reference"), lambda: path("every")])
    return plains, runs


def report(clip: Path, plains: list[PlainRun], runs: dict[str, list[PathRun]]) -> None:
    frames = plains[-1].frames
    heading(f"{clip.name}: {frames} frames, {len(plains)} rounds, median (min-max)")
    rows = [["plain decoding", frames, Spread.of([r.cpu_seconds for r in plains]).text(1)]]
    rows[0] += [Spread.of([r.seconds for r in plains]).text(1), "-", "-"]
    for scope, scope_runs in runs.items():
        last = scope_runs[-1].shots
        rows.append(
            [
                f"shots + frames + quality, decode {scope}",
                last.frames_decoded,
                Spread.of([r.cpu_seconds for r in scope_runs]).text(1),
                Spread.of([r.seconds for r in scope_runs]).text(1),
                Spread.of(
                    ratios([r.cpu_seconds for r in scope_runs], [p.cpu_seconds for p in plains])
                ).text(2),
                len(last.shots),
            ]
        )
    table(["", "decoded", "cpu s", "wall s", "cpu / plain's", "shots"], rows)
    reference, every = (runs[scope][-1].shots for scope in SCOPES)
    print(f"cuts, reference: {', '.join(map(str, reference.cut_frames))}")
    print(f"cuts, every:     {', '.join(map(str, every.cut_frames))}")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--film", type=Path, required=True, help="the film to take the start of")
    parser.add_argument("--seconds", type=float, default=150.0, help="how much of its start")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="where the copy is kept")
    rounds_argument(parser, default=3)
    return parser.parse_args()


def main() -> None:
    args = arguments()
    work: Path = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    clip = film_start(args.film, args.seconds, work)
    plains, runs = measure(clip, work, args.rounds)
    report(clip, plains, runs)


if __name__ == "__main__":
    main()
