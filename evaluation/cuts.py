"""Both shot detectors side by side on the same clips: F1 of their boundaries and speed.

    .venv/bin/python -m evaluation.cuts [--media DIR]

A found boundary counts when it lies within 2 frames of a hard cut, or inside a dissolve
(2 frames either side); each true boundary is matched once. The speed is frames/s of the
whole `shots` stage (decoding, the detector, sharpness, candidate frames), the two detectors
timed one after the other on each clip, in alternating order; frames are the clip's, though
`content` decodes only its reference frames (`shots.decode`) and `transnetv2` every frame.

The rule for the default (`shots.detector`): the detector with the higher F1 over all these
clips; within 0.02 of each other, the faster one. Figures of 29 November 2026, 2 CPU cores
shared with other work (load average 10 during the run), torch's default of 2 threads:

| detector | F1, 44 boundaries in 12 clips | hit / extra / missed | stage frames/s |
|---|---|---|---|
| content (ours) | 1.00 | 44 / 0 / 0 | 264, 139 |
| transnetv2, threshold 0.5 | 0.67 | 28 / 12 / 16 | 8, 5 |

(two runs, the same hits; the machine's load moved the speeds, not their ratio of ~30).

TransNetV2 finds every cut of the full-frame slideshow, goldeneye and the Hamilton clip, but
misses cuts between photos centred on a uniform ground (it found 7 of 11 on black, 2 of 11
on grey), gives no boundary in either generated dissolve, marks each fade of fades.mp4 and two
frames of counter.mp4 as transitions, and adds four inside testvideo.mp4's shots. So the
default is `content`. Other thresholds do not close the gap (F1 over the same clips, the
network's verdicts computed once): 0.3 gives 0.73, 0.4 0.68, 0.5 0.67, 0.6 0.62, 0.7 0.61,
0.8 0.53; the published 0.5 is kept rather than one fitted to these clips. The network alone
judged 37 frames/s on one thread and 82 on two when the machine was quieter; it is most of
the stage's cost whatever the load.

On a GPU (none was lent to this work) the network's cost per frame would fall far below
decoding's and the stage would run near our detector's speed; its accuracy would not change,
so the default would not either. The model goes to the GPU whenever torch sees one.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from daemon.config import ShotsConfig
from evaluation.cut_clips import CutClip, Unit, generated_clips, real_clips
from evaluation.table import media_folder, print_table
from handlers.base import MovieJob, StageContext
from handlers.shots import ShotList, ShotsHandler

Detector = Literal["content", "transnetv2"]
DETECTORS: tuple[Detector, ...] = ("content", "transnetv2")


@dataclass(frozen=True)
class Score:
    found: tuple[float, ...]
    hits: int
    extra: int
    missed: int
    frames: int
    seconds: float

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0


def matched(clip: CutClip, found: tuple[float, ...]) -> int:
    """How many true boundaries a found one falls on, each counted once."""
    free = list(clip.boundaries)
    hits = 0
    for value in found:
        for boundary in free:
            if boundary.first - clip.tolerance <= value <= boundary.last + clip.tolerance:
                free.remove(boundary)
                hits += 1
                break
    return hits


def f1(hits: int, extra: int, missed: int) -> float | None:
    judged = 2 * hits + extra + missed
    return 2 * hits / judged if judged else None


def score(clip: CutClip, handler: ShotsHandler) -> Score:
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    with tempfile.TemporaryDirectory(prefix="bunny-eval-") as library:
        job = MovieJob("eval", clip.path, Path(library), (), context)
        started = time.perf_counter()
        result = handler.run(job)
        seconds = time.perf_counter() - started
    found = _found(result, clip.unit)
    hits = matched(clip, found)
    extra, missed = len(found) - hits, len(clip.boundaries) - hits
    return Score(found, hits, extra, missed, result.stream_frames, seconds)


def _found(result: ShotList, unit: Unit) -> tuple[float, ...]:
    if unit is Unit.SECONDS:
        return tuple(round(s, 3) for s in result.cut_seconds)
    return tuple(float(f) for f in result.cut_frames)


def scores(
    clips: list[CutClip], handlers: dict[Detector, ShotsHandler]
) -> list[dict[Detector, Score]]:
    rows = []
    for number, clip in enumerate(clips):
        order = DETECTORS if number % 2 == 0 else DETECTORS[::-1]
        row = {name: score(clip, handlers[name]) for name in order}
        rows.append(row)
        print(f"  {clip.name}: done", file=sys.stderr, flush=True)
    return rows


def shown(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def print_scores(clips: list[CutClip], rows: list[dict[Detector, Score]]) -> None:
    header = ["clip", "expected"]
    for name in DETECTORS:
        header += [f"{name} found", "F1", "fps"]
    cells = []
    for clip, row in zip(clips, rows, strict=True):
        line = [f"{clip.name} ({clip.unit.value})", clip.shown()]
        for name in DETECTORS:
            s = row[name]
            found = ", ".join(f"{v:g}" for v in s.found) or "none"
            line += [found, shown(f1(s.hits, s.extra, s.missed)), f"{s.fps:.0f}"]
        cells.append(line)
    total = ["all clips", f"{sum(len(c.boundaries) for c in clips)} boundaries"]
    for name in DETECTORS:
        hits = sum(r[name].hits for r in rows)
        extra = sum(r[name].extra for r in rows)
        missed = sum(r[name].missed for r in rows)
        frames = sum(r[name].frames for r in rows)
        seconds = sum(r[name].seconds for r in rows)
        total += [
            f"{hits} hit, {extra} extra, {missed} missed",
            shown(f1(hits, extra, missed)),
            f"{frames / seconds:.0f}",
        ]
    cells.append(total)
    print_table(header, cells)


def main(argv: list[str] | None = None) -> int:
    media = media_folder(argv, __doc__, "scenes")
    if media is None:
        return 2
    handlers = {name: ShotsHandler(ShotsConfig(detector=name)) for name in DETECTORS}
    started = time.perf_counter()
    for handler in handlers.values():
        handler.prepare()
    print(f"TransNetV2 weights loaded in {time.perf_counter() - started:.1f} s", flush=True)
    with tempfile.TemporaryDirectory(prefix="bunny-cuts-") as folder:
        clips = real_clips(media) + generated_clips(Path(folder))
        rows = scores(clips, handlers)
    print_scores(clips, rows)
    ours = [row["content"] for row in rows]
    return 0 if all(s.extra == 0 and s.missed == 0 for s in ours) else 1


if __name__ == "__main__":
    sys.exit(main())
