"""`quality`: judge the chosen frames, file the good ones, and say why each other one went.

A frame is rejected when it is too dark or too bright, nearly uniform (a black frame, a
title card), blurred compared with the movie's own sharpness (an animated film and a grainy
documentary differ far more than any one threshold allows), or a near-duplicate of a frame
already kept in this movie or any earlier one. Of the distinct frames left, no minute keeps
more than `frames.max_per_minute` (see minute_cap), so duplicates never take the places of
different pictures. Kept frames move from the candidates folder to `frames/<timestamp>.jpg`;
the candidates folder is then removed.
"""

from __future__ import annotations

import dataclasses
import enum
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from daemon.config import FramesConfig, QualityConfig
from handlers.base import MovieJob
from handlers.frame_capture import Candidate, timestamp_name
from handlers.frames import FrameSelection
from handlers.minute_cap import MinuteCap, by_minute, minute_of
from handlers.near_duplicates import IndexedFrame, NearDuplicateIndex
from handlers.shots import CANDIDATES_FOLDER, ShotList

FRAMES_FOLDER = "frames"


class Verdict(enum.StrEnum):
    KEPT = "kept"
    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"
    UNIFORM = "uniform"
    BLURRED = "blurred"
    DUPLICATE = "duplicate"
    OVER_LIMIT = "over_limit"


@dataclass(frozen=True)
class JudgedFrame:
    name: str
    seconds: float
    shot: int
    role: str
    file: str | None  # relative to the movie folder, for kept frames
    sharpness: float
    relative_sharpness: float  # sharpness / the movie's median sharpness
    brightness: float
    flat_fraction: float
    phash: str  # 16 hex digits
    verdict: Verdict
    reason: str | None
    duplicate_of: str | None  # "<movie>/<timestamp>" of the frame this one repeats


@dataclass(frozen=True)
class QualityReport:
    frames: tuple[JudgedFrame, ...]
    kept: int
    rejected: int


class QualityHandler:
    name: ClassVar[str] = "quality"
    result_type: ClassVar[type] = QualityReport

    def __init__(
        self,
        config: QualityConfig | None = None,
        index: NearDuplicateIndex | None = None,
        cap: MinuteCap | None = None,
    ) -> None:
        self.config = config or QualityConfig()
        self.cap = cap or MinuteCap(FramesConfig().max_per_minute)
        # Shared by every movie for the life of the daemon, loaded from the database at start.
        # `is None`, not `or`: an empty index is falsy, and the shared one must be used.
        self.index = (
            index if index is not None else NearDuplicateIndex(self.config.duplicate_distance)
        )

    def run(self, job: MovieJob) -> QualityReport:
        # A re-run replaces this movie's frames, so its earlier entries must not match them;
        # a run that fails leaves none behind for other movies to match.
        self.index.discard_movie(job.movie_key)
        try:
            return self._judge_all(job)
        except BaseException:
            self.index.discard_movie(job.movie_key)
            raise

    def _judge_all(self, job: MovieJob) -> QualityReport:
        chosen = job.result(FrameSelection).chosen
        median = job.result(ShotList).sharpness.median or 1.0
        judged: list[JudgedFrame] = []
        for group, cap in self._groups(job, chosen):
            judged.extend(self._judge_minute(job.movie_key, group, median, cap))
            job.context.progress(0.8 * len(judged) / max(1, len(chosen)))
        judged.sort(key=lambda frame: frame.seconds)
        kept = [j for j in judged if j.verdict is Verdict.KEPT]
        self._file(job.movie_dir, kept)
        return QualityReport(tuple(judged), len(kept), len(judged) - len(kept))

    def _groups(
        self, job: MovieJob, chosen: tuple[Candidate, ...]
    ) -> list[tuple[tuple[Candidate, ...], MinuteCap | None]]:
        """A movie's frames minute by minute, in time order, each minute under the cap. An
        image batch's images at once, sharpest first, so of near-duplicate images (the same
        photo defocused and sharp, or at 240p and 1080p) the sharpest is the one kept; their
        one second apart is only a convention, so no minute cap."""
        if job.is_images:
            return [(tuple(sorted(chosen, key=lambda c: (-c.sharpness, c.seconds))), None)]
        return [(minute, self.cap) for minute in by_minute(chosen)]

    def _judge_minute(
        self, movie: str, minute: tuple[Candidate, ...], median: float, cap: MinuteCap | None
    ) -> list[JudgedFrame]:
        """One minute's frames: faults and duplicates first, then the limit on what is left."""
        judged = []
        for candidate in minute:
            verdict, reason, twin = self._judge(candidate, median)
            if verdict is Verdict.KEPT:
                # Indexed at once, so a repeat later in this minute is found as a duplicate.
                self.index.add(candidate.phash, IndexedFrame(movie, candidate.seconds))
            judged.append(_judged(candidate, median, verdict, reason, twin))
        distinct = [c for c, j in zip(minute, judged, strict=True) if j.verdict is Verdict.KEPT]
        if cap is None:
            return judged
        left_out = cap.left_out(distinct)
        if not left_out:
            return judged
        reason = cap.reason(len(distinct), minute_of(minute[0]))
        for candidate in distinct:
            if candidate.name in left_out:
                self.index.discard_frame(IndexedFrame(movie, candidate.seconds))
        return [
            dataclasses.replace(j, verdict=Verdict.OVER_LIMIT, reason=reason, file=None)
            if j.name in left_out
            else j
            for j in judged
        ]

    def _judge(self, candidate: Candidate, median: float) -> tuple[Verdict, str | None, str | None]:
        rejection = self._picture_fault(candidate, median)
        if rejection is not None:
            return rejection[0], rejection[1], None
        match = self.index.nearest(candidate.phash)
        if match is not None:
            twin = f"{match.frame.movie}/{timestamp_name(match.frame.seconds)}"
            return Verdict.DUPLICATE, f"near-duplicate of {twin} (distance {match.distance})", twin
        return Verdict.KEPT, None, None

    def _picture_fault(self, candidate: Candidate, median: float) -> tuple[Verdict, str] | None:
        config, luma = self.config, candidate.brightness
        relative = candidate.sharpness / median
        faults = (
            (luma < config.min_brightness, Verdict.TOO_DARK, f"mean luma {luma:.0f} is too dark"),
            (
                luma > config.max_brightness,
                Verdict.TOO_BRIGHT,
                f"mean luma {luma:.0f} is too bright",
            ),
            (
                candidate.flat_fraction > config.max_flat_fraction,
                Verdict.UNIFORM,
                f"{candidate.flat_fraction:.0%} of the picture is one flat tone",
            ),
            (
                relative < config.min_relative_sharpness,
                Verdict.BLURRED,
                f"sharpness is {relative:.2f} of the median of its movie or image batch",
            ),
        )
        return next(((verdict, why) for failed, verdict, why in faults if failed), None)

    def _file(self, movie_dir: Path, kept: list[JudgedFrame]) -> None:
        candidates, frames = movie_dir / CANDIDATES_FOLDER, movie_dir / FRAMES_FOLDER
        frames.mkdir(parents=True, exist_ok=True)
        names = {f"{frame.name}.jpg" for frame in kept}
        for name in sorted(names):
            source = candidates / name
            if source.exists():
                source.replace(frames / name)
            elif not (frames / name).exists():
                raise FileNotFoundError(f"the candidate frame {source} is gone")
        for stale in frames.glob("*.jpg"):
            if stale.name not in names:
                stale.unlink()  # a frame kept by an earlier run that this one rejected
        shutil.rmtree(candidates, ignore_errors=True)


def _judged(
    candidate: Candidate, median: float, verdict: Verdict, reason: str | None, twin: str | None
) -> JudgedFrame:
    kept = verdict is Verdict.KEPT
    return JudgedFrame(
        name=candidate.name,
        seconds=candidate.seconds,
        shot=candidate.shot,
        role=candidate.role.value,
        file=f"{FRAMES_FOLDER}/{candidate.name}.jpg" if kept else None,
        sharpness=candidate.sharpness,
        relative_sharpness=round(candidate.sharpness / median, 3),
        brightness=candidate.brightness,
        flat_fraction=candidate.flat_fraction,
        phash=f"{candidate.phash:016x}",
        verdict=verdict,
        reason=reason,
        duplicate_of=twin,
    )
