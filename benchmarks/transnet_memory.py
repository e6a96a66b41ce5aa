"""Peak memory of the frame path with `shots.detector: transnetv2`, a short clip beside a long.

    .venv/bin/python -m benchmarks.transnet_memory [--seconds 60] [--long-seconds 600]
        [--fps 24] [--size 1280x720] [--work DIR]

The same film-like clips and fresh-process measurement as benchmarks.frames' memory
section (the baseline is the imports plus torch and the network's weights). On a CPU the
network judges some tens of frames a second, so a long clip at 24 fps takes many minutes:
`--fps` lowers the rate of both clips alike, keeping the long one ten times the frames.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from benchmarks.film_clips import ClipSpec, ensure_clip
from benchmarks.peak_memory import memory_section

DEFAULT_WORK = Path(tempfile.gettempdir()) / "diffusion-bunny-bench-frames"
PRESET = "ultrafast"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--long-seconds", type=float, default=600.0)
    parser.add_argument("--fps", type=int, default=24)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    args = parser.parse_args()
    width, _, height = args.size.lower().partition("x")
    args.work.mkdir(parents=True, exist_ok=True)
    short, long = (
        ensure_clip(ClipSpec(int(width), int(height), seconds, PRESET, fps=args.fps), args.work)
        for seconds in (args.seconds, args.long_seconds)
    )
    memory_section(short, long, detector="transnetv2")


if __name__ == "__main__":
    main()
