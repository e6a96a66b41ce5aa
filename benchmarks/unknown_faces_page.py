"""The unknown faces page's read models at the scale issue 15 names (300,000 faces, 100,000 of
them unknown): each one's time, median of 20 calls with the range. (benchmarks/web_pages.py
times the whole pages.)

The library is benchmarks/web_library_rows.py's (built once and kept); its unknown faces are
clustered in groups of 25 (one in ten left loose), and one named face in 20 is matched with a
margin of 0.05 (an unsure match): `review_state`.

    .venv/bin/python benchmarks/unknown_faces_page.py [--library DIR] [--rounds 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.printed_tables import heading, table
from benchmarks.rounds import Spread
from benchmarks.web_library import DEFAULT_LIBRARY
from benchmarks.web_library_rows import ready_library
from daemon.reports.paging import PageRequest
from daemon.reports.unknown_pages import cluster_page, clusters_page, noise_page
from daemon.repository import NoiseReason, Repository

MARGIN = 0.1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", type=Path, default=DEFAULT_LIBRARY)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    library: Path = args.library
    ready_library(library)
    repo = Repository(library / "bunny.db", read_only=True)
    try:
        _timings(repo, args.rounds)
    finally:
        repo.close()


def _timings(repo: Repository, rounds: int) -> None:
    clusters = repo.cluster_count()
    biggest = repo.clusters_page(0, 1)[0].cluster
    noise = sum(repo.noise_count(reason, MARGIN) for reason in NoiseReason)
    last_clusters = PageRequest((clusters - 1) // 20 + 1, 20)
    last_noise = PageRequest((noise - 1) // 48 + 1, 48)
    reads: dict[str, Callable[[], object]] = {
        "clusters, page 1 of 20 (12 faces each)": lambda: clusters_page(
            repo, PageRequest(1, 20), 12
        ),
        "clusters, last page": lambda: clusters_page(repo, last_clusters, 12),
        "one cluster's faces, 120": lambda: cluster_page(repo, biggest, PageRequest(1, 120)),
        "noise bucket, page 1 of 48": lambda: noise_page(repo, MARGIN, PageRequest(1, 48)),
        "noise bucket, last page": lambda: noise_page(repo, MARGIN, last_noise),
    }
    rows = []
    for label, read in reads.items():
        read()  # a first call, not timed: caches warm
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            read()
            times.append((time.perf_counter() - started) * 1000)
        rows.append((label, Spread.of(times).text(1)))
    heading(
        f"{clusters:,} clusters, {noise:,} faces in the noise bucket: median (range) of {rounds}"
    )
    table(["read", "ms"], rows)


if __name__ == "__main__":
    main()
