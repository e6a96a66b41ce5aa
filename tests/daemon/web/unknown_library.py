"""A library with unknown faces for the unknown faces page, made through the real code: a
movie's `faces` result with real frame files (tests/daemon/characters), the real clustering
(dlib's chinese whispers), and a match made with a small margin through relabel_faces."""

from __future__ import annotations

from dataclasses import dataclass

from daemon.characters.face_clusters import UnknownFaceClusters
from daemon.config import Config, FacesConfig
from daemon.repository import NoiseReason, Relabel, Repository
from tests.daemon.characters.test_face_clusters import movie_with_faces, person
from tests.daemon.web.page_server import XSS

UNSURE_CHARACTER = XSS  # the character of the face matched with a small margin


@dataclass(frozen=True)
class UnknownLibrary:
    clusters: tuple[str, ...]  # largest first: 5 faces, then 3
    loose: int  # a face in no cluster
    unsure: int  # a face matched to UNSURE_CHARACTER with a margin of 0.05


def build_unknown_library(config: Config) -> UnknownLibrary:
    """Two people seen 5 and 3 times, a stranger seen once, and one face matched unsurely."""
    repo = Repository(config.database_path)
    try:
        encodings = person(1, 5) + person(2, 3) + person(3, 1) + person(4, 1)
        movie = movie_with_faces(repo, config.library, encodings)
        repo.mark_done(movie.id)
        found = UnknownFaceClusters(repo, config.library, FacesConfig(cluster_min_size=3)).run()
        clusters = tuple(sorted(found, key=lambda c: -len(found[c])))
        loose = [t.id for t in repo.noise_tiles(NoiseReason.LOOSE, 0.1, 0, 10)]
        unsure = next(f for f in repo.stored_faces() if f.id == loose[-1])
        repo.save_character(UNSURE_CHARACTER, "unsure", "person")
        change = Relabel(unsure.id, movie.id, unsure.frame, unsure.number, XSS, 0.4, 0.45)
        repo.relabel_faces([change])
        return UnknownLibrary(clusters, loose[0], unsure.id)
    finally:
        repo.close()
