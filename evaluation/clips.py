"""The whole frame path (shots, frames, quality) on every real clip in ../shared/media.

    .venv/bin/python -m evaluation.clips [--media DIR]

Prints, per clip, the shots found, the frames chosen and kept, and why the others were
rejected. A clip passes when it goes through without an error and keeps at least one frame
(fades.mp4 and counter.mp4 hold only fades and flat pictures: nothing kept is right there).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from daemon.config import Config
from evaluation.stages import FrameStagesResult, run_frame_stages
from evaluation.table import media_folder, print_table
from handlers.quality import Verdict

CLIPS = (
    ("clips/vtest.avi", True),
    ("scenes/testvideo.mp4", True),
    ("scenes/goldeneye-vfr-drop3.mp4", True),
    ("scenes/fades.mp4", False),
    ("scenes/counter.mp4", False),
)


@dataclass(frozen=True)
class ClipRow:
    clip: str
    shots: str
    chosen: str
    kept: str
    rejected: str
    passed: bool
    fps: float


def evaluate(media: Path, clip: str, must_keep: bool) -> ClipRow:
    with tempfile.TemporaryDirectory(prefix="bunny-eval-") as library:
        started = time.perf_counter()
        try:
            result = run_frame_stages(media / clip, Path(library), Config())
        except Exception as exc:  # an error is a failed row, not the end of the table
            return ClipRow(clip, "-", "-", "-", f"error: {exc}", False, 0.0)
        fps = result.shots.stream_frames / (time.perf_counter() - started)
        kept_files = len(list((Path(library) / "movies" / "eval" / "frames").glob("*.jpg")))
    return _row(clip, result, kept_files, must_keep, fps)


def _row(clip: str, result: FrameStagesResult, files: int, must_keep: bool, fps: float) -> ClipRow:
    verdicts = Counter(frame.verdict for frame in result.quality.frames)
    kept = verdicts.pop(Verdict.KEPT, 0)
    moving = sum(1 for shot in result.shots.shots if shot.kind.value == "moving")
    return ClipRow(
        clip=clip,
        shots=f"{len(result.shots.shots)} ({moving} moving)",
        chosen=str(len(result.selection.chosen)),
        kept=f"{kept} ({files} files)",
        rejected=", ".join(f"{v.value} {n}" for v, n in sorted(verdicts.items())) or "none",
        passed=files == kept and (kept > 0 or not must_keep),
        fps=fps,
    )


def main(argv: list[str] | None = None) -> int:
    media = media_folder(argv, __doc__, "clips")
    if media is None:
        return 2
    rows = [evaluate(media, clip, must_keep) for clip, must_keep in CLIPS]
    header = ("clip", "shots", "chosen", "kept", "rejected", "result", "path fps")
    cells = [
        (
            r.clip,
            r.shots,
            r.chosen,
            r.kept,
            r.rejected,
            "pass" if r.passed else "FAIL",
            f"{r.fps:.0f}",
        )
        for r in rows
    ]
    print_table(header, cells)
    return 0 if all(row.passed for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
