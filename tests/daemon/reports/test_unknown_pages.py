"""The unknown faces page's read models over a real database: clusters largest first with
their first faces, a cluster's page, and the noise bucket's three lists paged as one."""

from __future__ import annotations

from pathlib import Path

from daemon.characters.face_review import FaceReview
from daemon.config import load_config
from daemon.reports.paging import PageRequest
from daemon.reports.unknown_pages import cluster_page, clusters_page, noise_page
from daemon.repository import NoiseReason, Repository
from tests.daemon.web.unknown_library import build_unknown_library


def test_clusters_largest_first_each_with_its_first_faces(tmp_path: Path) -> None:
    config = load_config(None, {"library": str(tmp_path / "library")})
    big, small = build_unknown_library(config).clusters
    repo = Repository(config.database_path)
    try:
        first = clusters_page(repo, PageRequest(1, 1), faces_each=2)
        assert first.total == 2 and first.pages == 2
        (view,) = first.items
        assert (view.cluster, view.size, len(view.faces)) == (big, 5, 2)
        assert [v.cluster for v in clusters_page(repo, PageRequest(2, 1), 2).items] == [small]
        whole = cluster_page(repo, big, PageRequest(2, 3))
        assert whole is not None and whole.total == 5 and len(whole.items) == 2
        assert cluster_page(repo, "c999999", PageRequest()) is None
    finally:
        repo.close()


def test_the_noise_bucket_pages_through_its_three_lists_in_order(tmp_path: Path) -> None:
    config = load_config(None, {"library": str(tmp_path / "library")})
    built = build_unknown_library(config)
    repo = Repository(config.database_path)
    try:
        big = built.clusters[0]
        taken = [s.face_id for s in repo.cluster_states(big)][:2]
        FaceReview(repo, config.library, ()).to_noise(taken)
        pages = [noise_page(repo, 0.1, PageRequest(n, 2)) for n in (1, 2, 3)]
        shown = [(t.reason, t.face.id) for page in pages for t in page.items]
        assert shown == [
            (NoiseReason.UNSURE, built.unsure),
            (NoiseReason.TAKEN_OUT, taken[0]),
            (NoiseReason.TAKEN_OUT, taken[1]),
            (NoiseReason.LOOSE, built.loose),
        ]
        assert [len(page.items) for page in pages] == [2, 2, 0] and pages[0].total == 4
        assert pages[0].items[0].face.margin is not None
        assert round(pages[0].items[0].face.margin, 6) == 0.05
        # A narrower margin: the match is sure enough, and out of the bucket.
        assert noise_page(repo, 0.04, PageRequest(1, 10)).total == 3
    finally:
        repo.close()
