"""The review page's pages at the scale issue 15 names, served for real: each page's time on
loopback (median of 20 requests, with the range; the server's time plus a loopback round trip,
so an upper bound of the server's) and the size of its HTML, beside the library's size.

The library is the one benchmarks/web_library.py generates (200 movies of 2,000 frames, 100
characters, 50,000 dataset images, 300,000 faces, unknown ones clustered: rows, not image
files, so thumbnails answer 404 here; benchmarks/thumbnails.py and benchmarks/thumbnail_grid.py
measure those). A contact sheet boxes faces in the frame's own pixels, so the movie measured
gets one kept frame's file (a grey 1920x800 JPEG). The page is served read-only, as `bunny web
--read-only` serves it.

    .venv/bin/python benchmarks/web_pages.py [--library DIR] [--rounds 20]
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.printed_tables import heading, table
from benchmarks.rounds import Spread
from benchmarks.web_library import DEFAULT_LIBRARY, library_size
from benchmarks.web_library_rows import name, ready_library
from daemon.config import Config, LogConfig
from daemon.repository import MovieRecord, Repository
from daemon.web.app import create_app
from daemon.web.context import WebContext
from daemon.web.server import BackgroundServer
from daemon.web_access import WebAccess

PAGE_BUDGET_MS = 200
PAGE_BUDGET_BYTES = 2_000_000
FRAME_SIZE = (1920, 800)
LATER_PAGES = "per_page=200&page=6&rejected=3&shots=2"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", type=Path, default=DEFAULT_LIBRARY)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    library: Path = args.library
    ready_library(library)
    _frame_file(library)
    config = Config(library=library, log=LogConfig(console="off"))
    repo = Repository(library / "bunny.db", read_only=True)
    try:
        library_size(repo, library)
        _time_pages(repo, config, _paths(repo), args.rounds)
    finally:
        repo.close()


def _measured_movie(repo: Repository) -> MovieRecord:
    return repo.movies_newest_first(100, 1)[0]  # one in the middle


def _frame_file(library: Path) -> None:
    """The measured movie's first kept frame as a file, so its faces are boxed."""
    repo = Repository(library / "bunny.db", read_only=True)
    try:
        (first,) = repo.frames_page(_measured_movie(repo).id, True, 0, 1)
    finally:
        repo.close()
    if first.file is not None and not (library / first.file).exists():
        (library / first.file).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", FRAME_SIZE, (90, 90, 90)).save(library / first.file, "JPEG")


def _paths(repo: Repository) -> list[str]:
    movie = _measured_movie(repo)
    character = quote(name(0), safe="")
    biggest = repo.clusters_page(0, 1)[0].cluster
    paths = [
        "/",
        "/overview/body",
        "/movies",
        "/movies?page=4",
        "/movies?state=failed",
        f"/movies/{movie.key}",
        f"/movies/{movie.key}?per_page=200",
        f"/movies/{movie.key}?{LATER_PAGES}",
        "/characters",
        f"/characters/{character}",
        f"/characters/{character}?page=5",
        f"/characters/{character}/models",
        f"/characters/{character}/generations",
        "/unknown",
        "/unknown?page=180&noise=400",
        f"/unknown/{quote(biggest, safe='')}",
        "/corrections/targets",
    ]
    return paths


def _time_pages(repo: Repository, config: Config, paths: list[str], rounds: int) -> None:
    access = WebAccess("127.0.0.1", 0, None)
    context = WebContext(config, repo, access, True, secrets.token_urlsafe(32))
    server = BackgroundServer(create_app(context), access)
    url = server.start().rstrip("/")
    rows = []
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            for path in paths:
                rows.append(_timed(client, path, rounds))
    finally:
        server.stop()
    heading(f"pages: median (range) of {rounds} requests on loopback")
    headers = ["page", "status", "ms", "HTML kB", "face boxes", f"within {PAGE_BUDGET_MS} ms, 2 MB"]
    table(headers, rows)


def _timed(client: httpx.Client, path: str, rounds: int) -> tuple[str, int, str, str, int, str]:
    first = client.get(path)  # not timed: caches warm
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    spread = Spread.of(times)
    size = len(first.content)
    within = first.status_code == 200 and spread.median <= PAGE_BUDGET_MS
    within = within and size <= PAGE_BUDGET_BYTES
    verdict = "yes" if within else "NO"
    boxes = first.text.count("<rect ")
    return (path, response.status_code, spread.text(1), f"{size / 1000:,.1f}", boxes, verdict)


if __name__ == "__main__":
    main()
