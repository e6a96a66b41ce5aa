"""Unknown faces grouped into would-be characters, and `bunny name` adopting a group.

Every `faces.cluster_minutes` the faces that match nobody, from every movie, are clustered
with dlib's chinese whispers (faces nearer than `faces.cluster_threshold` link). A group of
at least `faces.cluster_min_size` gets `library/unknown/<cluster-id>/` with a crop of each
face, for the user to look at. The id is the group's oldest face (`c000123`), so it stays
the same from one clustering to the next while the group keeps that face.

`bunny name <cluster-id> <name>` adopts a group: its faces become that character's, and its
largest faces (up to ADOPTED_REFERENCES) become references, which the running daemon picks
up and matches every stored face against.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import numpy.typing as npt

from daemon.atomic import write_bytes_atomic
from daemon.character_names import DEFAULT_CLASS_WORD, character_name, default_trigger_word
from daemon.config import FacesConfig
from daemon.repository import Repository, StoredFace
from handlers.face_matching import FaceBox
from handlers.frame_files import jpeg_bytes, read_frame

UNKNOWN_FOLDER = "unknown"
CLUSTER_NAME = re.compile(r"^c\d{6,}$")
# A crop shows the face with this share of its size around it.
CROP_MARGIN = 0.5
ADOPTED_REFERENCES = 5
CROP_JPEG_QUALITY = 95


def cluster_labels(encodings: list[tuple[float, ...]], threshold: float) -> list[int]:
    """A group label per encoding (chinese whispers over links nearer than `threshold`)."""
    if not encodings:
        return []
    import dlib  # the compiled library is loaded only when there is something to cluster

    vectors = [dlib.vector(list(encoding)) for encoding in encodings]
    return [int(label) for label in dlib.chinese_whispers_clustering(vectors, threshold)]


class UnknownFaceClusters:
    def __init__(self, repo: Repository, library: Path, config: FacesConfig) -> None:
        self._repo, self._library, self._config = repo, library, config

    def run(self) -> dict[str, list[StoredFace]]:
        """Cluster the unknown faces again; returns the clusters kept, by id."""
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
        self._write_folders(clusters)
        return clusters

    def _write_folders(self, clusters: dict[str, list[StoredFace]]) -> None:
        root = self._library / UNKNOWN_FOLDER
        for folder in root.glob("c*"):
            if CLUSTER_NAME.match(folder.name) and folder.name not in clusters:
                shutil.rmtree(folder)  # a group that no longer is (ours: ids are ours)
        for cluster, members in clusters.items():
            for face in members:
                target = root / cluster / crop_name(self._repo.movie_key(face.movie_id), face)
                if not target.exists():
                    write_bytes_atomic(target, self._crop_jpeg(face))

    def _crop_jpeg(self, face: StoredFace) -> bytes:
        frame = self._library / "movies" / self._repo.movie_key(face.movie_id) / "frames"
        return face_crop_jpeg(frame / f"{face.frame}.jpg", face.box)


def crop_name(movie_key: str, face: StoredFace) -> str:
    return f"{movie_key}_{face.frame}_{face.number}.jpg"


def face_crop_jpeg(frame_path: Path, box: FaceBox) -> bytes:
    crop = _with_margin(read_frame(frame_path), box)
    return jpeg_bytes(crop, CROP_JPEG_QUALITY, f"a face of {frame_path}")


def _with_margin(picture: npt.NDArray[np.uint8], box: FaceBox) -> npt.NDArray[np.uint8]:
    height, width = picture.shape[:2]
    dx, dy = round(box.width * CROP_MARGIN), round(box.height * CROP_MARGIN)
    top, bottom = max(0, box.top - dy), min(height, box.bottom + dy)
    left, right = max(0, box.left - dx), min(width, box.right + dx)
    return picture[top:bottom, left:right]


def adopt_cluster(
    repo: Repository, library: Path, cluster: str, raw_name: str, later: tuple[str, ...]
) -> int:
    """Name a cluster: its faces become the character's; returns how many faces that was.

    `later` are the stages after `faces`: they run again for the movies these faces are in.
    """
    faces = repo.cluster_faces(cluster)
    if not faces:
        raise ValueError(f"no cluster '{cluster}' (see the folders in {library / UNKNOWN_FOLDER})")
    name = character_name(raw_name)
    character = repo.character(name) or repo.save_character(
        name, default_trigger_word(name), DEFAULT_CLASS_WORD
    )
    movies = repo.name_faces(faces, character.name)
    repo.requeue_stages(movies, later, busy_too=False)
    for face in sorted(faces, key=lambda f: f.box.area, reverse=True)[:ADOPTED_REFERENCES]:
        key = repo.movie_key(face.movie_id)
        frame = library / "movies" / key / "frames" / f"{face.frame}.jpg"
        data = face_crop_jpeg(frame, face.box)
        digest = hashlib.sha256(data).hexdigest()
        relative = f"characters/{name}/reference/{digest[:12]}.jpg"
        write_bytes_atomic(library / relative, data)
        repo.add_reference(character.id, digest, relative, face.box, face.encoding)
    shutil.rmtree(library / UNKNOWN_FOLDER / cluster, ignore_errors=True)
    return len(faces)
