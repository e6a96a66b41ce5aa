"""Shot detection on the real clips in ../shared/media, against their published ground truth.

    .venv/bin/python -m evaluation.scenes [--media DIR]

Prints one row per clip (expected, found, pass/fail, decode speed) and exits non-zero if
any check fails.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from evaluation.table import media_folder, print_table
from handlers.base import MovieJob, StageContext
from handlers.shots import ShotList, ShotsHandler

FRAME_TOLERANCE = 1
SECONDS_TOLERANCE = 0.05
# testvideo.mp4 dissolves from its third shot into its fourth over frames 529-558 (each
# frame changes 1.2-2.7 luma levels from the last there, under 0.1 either side). The
# published cuts come from a hard-cut detector and leave it out; one boundary inside it is right.
TESTVIDEO_DISSOLVE = (529, 558)


@dataclass(frozen=True)
class Check:
    clip: str  # relative to the media folder
    expected: str
    judge: Callable[[ShotList], bool]
    found: Callable[[ShotList], str]


@dataclass(frozen=True)
class Row:
    clip: str
    expected: str
    found: str
    passed: bool
    fps: float


def _matches(found: Sequence[float], expected: Sequence[float], tolerance: float) -> bool:
    return len(found) == len(expected) and all(
        abs(f - e) <= tolerance for f, e in zip(found, expected, strict=True)
    )


def cuts_at_frames(expected: list[int]) -> Callable[[ShotList], bool]:
    return lambda result: _matches(result.cut_frames, expected, FRAME_TOLERANCE)


def cuts_and_a_dissolve(expected: list[int], span: tuple[int, int]) -> Callable[[ShotList], bool]:
    def judge(result: ShotList) -> bool:
        inside = [f for f in result.cut_frames if span[0] <= f <= span[1]]
        hard = [f for f in result.cut_frames if f not in inside]
        return len(inside) == 1 and _matches(hard, expected, FRAME_TOLERANCE)

    return judge


def cuts_at_seconds(expected: list[float]) -> Callable[[ShotList], bool]:
    return lambda result: _matches(result.cut_seconds, expected, SECONDS_TOLERANCE)


def show_frames(result: ShotList) -> str:
    return "frames " + (", ".join(map(str, result.cut_frames)) or "none")


def show_seconds(result: ShotList) -> str:
    return "s " + (", ".join(f"{s:.3f}" for s in result.cut_seconds) or "none")


def checks(media: Path) -> list[Check]:
    truth = json.loads((media / "scenes" / "scene_cuts.json").read_text(encoding="utf-8"))
    videos = truth["videos"]

    def golden(name: str) -> list[int]:
        return list(videos[name]["golden_cuts"]["ContentDetector.default"])

    testvideo = golden("testvideo.mp4")
    first, last = TESTVIDEO_DISSOLVE
    vfr = list(videos["goldeneye-vfr-drop3.mp4"]["cut_times_s"])
    return [
        Check(
            "scenes/testvideo.mp4",
            f"frames {', '.join(map(str, testvideo))}, one in {first}-{last}",
            cuts_and_a_dissolve(testvideo, TESTVIDEO_DISSOLVE),
            show_frames,
        ),
        Check(
            "scenes/goldeneye-vfr-drop3.mp4",
            "s " + ", ".join(f"{s:.3f}" for s in vfr),
            cuts_at_seconds(vfr),
            show_seconds,
        ),
        Check("scenes/fades.mp4", "no cuts", cuts_at_frames(golden("fades.mp4")), show_frames),
        Check("scenes/counter.mp4", "no cuts", cuts_at_frames(golden("counter.mp4")), show_frames),
        Check("clips/vtest.avi", "no error", lambda r: r.frames_decoded > 0, show_frames),
    ]


def detect(path: Path) -> tuple[ShotList, float]:
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    # The pass writes frame candidates: into a scratch library, never beside the media.
    with tempfile.TemporaryDirectory(prefix="bunny-eval-") as library:
        job = MovieJob("eval", path, Path(library), (), context)
        started = time.perf_counter()
        result = ShotsHandler().run(job)
        return result, result.stream_frames / (time.perf_counter() - started)


def evaluate(check: Check, media: Path) -> Row:
    try:
        result, fps = detect(media / check.clip)
    except Exception as exc:  # an error is a failed row, not the end of the table
        return Row(check.clip, check.expected, f"error: {exc}", False, 0.0)
    return Row(check.clip, check.expected, check.found(result), check.judge(result), fps)


def print_rows(rows: list[Row]) -> None:
    header = ("clip", "expected", "found", "result", "decode fps")
    print_table(
        header,
        [
            (r.clip, r.expected, r.found, "pass" if r.passed else "FAIL", f"{r.fps:.0f}")
            for r in rows
        ],
    )


def main(argv: list[str] | None = None) -> int:
    media = media_folder(argv, __doc__, "scenes")
    if media is None:
        return 2
    rows = [evaluate(check, media) for check in checks(media)]
    print_rows(rows)
    return 0 if all(row.passed for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
