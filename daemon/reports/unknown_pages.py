"""The review page's unknown faces: the clusters waiting for a name (each with its first
faces), one cluster's faces, and the noise bucket, a page at a time.

The noise bucket lists the unsure matches first (the smallest margin first), then the faces
taken out of a cluster by hand, then the loose faces (the clustering left them alone), each
list oldest first: a page may hold the end of one list and the start of the next.
"""

from __future__ import annotations

from dataclasses import dataclass

from daemon.reports.paging import Page, PageRequest
from daemon.repository import FaceTile, NoiseReason, Repository


@dataclass(frozen=True)
class ClusterView:
    cluster: str
    size: int  # its faces waiting for a name
    faces: tuple[FaceTile, ...]  # the first of them, oldest first


@dataclass(frozen=True)
class NoiseTile:
    face: FaceTile
    reason: NoiseReason


def clusters_page(repo: Repository, request: PageRequest, faces_each: int) -> Page[ClusterView]:
    """Largest first; each with up to `faces_each` faces."""
    clusters = repo.clusters_page(request.offset, request.per_page)
    views = [
        ClusterView(c.cluster, c.faces, tuple(repo.cluster_tiles(c.cluster, 0, faces_each)))
        for c in clusters
    ]
    return Page.of(views, request, repo.cluster_count())


def cluster_page(repo: Repository, cluster: str, request: PageRequest) -> Page[FaceTile] | None:
    """None: no such cluster waits for a name (named, ignored, merged away, never was)."""
    size = repo.cluster_size(cluster)
    if size == 0:
        return None
    faces = repo.cluster_tiles(cluster, request.offset, request.per_page)
    return Page.of(faces, request, size)


def noise_page(repo: Repository, noise_margin: float, request: PageRequest) -> Page[NoiseTile]:
    tiles: list[NoiseTile] = []
    start, total = request.offset, 0  # `start`: where this page begins in the list at hand
    for reason in NoiseReason:
        count = repo.noise_count(reason, noise_margin)
        room = request.per_page - len(tiles)
        if room > 0 and start < count:
            found = repo.noise_tiles(reason, noise_margin, max(0, start), room)
            tiles += [NoiseTile(face, reason) for face in found]
        start -= count
        total += count
    return Page.of(tiles, request, total)
