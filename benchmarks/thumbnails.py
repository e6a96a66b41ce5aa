"""How fast the review page's thumbnails are made (cold cache) and served from it (warm).

Generated 1024x768 JPEGs (gradients, shapes and grain at quality 90, about the size of a frame)
lie in a temporary library. Each round starts from an empty cache, makes every thumbnail (cold),
then asks for every one again (warm: cache hits, what a grid costs once it has been seen). Warm
needs cold before it, so the two are not alternated: the figures are the medians of the rounds,
with their range.

    .venv/bin/python benchmarks/thumbnails.py [--images 200] [--side 256] [--rounds 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.printed_tables import table
from benchmarks.rounds import Spread, rounds_argument
from daemon.web.thumbnails import DEFAULT_SIDE, Thumbnails

WIDTH, HEIGHT = 1024, 768
DATASET = Path("characters") / "anna" / "dataset"


def write_images(library: Path, count: int) -> list[Path]:
    """`count` JPEGs in one dataset folder; their paths relative to the library."""
    rng = np.random.default_rng(7)
    (library / DATASET).mkdir(parents=True)
    names = [DATASET / f"m1_{number:05d}.jpg" for number in range(count)]
    for name in names:
        write_frame_like(library / name, rng)
    return names


def write_frame_like(path: Path, rng: np.random.Generator) -> None:
    """A 1024x768 JPEG at quality 90 with gradients, shapes and grain: about a frame's size."""
    ramp = np.linspace(0, 1, WIDTH)[None, :, None] * np.linspace(0.3, 1, HEIGHT)[:, None, None]
    colour = rng.integers(40, 256, size=3)
    picture = Image.fromarray((ramp * colour).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(picture)
    for _ in range(12):
        x, y = int(rng.integers(0, WIDTH - 200)), int(rng.integers(0, HEIGHT - 200))
        size = int(rng.integers(40, 200))
        fill = (*(int(c) for c in rng.integers(0, 256, size=3)),)
        draw.ellipse((x, y, x + size, y + size), fill=fill)
    # Grain, as film has: without it the files are a third of a frame's size.
    grain = rng.normal(0, 6, size=(HEIGHT, WIDTH, 3))
    pixels = np.clip(np.asarray(picture, dtype=np.float64) + grain, 0, 255)
    Image.fromarray(pixels.astype(np.uint8), "RGB").save(path, "JPEG", quality=90)


def per_second(thumbnails: Thumbnails, names: list[Path]) -> tuple[float, int]:
    """Thumbnails per second over `names`, and how many of them this pass made."""
    started = time.perf_counter()
    made = sum(thumbnails.of(name).made for name in names)
    return len(names) / (time.perf_counter() - started), made


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200, help="images in the library")
    parser.add_argument("--side", type=int, default=DEFAULT_SIDE, help="longest thumbnail side")
    rounds_argument(parser, default=3)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bunny-thumbnails-") as folder:
        library = Path(folder) / "library"
        names = write_images(library, options.images)
        source_bytes = statistics.mean((library / name).stat().st_size for name in names)
        cold, warm = [], []
        for _ in range(options.rounds):
            shutil.rmtree(library / ".cache", ignore_errors=True)
            thumbnails = Thumbnails(library, longest_side=options.side)
            cold_rate, cold_made = per_second(thumbnails, names)
            warm_rate, warm_made = per_second(thumbnails, names)
            if (cold_made, warm_made) != (len(names), 0):
                raise SystemExit(f"made {cold_made} cold and {warm_made} warm of {len(names)}")
            cold.append(cold_rate)
            warm.append(warm_rate)
        made = [thumbnails.of(name).path for name in names]
        thumb_bytes = statistics.mean(path.stat().st_size for path in made)
        kind = made[0].suffix.lstrip(".").upper()
    print(
        f"{options.images} JPEGs of {WIDTH}x{HEIGHT} ({source_bytes / 1024:,.0f} KiB each), "
        f"thumbnails of {options.side} px in {kind} ({thumb_bytes / 1024:,.1f} KiB each), "
        f"{options.rounds} rounds, one process, one thread"
    )
    table(
        ["pass", "thumbnails/s: median (range)", "ms per thumbnail (median)"],
        [
            ["cold (made)", Spread.of(cold).text(1), 1000 / statistics.median(cold)],
            ["warm (cache hits)", Spread.of(warm).text(0), 1000 / statistics.median(warm)],
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
