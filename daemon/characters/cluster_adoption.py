"""Adopting a cluster (`bunny name`, or a folder moved into characters/) as one unit.

A kill at any moment leaves one of two states. Not begun: the database is as it was and the
cluster whole (the reference crops exist only in memory). Begun: one transaction named the
faces, queued their movies again and recorded what is left to do: the reference crops'
bytes, the crops of a moved folder to file. Whoever takes the adoption lock next (`bunny
name` again, the daemon at start and every minute) finishes a begun adoption by redoing its
file steps, each of which is harmless to repeat, then adds the references and drops the
record in one more transaction. A reference row therefore never exists without its file.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
from pathlib import Path

import structlog

from daemon.atomic import write_bytes_atomic
from daemon.characters.adoption_lock import adoption_lock
from daemon.characters.face_crops import face_crop_jpeg
from daemon.characters.names import character_name
from daemon.intake.inbox import move_into
from daemon.repository import (
    AdoptionPlan,
    CropFiling,
    OpenAdoption,
    PlannedReference,
    Repository,
    StoredFace,
)

UNKNOWN_FOLDER = "unknown"
CHARACTERS_FOLDER = "characters"
MARKER = "cluster.json"
ADOPTED_REFERENCES = 5


class ClusterAdoption:
    def __init__(self, repo: Repository, library: Path) -> None:
        self._repo, self._library = repo, library
        self._log = structlog.get_logger("clusters")

    def adopt(
        self,
        cluster: str,
        faces: list[StoredFace],
        raw_name: str,
        later: tuple[str, ...],
        filing: CropFiling | None = None,
    ) -> str:
        """`faces` (of `cluster`) become the character's; its largest become references.

        `later` are the stages that run again for their movies. Returns the character's
        folder-safe name.
        """
        name = character_name(raw_name)
        with adoption_lock(self._library):
            self._finish_open()
            self._finish(self._repo.begin_adoption(self.plan(cluster, faces, name, later, filing)))
        return name

    def adopt_cluster(self, cluster: str, raw_name: str, later: tuple[str, ...]) -> int:
        """`bunny name`: every face of the cluster; returns how many faces that was.

        Run again after a kill, it finishes the adoption the first run began; run again
        after it finished, it says so (the same count, when the name is the same).
        """
        name = character_name(raw_name)
        with adoption_lock(self._library):
            self._finish_open()
            faces = self._repo.cluster_faces(cluster)
            if faces:
                plan = self.plan(cluster, faces, name, later, None)
                self._finish(self._repo.begin_adoption(plan))
                return len(faces)
        return self._adopted_before(cluster, name)

    def _adopted_before(self, cluster: str, name: str) -> int:
        done = self._repo.adopted_as(cluster)
        if done is None:
            folder = self._library / UNKNOWN_FOLDER
            raise ValueError(f"no cluster '{cluster}' (see the folders in {folder})")
        if done.character != name:
            raise ValueError(f"cluster '{cluster}' was adopted as '{done.character}' already")
        return done.faces

    def finish_open(self) -> list[OpenAdoption]:
        """Finish the adoptions a killed process began; returns them."""
        with adoption_lock(self._library):
            return self._finish_open()

    def _finish_open(self) -> list[OpenAdoption]:
        adoptions = self._repo.open_adoptions()
        for adoption in adoptions:
            self._log.warning(
                "finishing an adoption that was interrupted",
                cluster=adoption.cluster,
                character=adoption.character,
            )
            self._finish(adoption)
        return adoptions

    def plan(
        self,
        cluster: str,
        faces: list[StoredFace],
        name: str,
        later: tuple[str, ...],
        filing: CropFiling | None,
    ) -> AdoptionPlan:
        """What adopting these faces writes: made in memory, before anything changes."""
        largest = sorted(faces, key=lambda f: f.box.area, reverse=True)[:ADOPTED_REFERENCES]
        return AdoptionPlan(
            cluster,
            name,
            tuple(faces),
            tuple(self._reference(face, name) for face in largest),
            later,
            filing,
        )

    def _reference(self, face: StoredFace, name: str) -> PlannedReference:
        key = self._repo.movie_key(face.movie_id)
        frame = self._library / "movies" / key / "frames" / f"{face.frame}.jpg"
        data = face_crop_jpeg(frame, face.box)
        digest = hashlib.sha256(data).hexdigest()
        relative = f"{CHARACTERS_FOLDER}/{name}/reference/{digest[:12]}.jpg"
        return PlannedReference(relative, digest, face.box, face.encoding, data)

    def _finish(self, adoption: OpenAdoption) -> None:
        """The file steps, each harmless to repeat, then the references' rows."""
        for reference in adoption.references:
            path = self._library / reference.file
            if not _holds(path, reference.sha256):
                write_bytes_atomic(path, reference.data)
        if adoption.filing is not None:
            self._file_crops(adoption.filing, adoption.character)
        shutil.rmtree(self._library / UNKNOWN_FOLDER / adoption.cluster, ignore_errors=True)
        self._repo.end_adoption(adoption)

    def _file_crops(self, filing: CropFiling, name: str) -> None:
        """Our crops and the marker (last: it is what makes a folder adoptable) move away."""
        folder, target = self._library / filing.folder, self._library / filing.target
        for crop in filing.crops:
            if (folder / crop).is_file():
                move_into(folder / crop, target)
        if (folder / MARKER).is_file():
            move_into(folder / MARKER, target)
        if folder != self._library / CHARACTERS_FOLDER / name:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty: files the user added stay


def _holds(path: Path, sha256: str) -> bool:
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest() == sha256
    except OSError:
        return False
