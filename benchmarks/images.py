"""Images per second and peak memory of a batch of still images through the full default path.

    .venv/bin/python -m benchmarks.images [--counts 1000,10000] [--work DIR]

Generated 1920x1080 JPEGs (a gradient, shapes, text and grain, each different; written once
into --work and reused, minutes for 10,000) are dropped as one folder into inbox/images/ of
a fresh library, and a real daemon (`bunny run --once`, a fresh process) takes them through
every default stage: intake (settle, sha256), probe, shots, frames, quality, faces, scenes,
dataset, captions. Printed for each count side by side: images per second from start to
exit, the seconds of each stage summed over the batch's parts, and the peak resident memory
of the largest of the daemon's processes. Plain decoding of the same files (Pillow, to RGB)
is timed in the same run as the baseline. It prints figures; it never judges them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from benchmarks.printed_tables import heading, table
from evaluation.daemon_once import ROOT, write_config

DEFAULT_WORK = Path(tempfile.gettempdir()) / "diffusion-bunny-bench-images"
SIZE = (1920, 1080)
BASELINE_IMAGES = 500
# The daemon's peak is its own process's: the launcher is a bare interpreter, so Linux does
# not carry this larger process's peak over exec into the measured figure.
LAUNCHER = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(code)"
)


@dataclass(frozen=True)
class BatchRun:
    images: int
    seconds: float
    peak_kib: int
    stage_seconds: dict[str, float]
    kept: int
    rejected: int


def picture(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    width, height = SIZE
    ramp = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
    start, end = rng.integers(0, 255, 3), rng.integers(0, 255, 3)
    canvas = (start + (end - start) * ramp).repeat(height, axis=0).astype(np.uint8)
    for _ in range(12):
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        size = int(rng.integers(40, 400))
        if rng.random() < 0.5:
            cv2.rectangle(canvas, (x, y), (x + size, y + size // 2), colour, -1)
        else:
            cv2.circle(canvas, (x, y), size // 2, colour, -1)
    cv2.putText(canvas, f"#{seed}", (80, 200), cv2.FONT_HERSHEY_SIMPLEX, 5, (255, 255, 255), 8)
    grain = rng.normal(0, 4, canvas.shape).astype(np.int16)
    return np.clip(canvas.astype(np.int16) + grain, 0, 255).astype(np.uint8)


def ensure_pictures(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{n:05d}.jpg" for n in range(count)]
    missing = [p for p in paths if not p.exists()]
    if missing:
        print(f"generating {len(missing)} 1080p JPEGs into {folder} ...", flush=True)
    for path in missing:
        cv2.imwrite(str(path), picture(int(path.stem)), [cv2.IMWRITE_JPEG_QUALITY, 90])
    return paths


def plain_decoding(paths: list[Path]) -> float:
    """Images per second of Pillow decoding each file to RGB: the baseline."""
    started = time.perf_counter()
    for path in paths:
        with Image.open(path) as image:
            image.convert("RGB").load()
    return len(paths) / (time.perf_counter() - started)


def run_batch(root: Path, paths: list[Path]) -> BatchRun:
    write_config(root, ("probe", "shots", "frames", "quality", "faces", "scenes", "dataset",
                        "captions"), scenes={"model": "./no-clip-model"})  # fmt: skip
    batch = root / "inbox" / "images" / "bench"
    batch.mkdir(parents=True)
    for path in paths:
        os.link(path, batch / path.name)  # the same bytes, no copy
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "daemon.commands.cli", "run", "--config", "config.yaml"]
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command, "--once"],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"bunny run --once exited {done.returncode}: {done.stderr[-2000:]}")
    peak = int(done.stderr.strip().splitlines()[-1])
    return _summarised(root, len(paths), seconds, peak)


def _summarised(root: Path, images: int, seconds: float, peak: int) -> BatchRun:
    stages: dict[str, float] = defaultdict(float)
    kept = rejected = 0
    for summary in (root / "library" / "movies").glob("*/movie.json"):
        document = json.loads(summary.read_text(encoding="utf-8"))
        for name, run in document["stages"].items():
            stages[name] += float(run.get("seconds") or 0.0)
        quality = document["stages"].get("quality", {}).get("result") or {}
        kept += int(quality.get("kept", 0))
        rejected += int(quality.get("rejected", 0))
    return BatchRun(images, seconds, peak, dict(stages), kept, rejected)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--counts", default="1000,10000")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.counts.split(",")]
    paths = ensure_pictures(args.work / "pictures", max(counts))
    baseline = plain_decoding(paths[: min(BASELINE_IMAGES, len(paths))])
    runs = []
    for count in counts:
        with tempfile.TemporaryDirectory(dir=args.work) as root:
            print(f"running {count} images through the daemon ...", flush=True)
            runs.append(run_batch(Path(root), paths[:count]))
    heading("a batch of generated 1080p JPEGs through the full default path (2 cores)")
    stage_names = sorted({name for run in runs for name in run.stage_seconds})
    table(
        ["", *(f"{run.images} images" for run in runs)],
        [
            ["images/s, start to exit", *(f"{run.images / run.seconds:.1f}" for run in runs)],
            ["seconds, start to exit", *(f"{run.seconds:.0f}" for run in runs)],
            ["peak memory (largest process)", *(f"{run.peak_kib / 1024:.0f} MiB" for run in runs)],
            ["frames kept / rejected", *(f"{run.kept} / {run.rejected}" for run in runs)],
            *(
                [f"stage {name}, ms/image",
                 *(f"{1000 * run.stage_seconds.get(name, 0.0) / run.images:.1f}" for run in runs)]
                for name in stage_names
            ),
        ],
    )  # fmt: skip
    print(f"\nplain decoding of the same files (Pillow, RGB): {baseline:.1f} images/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
