"""Every hostile input of the suite, for a run as root or as an unprivileged user."""

from __future__ import annotations

from tests.conftest import SHARED_MEDIA
from tests.hostile.catalogue import InputSpec
from tests.hostile.face_inputs import face_inputs
from tests.hostile.link_inputs import link_inputs
from tests.hostile.movie_inputs import movie_inputs
from tests.hostile.name_inputs import name_inputs

# A portrait with one clear face (HOG finds it in ~0.2 s), from the project's shared media.
FACE_PHOTO = SHARED_MEDIA / "faces" / "face_recognition" / "examples" / "obama_small.jpg"


def all_inputs(faces: bool) -> list[InputSpec]:
    inputs = [*movie_inputs(), *link_inputs(faces), *face_inputs(), *name_inputs()]
    keys = [item.key for item in inputs]
    assert len(set(keys)) == len(keys), "two inputs share a key"
    wheres = [item.where for item in inputs]
    assert len(set(wheres)) == len(wheres), "two inputs share a path"
    return inputs


def inputs_for(unprivileged: bool, faces: bool) -> list[InputSpec]:
    """Locked inputs only where they are locked: as root every file is readable."""
    return [item for item in all_inputs(faces) if unprivileged or not item.locked]
