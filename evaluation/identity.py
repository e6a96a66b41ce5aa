"""Who is found in a slideshow of labelled photos, through a real daemon with its defaults.

    .venv/bin/python -m evaluation.identity [--media DIR] [--photos N] [--keep DIR]

The held-out test of issue 16 rebuilt from ../shared/media: every labelled photo (knn_examples,
the face_recognition examples and test images, the five Johns; group photos too) but each
person's one reference becomes a segment of a 1280x720 slideshow (evaluation/slideshow.py:
centred on black or grey, or filling the frame; hard cuts). The references go into a real
daemon's inbox/faces/, then the slideshow into inbox/movies/ (evaluation/identity_run.py), and
what the daemon filed is counted (evaluation/identity_count.py): recall of appearances (a
person in a segment), precision of the names given, people with no dataset image at all, and
why each missed appearance was missed. Target: recall >= 0.95 at precision >= 0.99.

--photos N shows only the first N photos of the shuffled order (a quick look); --keep DIR
keeps the daemon's inbox and library there. Exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from evaluation.identity_count import IdentityScore, score
from evaluation.identity_photos import FACES, JOHNS, PhotoSet, photo_set
from evaluation.identity_run import DaemonRun, run_daemon
from evaluation.slideshow import Slideshow, SlideshowSpec, plan_segments, write_slideshow
from evaluation.table import DEFAULT_MEDIA, Row, print_rows, print_table

TARGET_RECALL = 0.95
TARGET_PRECISION = 0.99


def evaluate(media: Path, work: Path, photos: int | None = None) -> tuple[Slideshow, DaemonRun]:
    """The slideshow written into `work` and run through a daemon whose folders are there."""
    chosen = photo_set(media)
    spec = SlideshowSpec()
    shown = chosen.shown
    if photos is not None:  # the first N of the shuffled order, as the full show starts
        order = plan_segments(chosen.shown, spec, media)[:photos]
        shown = tuple(sorted((s.photo for s in order), key=lambda p: p.path))
    slideshow = write_slideshow(work / "slideshow.mp4", media, shown, spec)
    run = run_daemon(work / "daemon", media, chosen.references, slideshow.path)
    return slideshow, run


def print_photos(chosen: PhotoSet) -> None:
    print(f"people: {len(chosen.people)}; references (one photo each):")
    print_table(("person", "reference"), [(r.people[0], r.path) for r in chosen.references])
    print(f"photos left out: {len(chosen.left_out)}")
    print_table(("photo", "why"), [(x.path, x.why) for x in chosen.left_out])


def print_slideshow(slideshow: Slideshow, run: DaemonRun, seconds: float) -> None:
    segments = slideshow.segments
    grounds = Counter(segment.ground.value for segment in segments)
    length = segments[-1].end_seconds if segments else 0.0
    print(
        f"\nslideshow: {len(segments)} segments, {length:.0f} s at "
        f"{slideshow.spec.width}x{slideshow.spec.height} "
        f"({', '.join(f'{g} {n}' for g, n in sorted(grounds.items()))}); "
        f"made and run in {seconds:.0f} s"
    )
    stages = ", ".join(f"{name} {s:.1f}" for name, s in run.stage_seconds)
    print(f"stage seconds: {stages}")
    for rejected in run.rejected_references:
        print(f"reference rejected: {rejected}")


def print_misses(result: IdentityScore) -> None:
    reasons = Counter(miss.reason.value for miss in result.misses)
    print(f"\nmissed appearances: {len(result.misses)} ({_counted(reasons)})")
    if result.misses:
        misses = [
            (str(m.segment), m.person, m.photo, m.reason.value, m.detail) for m in result.misses
        ]
        print_table(("segment", "person", "photo", "reason", "detail"), misses)
    print(f"\nwrong names: {len(result.wrong)}")
    if result.wrong:
        wrong = [
            (w.frame, w.named, str(w.segment), ", ".join(w.people) or "-") for w in result.wrong
        ]
        print_table(("frame", "named", "segment", "shows"), wrong)


def _counted(counts: Counter[str]) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in counts.most_common()) or "none"


def score_rows(result: IdentityScore, segments: int) -> list[Row]:
    wrong = len(result.wrong)
    without = ", ".join(result.people_without_images) or "none"
    return [
        Row("segments", "shown", str(segments), None),
        Row(
            "appearances found (recall)",
            f">= {TARGET_RECALL}",
            f"{result.recall:.3f} ({result.found}/{result.appearances})",
            result.recall >= TARGET_RECALL,
        ),
        Row(
            "names right (precision)",
            f">= {TARGET_PRECISION}",
            f"{result.precision:.3f} ({result.named - wrong}/{result.named}, {wrong} wrong)",
            result.precision >= TARGET_PRECISION,
        ),
        Row("people with no dataset image", "shown", without, None),
    ]


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--media", type=Path, default=DEFAULT_MEDIA)
    parser.add_argument("--photos", type=int, help="only the first N photos of the show")
    parser.add_argument("--keep", type=Path, help="keep the daemon's folders here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    media: Path = args.media
    if not all((media / sub).is_dir() for sub in (FACES, JOHNS)):
        print(f"media folder not found: {media}", file=sys.stderr)
        return 2
    print_photos(photo_set(media))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bunny-identity-") as temporary:
        work = args.keep or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        slideshow, run = evaluate(media, work, args.photos)
    print_slideshow(slideshow, run, time.perf_counter() - started)
    result = score(slideshow.segments, run.outcome)
    print_misses(result)
    print()
    return print_rows(score_rows(result, len(slideshow.segments)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
