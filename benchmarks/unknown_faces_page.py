"""The unknown faces page at the scale issue 15 names (300,000 faces, 100,000 of them unknown):
each read model's time and the whole page's (server time and HTML size, through the real
application), median of 20 calls with the range.

The library is benchmarks/web_library_rows.py's (built once and kept); its unknown faces are
then clustered in groups of 25 (one in ten left loose) with the repository's set_clusters,
and one named face in 20 is relabelled with a margin of 0.05 (an unsure match).

    .venv/bin/python benchmarks/unknown_faces_page.py [--library DIR] [--rounds 20]
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.printed_tables import heading, table
from benchmarks.rounds import Spread
from benchmarks.web_library_rows import Scale, build
from daemon.config import Config, LogConfig
from daemon.reports.paging import PageRequest
from daemon.reports.unknown_pages import cluster_page, clusters_page, noise_page
from daemon.repository import NoiseReason, Relabel, Repository
from daemon.web_access import WebAccess

DEFAULT_LIBRARY = Path("/tmp/bunny-unknown-library")
GROUP = 25
MARGIN = 0.1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", type=Path, default=DEFAULT_LIBRARY)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    library: Path = args.library
    if not (library / "bunny.db").exists():
        started = time.perf_counter()
        build(library, Scale())
        print(f"generated {library} in {time.perf_counter() - started:.0f} s")
    repo = Repository(library / "bunny.db")
    try:
        if repo.cluster_count() == 0:
            _review_state(repo)
        _timings(repo, library, args.rounds)
    finally:
        repo.close()


def _review_state(repo: Repository) -> None:
    unknown = [f.id for f in repo.unknown_faces()]
    clustered = [face for n, face in enumerate(unknown) if n % 10]
    repo.set_clusters(
        {face: f"c{clustered[n - n % GROUP]:06d}" for n, face in enumerate(clustered)}
    )
    named = [f for f in repo.stored_faces() if f.character is not None][::20]
    changes = [Relabel(f.id, f.movie_id, f.frame, f.number, f.character, 0.4, 0.45) for f in named]
    repo.relabel_faces(changes)
    print(f"clustered {len(clustered):,} unknown faces, {len(changes):,} unsure matches")


def _timings(repo: Repository, library: Path, rounds: int) -> None:
    clusters = repo.cluster_count()
    biggest = repo.clusters_page(0, 1)[0].cluster
    noise = sum(repo.noise_count(reason, MARGIN) for reason in NoiseReason)
    last_clusters = PageRequest((clusters - 1) // 20 + 1, 20)
    last_noise = PageRequest((noise - 1) // 48 + 1, 48)
    client = _client(repo, library)
    reads: dict[str, Callable[[], object]] = {
        "clusters, page 1 of 20 (12 faces each)": lambda: clusters_page(
            repo, PageRequest(1, 20), 12
        ),
        "clusters, last page": lambda: clusters_page(repo, last_clusters, 12),
        "one cluster's faces, 120": lambda: cluster_page(repo, biggest, PageRequest(1, 120)),
        "noise bucket, page 1 of 48": lambda: noise_page(repo, MARGIN, PageRequest(1, 48)),
        "noise bucket, last page": lambda: noise_page(repo, MARGIN, last_noise),
        "GET /unknown (whole page)": lambda: client.get("/unknown"),
        f"GET /unknown?page={last_clusters.page}&noise={last_noise.page}": lambda: client.get(
            f"/unknown?page={last_clusters.page}&noise={last_noise.page}"
        ),
        f"GET /unknown/{biggest}": lambda: client.get(f"/unknown/{biggest}"),
    }
    rows = []
    for label, read in reads.items():
        result = read()  # a first call, not timed: caches warm
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            read()
            times.append((time.perf_counter() - started) * 1000)
        size = f"{len(result.content) / 1000:,.1f}" if hasattr(result, "content") else ""
        rows.append((label, Spread.of(times).text(1), size))
    heading(
        f"{clusters:,} clusters, {noise:,} faces in the noise bucket: median (range) of {rounds}"
    )
    table(["read", "ms", "HTML kB"], rows)


def _client(repo: Repository, library: Path) -> object:
    from starlette.testclient import TestClient

    from daemon.web.app import create_app
    from daemon.web.context import WebContext

    config = Config(library=library, log=LogConfig(console="off"))
    access = WebAccess("127.0.0.1", 0, None)
    app = create_app(WebContext(config, repo, access, True, secrets.token_urlsafe(32)))
    return TestClient(app, base_url="http://127.0.0.1")


if __name__ == "__main__":
    main()
