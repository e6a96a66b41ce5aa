"""The review page's movie pages at the scale issue 15 names, served whole (routing, reads,
templates) by the real application in-process: each page's server time (median of 20
requests, with the range) and its HTML's size, against the 200 ms and 2 MB a page may take.

It uses the library benchmarks/web_library.py generates (200 movies of 2,000 frames, 300,000
faces), opened read-only. That library has rows but no frame files, and a contact sheet
draws its boxes in the frames' own pixels: so one kept frame's file (a grey 1920x800 JPEG) is
written for the movie measured, and its faces are boxed as on a real library.

    .venv/bin/python benchmarks/web_movie_pages.py [--library DIR] [--rounds 20]
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image
from starlette.testclient import TestClient

from benchmarks.printed_tables import heading, table
from benchmarks.rounds import Spread
from benchmarks.web_library import DEFAULT_LIBRARY
from benchmarks.web_library_rows import Scale, build
from daemon.config import Config, LogConfig
from daemon.repository import MovieRecord, Repository
from daemon.web.app import create_app
from daemon.web.context import WebContext
from daemon.web_access import WebAccess

FRAME_SIZE = (1920, 800)
LATER_PAGES = "per_page=200&page=6&rejected=3&shots=2"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", type=Path, default=DEFAULT_LIBRARY)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    library: Path = args.library
    if not (library / "bunny.db").exists():
        build(library, Scale())
    Repository(library / "bunny.db").close()  # brings an older database's schema up to date
    repo = Repository(library / "bunny.db", read_only=True)
    try:
        movie = repo.movies_newest_first(100, 1)[0]  # one in the middle
        _frame_file(repo, library, movie)
        config = Config(library=library, log=LogConfig(console="off"))
        context = WebContext(
            config, repo, WebAccess("127.0.0.1", 0, None), True, secrets.token_hex()
        )
        with TestClient(create_app(context)) as client:
            _timings(client, movie, args.rounds)
    finally:
        repo.close()


def _frame_file(repo: Repository, library: Path, movie: MovieRecord) -> None:
    (first,) = repo.frames_page(movie.id, True, 0, 1)
    if first.file is not None and not (library / first.file).exists():
        (library / first.file).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", FRAME_SIZE, (90, 90, 90)).save(library / first.file, "JPEG")


def _timings(client: TestClient, movie: MovieRecord, rounds: int) -> None:
    one = f"/movies/{movie.key}"
    pages = {
        "movies, page 1 of 50": "/movies",
        "movies, last page of 50": "/movies?page=4",
        "movies, failed only": "/movies?state=failed",
        "movie, 50 frames": one,
        "movie, 200 frames": f"{one}?per_page=200",
        "movie, 200 frames p6, rejected p3, shots p2": f"{one}?{LATER_PAGES}",
    }
    rows = []
    for label, path in pages.items():
        response = client.get(path)  # a first request, not timed: caches warm
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code} {response.text[:200]}")
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        boxes = response.text.count("<rect ")
        rows.append(
            (label, Spread.of(times).text(1), f"{len(response.content) / 1000:,.1f}", boxes)
        )
    heading(f"movie pages: median (range) of {rounds} requests")
    table(["page", "ms", "HTML kB", "face boxes"], rows)


if __name__ == "__main__":
    main()
