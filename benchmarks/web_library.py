"""The review page's data at the scale issue 15 names: each read model's time (median of 20
calls, with the range) and the size of what it returns as JSON, beside the library's size.

The library is generated once (benchmarks/web_library_rows.py: 200 movies, 100 characters,
50,000 dataset images, 300,000 faces, through the repository) and kept for later runs.

    .venv/bin/python benchmarks/web_library.py [--library DIR] [--rounds 20] [--rebuild]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.printed_tables import heading, table
from benchmarks.rounds import Spread
from benchmarks.web_library_rows import STAGES, name, ready_library
from daemon.config import Config, LogConfig
from daemon.reports.character_pages import (
    character_detail,
    characters_page,
    page_inputs,
)
from daemon.reports.dataset_grid import character_dataset
from daemon.reports.movie_frames import kept_frames, movie_shots, rejected_frames
from daemon.reports.movie_pages import find_movie, movie_detail, movies_page
from daemon.reports.paging import PageRequest
from daemon.repository import Repository
from daemon.store import utcnow

DEFAULT_LIBRARY = Path("/tmp/bunny-web-library")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", type=Path, default=DEFAULT_LIBRARY)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    library: Path = args.library
    ready_library(library, args.rebuild)
    config = Config(library=library, log=LogConfig(console="off"))
    repo = Repository(library / "bunny.db", read_only=True)
    try:
        library_size(repo, library)
        _timings(repo, config, args.rounds)
    finally:
        repo.close()


def library_size(repo: Repository, library: Path) -> None:
    heading("library")
    counts = repo.table_sizes()
    rows = [(table_name, f"{count:,}") for table_name, count in counts.items()]
    rows.append(("database file (MB)", f"{(library / 'bunny.db').stat().st_size / 1e6:,.0f}"))
    table(["table", "rows"], rows)


def _timings(repo: Repository, config: Config, rounds: int) -> None:
    now = utcnow()
    inputs = page_inputs(repo, config, now)
    movie = repo.movies_newest_first(100, 1)[0]  # one in the middle
    found = find_movie(repo, movie.key)
    assert found is not None
    biggest = PageRequest(1, 200)
    last_movies = PageRequest(4, 50)
    reads: dict[str, Callable[[], object]] = {
        "movies list, page 1 of 50": lambda: movies_page(repo, PageRequest(), STAGES, now),
        "movies list, last page of 50": lambda: movies_page(repo, last_movies, STAGES, now),
        "movie detail (timeline, scenes)": lambda: movie_detail(
            repo, config.library, movie.key, STAGES, now
        ),
        "kept frames with faces, 200": lambda: kept_frames(repo, found, biggest),
        "kept frames with faces, page 6 of 200": lambda: kept_frames(
            repo, found, PageRequest(6, 200)
        ),
        "rejected frames, 200": lambda: rejected_frames(repo, found, biggest),
        "shots, 200": lambda: movie_shots(repo, found, biggest),
        "characters list, page 1 of 50": lambda: characters_page(
            repo, config, inputs, PageRequest()
        ),
        "character detail (refs, 2 models)": lambda: character_detail(
            repo, config, inputs, name(0)
        ),
        "dataset grid, 200": lambda: character_dataset(repo, config.library, name(0), biggest),
        "dataset grid, last page of 200": lambda: character_dataset(
            repo, config.library, name(0), PageRequest(3, 200)
        ),
    }
    rows = []
    for label, read in reads.items():
        result = read()  # a first call, not timed: caches warm, PyTorch's device check done
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            read()
            times.append((time.perf_counter() - started) * 1000)
        size = len(json.dumps(dataclasses.asdict(result), default=str))  # type: ignore[call-overload]
        rows.append((label, Spread.of(times).text(1), f"{size / 1000:,.1f}"))
    heading(f"read models: median (range) of {rounds} calls")
    table(["read model", "ms", "JSON kB"], rows)


if __name__ == "__main__":
    main()
