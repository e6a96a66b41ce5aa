"""Unknown faces grouped into would-be characters, adopted by `bunny name` or a folder move.

Every `faces.cluster_minutes` the faces that match nobody, from every movie, are clustered
with dlib's chinese whispers (faces nearer than `faces.cluster_threshold` link). A group of
at least `faces.cluster_min_size` gets `library/unknown/<cluster-id>/` with a crop of each
face, for the user to look at, and a marker, `cluster.json` (the cluster id, and each
face's id and crop file). The id is the group's oldest face (`c000123`), so it stays the
same from one clustering to the next while the group keeps that face.

A group is adopted in one of two ways; either way its faces become that character's for
good, and its largest faces (up to five) become references, which the
running daemon picks up and matches every stored face against:

- `bunny name <cluster-id> <name>`: every face of the group.
- Moving the folder into `library/characters/` with a file manager (MovedClusters), read
  at start, every minute, before each clustering and at the end of `bunny run --once`:
  - `unknown/c000123/` renamed to `characters/<name>/` (a new character, or merged into an
    existing one's folder), or dropped inside one as `characters/<name>/c000123/`;
  - the folder name is made folder-safe like every character name; a folder still named
    by its cluster id (moved but not yet renamed) waits for its name;
  - only faces whose crop is still in the folder are adopted: deleting a crop before the
    move leaves that face out (it stays unknown, and may appear in another cluster);
  - the folder is taken once its files have not changed for `watcher.quiet_seconds`, so
    a copy still in progress is not read half-way;
  - the crops and the marker are then filed, never deleted, under
    `characters/<name>/adopted/<cluster-id>/` (the marker is consumed: a folder is adopted
    once), beside the usual reference/ and dataset/; files the user added stay where they
    are, and a folder left empty by a name that had to change is removed.

Either way the adoption is one unit that a kill cannot leave half done (ClusterAdoption):
whoever adopts next, or the daemon at start, finishes one a kill interrupted.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import structlog

from daemon.characters.cluster_adoption import (
    CHARACTERS_FOLDER,
    MARKER,
    ClusterAdoption,
)
from daemon.characters.cluster_folders import CLUSTER_NAME, ClusterFolders
from daemon.characters.face_crops import crop_name
from daemon.characters.names import character_name
from daemon.config import FacesConfig
from daemon.repository import CropFiling, Repository, StoredFace

ADOPTED_FOLDER = "adopted"


def cluster_labels(encodings: list[tuple[float, ...]], threshold: float) -> list[int]:
    """A group label per encoding (chinese whispers over links nearer than `threshold`)."""
    if not encodings:
        return []
    import dlib  # the compiled library is loaded only when there is something to cluster

    vectors = [dlib.vector(list(encoding)) for encoding in encodings]
    return [int(label) for label in dlib.chinese_whispers_clustering(vectors, threshold)]


class UnknownFaceClusters:
    def __init__(self, repo: Repository, library: Path, config: FacesConfig) -> None:
        self._repo, self._config = repo, config
        self._folders = ClusterFolders(repo, library)

    def run(self) -> dict[str, list[StoredFace]]:
        """Cluster the unknown faces again; returns the clusters kept, by id."""
        # Ignored faces, faces taken out of a cluster and faces the user placed are not seen.
        faces = self._repo.unknown_faces()
        labels = cluster_labels([f.encoding for f in faces], self._config.cluster_threshold)
        groups: dict[int, list[StoredFace]] = {}
        for face, label in zip(faces, labels, strict=True):
            groups.setdefault(label, []).append(face)
        clusters = {
            f"c{min(f.id for f in members):06d}": members
            for members in groups.values()
            if len(members) >= self._config.cluster_min_size
        }
        self._repo.set_clusters(
            {face.id: cid for cid, members in clusters.items() for face in members}
        )
        # The user's clusters (merged, faces moved in) stay as they are; their ids are faces
        # the clustering no longer sees, so no group of its own can take one.
        clusters |= self._repo.placed_clusters()
        self._folders.write_all(clusters)
        return clusters


def adopt_cluster(
    repo: Repository, library: Path, cluster: str, raw_name: str, later: tuple[str, ...]
) -> int:
    """`bunny name`: the cluster's faces become the character's; returns how many.

    `later` are the stages after `faces`: they run again for the movies these faces are in.
    """
    return ClusterAdoption(repo, library).adopt_cluster(cluster, raw_name, later)


@dataclass(frozen=True)
class Adoption:
    """A cluster folder the user moved into characters/, adopted."""

    cluster: str
    character: str
    faces: int  # adopted: their crops were still in the folder
    left_out: int  # faces of the cluster whose crops the user had deleted
    filed_in: str  # where the crops and the marker are now, relative to the library


class MovedClusters:
    """Cluster folders moved into `characters/` with a file manager, adopted like `bunny name`.

    The library is compared with the database rather than watched, so a folder moved while
    the daemon was down is adopted at the next start just the same.
    """

    def __init__(
        self, repo: Repository, library: Path, later: tuple[str, ...], quiet_seconds: float
    ) -> None:
        self._repo, self._library, self._later = repo, library, later
        self._quiet = quiet_seconds
        self._adoption = ClusterAdoption(repo, library)
        self._warned: set[tuple[Path, str]] = set()
        self._log = structlog.get_logger("clusters")

    def run(self) -> list[Adoption]:
        # A folder whose adoption a kill interrupted is filed before markers are looked at.
        self._adoption.finish_open()
        characters = self._library / CHARACTERS_FOLDER
        markers = sorted(characters.glob(f"*/{MARKER}")) + sorted(characters.glob(f"*/*/{MARKER}"))
        adopted = []
        for marker in markers:
            owner = marker.parent if marker.parent.parent == characters else marker.parent.parent
            if CLUSTER_NAME.match(owner.name) or not _settled(marker.parent, self._quiet):
                continue  # not renamed yet, or still arriving: looked at again next time
            try:
                adoption = self._adopt(marker, owner.name)
            except ValueError as exc:
                self._warn_once(marker, str(exc))
                continue
            if adoption is not None:
                adopted.append(adoption)
        return adopted

    def _adopt(self, marker: Path, folder_name: str) -> Adoption | None:
        cluster, listed = _read_marker(marker)
        name = character_name(folder_name)
        folder = marker.parent
        members = {
            crop_name(self._repo.movie_key(f.movie_id), f): f
            for f in self._repo.cluster_faces(cluster)
        }
        kept = [face for crop, face in members.items() if (folder / crop).is_file()]
        if not kept:
            # Adopted already (`bunny name`, a copy of this folder) or every crop deleted.
            self._log.warning(
                "moved cluster folder has no faces left to adopt; the folder is left as it is",
                cluster=cluster,
                folder=str(folder.relative_to(self._library)),
            )
            marker.unlink()
            return None
        target = _free_folder(self._library / CHARACTERS_FOLDER / name / ADOPTED_FOLDER, cluster)
        filed_in = str(target.relative_to(self._library))
        crops = tuple(sorted(set(members) | listed))
        filing = CropFiling(str(folder.relative_to(self._library)), filed_in, crops)
        self._adoption.adopt(cluster, kept, name, self._later, filing)
        adoption = Adoption(cluster, name, len(kept), len(members) - len(kept), filed_in)
        self._log.info(
            "cluster adopted from a moved folder",
            cluster=cluster,
            character=name,
            faces=adoption.faces,
            left_out=adoption.left_out,
            filed_in=filed_in,
        )
        return adoption

    def _warn_once(self, marker: Path, reason: str) -> None:
        if (marker, reason) not in self._warned:
            self._warned.add((marker, reason))
            self._log.warning(
                "moved cluster folder not adopted", folder=str(marker.parent), reason=reason
            )


def _read_marker(path: Path) -> tuple[str, set[str]]:
    """The cluster id in a marker, and the crop files it lists."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{MARKER} is not readable: {exc}") from exc
    cluster = document.get("cluster") if isinstance(document, dict) else None
    if not isinstance(cluster, str) or not CLUSTER_NAME.match(cluster):
        raise ValueError(f"{MARKER} names no cluster id (c followed by digits)")
    faces = document.get("faces")
    listed = {
        face["crop"]
        for face in (faces if isinstance(faces, list) else [])
        if isinstance(face, dict) and isinstance(face.get("crop"), str)
    }
    return cluster, {crop for crop in listed if Path(crop).name == crop}


def _settled(folder: Path, quiet_seconds: float) -> bool:
    """No file in the folder created, moved or written for `quiet_seconds` (a copy is over).

    Sub-folders are not looked into: in a character's own folder, dataset/ changes all the time.
    """
    try:
        files = [entry for entry in folder.iterdir() if entry.is_file()]
        stats = [folder.stat(), *(entry.stat() for entry in files)]
    except OSError:
        return False  # changing under us
    newest = max(max(s.st_mtime, s.st_ctime) for s in stats)
    return time.time() - newest >= quiet_seconds


def _free_folder(parent: Path, name: str) -> Path:
    candidate, number = parent / name, 2
    while candidate.exists():
        candidate, number = parent / f"{name} ({number})", number + 1
    return candidate
