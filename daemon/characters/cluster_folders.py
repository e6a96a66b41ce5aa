"""`library/unknown/<cluster-id>/`: a folder per cluster of unknown faces, with a crop of each
face and a marker, `cluster.json` (the cluster id, and each face's id and crop file).

Written whole after each clustering, and for the clusters a change on the review page
touched. An ignored cluster's folder is moved aside to `unknown/.ignored/<cluster-id>/` with
a reason file beside its crops, never deleted; undoing the ignore moves it back.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from daemon.atomic import write_bytes_atomic, write_json_atomic, write_text_atomic
from daemon.characters.cluster_adoption import MARKER, UNKNOWN_FOLDER
from daemon.characters.face_crops import crop_name, face_crop_jpeg
from daemon.repository import FolderMove, Repository, StoredFace
from daemon.store import utcnow

CLUSTER_NAME = re.compile(r"^c\d{6,}$")
# <movie-id>_<frame>_<number>.jpg: what crop_name writes, so only our crops are ever removed.
CROP_FILE = re.compile(r"^[0-9a-f]+_.+_\d+\.jpg$")
IGNORED_FOLDER = ".ignored"
REASON_FILE = "ignored.reason.txt"


class ClusterFolders:
    def __init__(self, repo: Repository, library: Path) -> None:
        self._repo, self._library = repo, library
        self._root = library / UNKNOWN_FOLDER

    def write_all(self, clusters: dict[str, list[StoredFace]]) -> None:
        """These clusters' folders; the folders of clusters that no longer are go."""
        for folder in self._root.glob("c*"):
            if CLUSTER_NAME.match(folder.name) and folder.name not in clusters:
                shutil.rmtree(folder)  # a group that no longer is (ours: ids are ours)
        for cluster, members in clusters.items():
            self.write(cluster, members)

    def refresh(self, clusters: set[str]) -> None:
        """These clusters' folders as the database has them now (gone when a cluster is)."""
        for cluster in sorted(clusters):
            members = [f for f in self._repo.cluster_faces(cluster) if f.character is None]
            if members:
                self.write(cluster, members)
            elif CLUSTER_NAME.match(cluster):
                shutil.rmtree(self._root / cluster, ignore_errors=True)

    def write(self, cluster: str, members: list[StoredFace]) -> None:
        folder = self._root / cluster
        crops = {crop_name(self._repo.movie_key(f.movie_id), f): f for f in members}
        for name, face in crops.items():
            if not (folder / name).exists():
                write_bytes_atomic(folder / name, self._crop_jpeg(face))
        for stale in folder.glob("*.jpg"):
            if CROP_FILE.match(stale.name) and stale.name not in crops:
                stale.unlink()  # a face that left the group (ours, by its name)
        _write_marker(folder / MARKER, cluster, crops)

    def aside(self, cluster: str) -> FolderMove:
        """Where an ignored cluster's folder goes (a free name: ignored twice, kept twice)."""
        parent = self._root / IGNORED_FOLDER
        target, number = parent / cluster, 2
        while target.exists():
            target, number = parent / f"{cluster} ({number})", number + 1
        return FolderMove(
            str((self._root / cluster).relative_to(self._library)),
            str(target.relative_to(self._library)),
        )

    def move_aside(self, move: FolderMove, reason: str) -> None:
        source, target = self._library / move.source, self._library / move.target
        if not source.is_dir():
            return  # never written (a cluster made since the last clustering): nothing to keep
        target.parent.mkdir(parents=True, exist_ok=True)
        source.rename(target)
        write_text_atomic(target / REASON_FILE, f"{reason}\nat: {utcnow():%Y-%m-%d %H:%M:%S} UTC\n")

    def move_back(self, move: FolderMove) -> None:
        source, target = self._library / move.target, self._library / move.source
        if not source.is_dir() or target.exists():
            return  # the user moved it, or the clustering wrote it again: theirs to keep
        (source / REASON_FILE).unlink(missing_ok=True)
        source.rename(target)

    def _crop_jpeg(self, face: StoredFace) -> bytes:
        frame = self._library / "movies" / self._repo.movie_key(face.movie_id) / "frames"
        return face_crop_jpeg(frame / f"{face.frame}.jpg", face.box)


def _write_marker(path: Path, cluster: str, crops: dict[str, StoredFace]) -> None:
    document = {
        "cluster": cluster,
        "about": (
            "written by diffusion-bunny: move this folder to characters/<name>/ to adopt the "
            "faces whose crops are in it"
        ),
        "faces": [{"id": face.id, "crop": name} for name, face in sorted(crops.items())],
    }
    try:
        if json.loads(path.read_text(encoding="utf-8")) == document:
            return  # unchanged: not rewritten every clustering
    except (OSError, ValueError):
        pass
    write_json_atomic(path, document)
