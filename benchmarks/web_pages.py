"""The review page's pages at the scale issue 15 names, served for real: each page's time on
loopback (median of 20 requests, with the range; the server's time plus a loopback round trip,
so an upper bound of the server's) and the size of its HTML, beside the library's size.

The library is the one benchmarks/web_library.py generates (200 movies, 100 characters,
50,000 dataset images, 300,000 faces: rows, not image files, so thumbnails answer 404 here;
benchmarks/thumbnails.py measures those). The page is served read-only, as `bunny web
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.printed_tables import heading, table
from benchmarks.rounds import Spread
from benchmarks.web_library import DEFAULT_LIBRARY, library_size
from benchmarks.web_library_rows import Scale, build, name
from daemon.config import Config, LogConfig
from daemon.repository import Repository
from daemon.web.app import create_app
from daemon.web.context import WebContext
from daemon.web.server import BackgroundServer
from daemon.web_access import WebAccess

PAGE_BUDGET_MS = 200
PAGE_BUDGET_BYTES = 2_000_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", type=Path, default=DEFAULT_LIBRARY)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    library: Path = args.library
    if not (library / "bunny.db").exists():
        build(library, Scale())
    Repository(library / "bunny.db").close()  # brings an older database's schema up to date
    config = Config(library=library, log=LogConfig(console="off"))
    repo = Repository(library / "bunny.db", read_only=True)
    try:
        library_size(repo, library)
        _time_pages(repo, config, _paths(repo), args.rounds)
    finally:
        repo.close()


def _paths(repo: Repository) -> list[str]:
    movie = repo.movies_newest_first(100, 1)[0]  # one in the middle
    character = quote(name(0), safe="")
    clusters = repo.unknown_clusters()
    paths = [
        "/",
        "/overview/body",
        "/movies",
        "/movies?page=4",
        f"/movies/{movie.key}",
        f"/movies/{movie.key}?rejected=1",
        "/characters",
        f"/characters/{character}",
        f"/characters/{character}/dataset?page=3",
        f"/characters/{character}/models",
        "/unknown",
        "/unknown/noise",
        "/corrections/targets",
    ]
    if clusters:
        paths.append(f"/unknown/{quote(clusters[0].cluster, safe='')}")
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
    table(["page", "status", "ms", "HTML kB", f"within {PAGE_BUDGET_MS} ms and 2 MB"], rows)


def _timed(client: httpx.Client, path: str, rounds: int) -> tuple[str, int, str, str, str]:
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
    return (path, response.status_code, spread.text(1), f"{size / 1000:,.1f}", verdict)


if __name__ == "__main__":
    main()
