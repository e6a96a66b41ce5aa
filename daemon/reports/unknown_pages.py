"""The review page's unknown faces: the clusters waiting for a name (each with its first
faces), one cluster's faces, and the noise bucket, a page at a time.

The noise bucket lists the unsure matches first (the smallest margin first), then the loose
faces (in no cluster: left alone by the clustering, or taken out by hand), oldest first.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from daemon.reports.paging import Page, PageRequest
from daemon.repository import FaceTile, Repository


class NoiseReason(enum.StrEnum):
    UNSURE = "unsure"  # matched, but the next character is nearly as near
    LOOSE = "loose"  # unknown and in no cluster


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
    unsure = repo.unsure_count(noise_margin)
    tiles: list[NoiseTile] = []
    if request.offset < unsure:
        found = repo.unsure_tiles(noise_margin, request.offset, request.per_page)
        tiles = [NoiseTile(face, NoiseReason.UNSURE) for face in found]
    room = request.per_page - len(tiles)
    if room > 0:
        offset = max(0, request.offset - unsure)
        tiles += [NoiseTile(face, NoiseReason.LOOSE) for face in repo.loose_tiles(offset, room)]
    return Page.of(tiles, request, unsure + repo.loose_count())
