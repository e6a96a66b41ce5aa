"""How fast read_image turns photos into pictures, against plain Pillow, and its peak memory.

Generated 1920x1080 JPEGs (shapes and noise at quality 90, not trivially compressible) lie in
a temporary folder. Each round reads them all with `read_image` and with plain
`PIL.Image.open(...).convert("RGB")`, in alternating order (benchmarks/rounds.py); the
figures are the medians of the rounds, with their range. Peak resident memory is measured in
fresh processes: the imports alone, one such JPEG each way, and a 20000x20000 JPEG that
read_image decodes at 1/8 of its size (plain Pillow refuses it as a decompression bomb).

    python -m benchmarks.image_decoding [--images 40] [--rounds 5]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from benchmarks.fresh_peak import fresh_process_peak
from benchmarks.printed_tables import heading, table
from benchmarks.rounds import Spread, alternating, ratios, rounds_argument
from handlers.image_decoding import ImageLimits, read_image
from tests.handlers.image_files import solid_grey_jpeg

WIDTH, HEIGHT = 1920, 1080
BIG_SIDE = 20_000
CHILD = "--child"
WAYS = ("imports", "read_image", "plain")


def write_photos(folder: Path, count: int) -> list[Path]:
    rng = np.random.default_rng(11)
    paths = [folder / f"photo_{number:04d}.jpg" for number in range(count)]
    for path in paths:
        write_photo_like(path, rng)
    return paths


def write_photo_like(path: Path, rng: np.random.Generator) -> None:
    """Shapes on a gradient with grain, at quality 90: about a phone photo's bytes per pixel."""
    ramp = np.linspace(0.2, 1, WIDTH)[None, :, None] * np.linspace(0.4, 1, HEIGHT)[:, None, None]
    picture = Image.fromarray((ramp * rng.integers(60, 256, size=3)).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(picture)
    for _ in range(20):
        x, y = int(rng.integers(0, WIDTH - 300)), int(rng.integers(0, HEIGHT - 300))
        size = int(rng.integers(40, 300))
        fill = (*(int(c) for c in rng.integers(0, 256, size=3)),)
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x, y, x + size, y + size), fill=fill)
    grain = rng.normal(0, 8, size=(HEIGHT, WIDTH, 3))
    pixels = np.clip(np.asarray(picture, dtype=np.float64) + grain, 0, 255).astype(np.uint8)
    Image.fromarray(pixels, "RGB").save(path, "JPEG", quality=90)


def plain(path: Path) -> None:
    with Image.open(path) as image:
        image.convert("RGB")


def plain_array(path: Path) -> None:
    with Image.open(path) as image:
        np.asarray(image.convert("RGB"))


def decode(path: Path) -> None:
    read_image(path, ImageLimits())


def per_second(read: Callable[[Path], None], paths: list[Path]) -> Callable[[], float]:
    def one_pass() -> float:
        started = time.perf_counter()
        for path in paths:
            read(path)
        return len(paths) / (time.perf_counter() - started)

    return one_pass


def speed_section(paths: list[Path], rounds: int) -> None:
    readers = {
        "read_image": decode,
        "Image.open().convert": plain,
        "the same, then numpy.asarray": plain_array,
    }
    figures = alternating(rounds, [per_second(read, paths) for read in readers.values()])
    table(
        ["reader", "images/s: median (range)", "ms per image (median)"],
        [
            [name, Spread.of(rates).text(1), 1000 / Spread.of(rates).median]
            for name, rates in zip(readers, figures, strict=True)
        ],
    )
    ours, theirs, arrays = figures
    print(
        f"read_image / Image.open().convert, per round: {Spread.of(ratios(ours, theirs)).text(2)}"
    )
    print(f"read_image / the same with numpy.asarray: {Spread.of(ratios(ours, arrays)).text(2)}")


def child_peak(way: str, path: Path) -> tuple[float, float]:
    """Peak RSS (MiB) and wall seconds of a fresh process reading `path` once that way."""
    return fresh_process_peak(
        [sys.executable, "-m", "benchmarks.image_decoding", CHILD, way, str(path)]
    )


def memory_section(photo: Path, big: Path) -> None:
    heading("Peak resident memory, each in a fresh process")
    runs = [
        ("imports only", "imports", photo),
        (f"read_image, one {WIDTH}x{HEIGHT} JPEG", "read_image", photo),
        (f"Image.open().convert, one {WIDTH}x{HEIGHT} JPEG", "plain", photo),
        (f"read_image, one {BIG_SIDE}x{BIG_SIDE} JPEG", "read_image", big),
    ]
    rows: list[list[object]] = []
    for name, way, path in runs:
        peak, seconds = child_peak(way, path)
        rows.append([name, peak, seconds])
    table(["run", "peak RSS MiB", "child wall s"], rows)


def measure(way: str, path: Path) -> None:
    """The child's work: one read that way (or only the imports), then its peak."""
    if way == "read_image":
        decode(path)
    elif way == "plain":
        plain(path)
    print(f"peak_rss_kib {peak_rss_kib()}")


def peak_rss_kib() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KiB elsewhere


def main(argv: list[str]) -> int:
    if argv[:1] == [CHILD] and len(argv) == 3 and argv[1] in WAYS:
        measure(argv[1], Path(argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--images", type=int, default=40, help="1920x1080 JPEGs to read")
    rounds_argument(parser, default=5)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bunny-images-") as folder:
        paths = write_photos(Path(folder), options.images)
        size = sum(path.stat().st_size for path in paths) / len(paths)
        print(
            f"{options.images} JPEGs of {WIDTH}x{HEIGHT} ({size / 1024:,.0f} KiB each), "
            f"{options.rounds} rounds, one process, one thread"
        )
        speed_section(paths, options.rounds)
        big = Path(folder) / "big.jpg"
        big.write_bytes(solid_grey_jpeg(BIG_SIDE, BIG_SIDE))
        memory_section(paths[0], big)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
