"""A grid of 200 dataset thumbnails on a character's page, loaded in a real Chromium over
loopback: the time from asking for the page until every thumbnail has been drawn, with an
empty thumbnail cache (each one made on the way), with a warm one in a new browser, and
again in a browser that has seen the page (its thumbnails answered 304): median of the
rounds, with the range, against the issue's 1 s.

It uses the scale library benchmarks/web_library.py generates (rows only) and writes the
first 200 dataset images of one character as real 1024x768 JPEGs (about a frame's size), so
the page is the one a 50,000-image library serves. The window is tall enough for every tile
to be on screen, so lazy loading leaves none out. Needs Chromium (BUNNY_CHROMIUM or the
system's) and the dev extras' Playwright.

    .venv/bin/python benchmarks/thumbnail_grid.py [--library DIR] [--rounds 5]
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.printed_tables import table
from benchmarks.rounds import Spread
from benchmarks.thumbnails import write_frame_like
from benchmarks.web_library import DEFAULT_LIBRARY
from benchmarks.web_library_rows import name, ready_library
from daemon.config import Config, LogConfig
from daemon.reports.dataset_grid import character_dataset
from daemon.reports.paging import PageRequest
from daemon.repository import Repository
from daemon.web.app import create_app
from daemon.web.context import WebContext
from daemon.web.server import BackgroundServer
from daemon.web_access import WebAccess
from tests.browser.harness import find_chromium, launch_flags

if TYPE_CHECKING:
    from playwright.sync_api import Browser

GRID = 200
ALL_DRAWN = (
    "n => { const images = [...document.querySelectorAll('[data-item^=\"image:\"] img')];"
    " return images.length === n && images.every(i => i.complete && i.naturalWidth > 0); }"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", type=Path, default=DEFAULT_LIBRARY)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    library: Path = args.library
    ready_library(library)
    config = Config(library=library, log=LogConfig(console="off"))
    repo = Repository(library / "bunny.db", read_only=True)
    try:
        files = _grid_files(repo, library)
        cold, warm, again = _rounds(repo, config, files, args.rounds)
    finally:
        repo.close()
    print(f"{GRID} thumbnails of 1024x768 JPEGs, {name(0)}'s dataset page, {args.rounds} rounds")
    table(
        ["cache", "whole grid drawn, ms: median (range)"],
        [["cold: each thumbnail made", Spread.of(cold).text(0)],
         ["warm: made before, a new browser", Spread.of(warm).text(0)],
         ["warm, the page seen before (304s)", Spread.of(again).text(0)]],
    )  # fmt: skip


def _grid_files(repo: Repository, library: Path) -> list[Path]:
    """The page's 200 images, written where the rows say they are (once)."""
    grid = character_dataset(repo, library, name(0), PageRequest(1, GRID))
    if grid is None or len(grid.items) < GRID:
        raise SystemExit(f"{name(0)} has fewer than {GRID} dataset images in {library}")
    rng = np.random.default_rng(7)
    files = [library / tile.image.file for tile in grid.items]
    for path in files:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_frame_like(path, rng)
    return files


def _rounds(
    repo: Repository, config: Config, files: list[Path], rounds: int
) -> tuple[list[float], list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("no Chromium found (install Debian's chromium, or set BUNNY_CHROMIUM)")
    access = WebAccess("127.0.0.1", 0, None)
    context = WebContext(config, repo, access, True, secrets.token_urlsafe(32))
    server = BackgroundServer(create_app(context), access)
    address = server.start().rstrip("/") + f"/characters/{quote(name(0), safe='')}"
    address += f"?per_page={GRID}"
    cold, warm, again = [], [], []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(chromium), args=launch_flags())
            for _ in range(rounds):
                shutil.rmtree(config.library / ".cache" / "thumbnails", ignore_errors=True)
                cold.append(_drawn_ms(browser, address, 1)[0])
                first, second = _drawn_ms(browser, address, 2)
                warm.append(first)
                again.append(second)
            browser.close()
    finally:
        server.stop()
    return cold, warm, again


def _drawn_ms(browser: Browser, address: str, visits: int) -> list[float]:
    """Each visit's time in one fresh browser context (its HTTP cache empty at first), 1280 px
    wide and tall enough for every tile."""
    context = browser.new_context(viewport={"width": 1280, "height": 40_000})
    page = context.new_page()
    times = []
    for _ in range(visits):
        started = time.perf_counter()
        page.goto(address)
        page.wait_for_function(ALL_DRAWN, arg=GRID, timeout=120_000)
        times.append((time.perf_counter() - started) * 1000)
    context.close()
    return times


if __name__ == "__main__":
    main()
