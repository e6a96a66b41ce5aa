"""The labelled photos of ../shared/media the identity slideshow is made of, and who is in each.

Labels come from the truth files shipped beside the photos: identities.json (knn_examples,
the single and multi-face examples, the Hamilton references), face_detection_expected.json
(test_images; 32bit.png is left out, its identity unverified there) and johns/identities.json.

Each person has one reference, the photo the daemon learns them from: the first (sorted) of
their knn_examples/train folder, the first crop of each John, Lin-Manuel Miranda's only photo.
Every other photo is shown, except one that repeats a reference or an earlier photo (the same
bytes, or a perceptual hash within the daemon's duplicate distance): a film does not show one
picture twice, and the quality stage rightly drops the second as a near-duplicate.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from daemon.config import QualityConfig
from handlers.image_measures import grey_of_file, hamming, perceptual_hash, working_grey

FACES = "faces/face_recognition"
KNN = f"{FACES}/examples/knn_examples"
JOHNS = "faces/johns"
KNN_PEOPLE = {
    "alex_lacamoire": "Alex Lacamoire",
    "biden": "Joe Biden",
    "kit_harington": "Kit Harington",
    "obama": "Barack Obama",
    "rose_leslie": "Rose Leslie",
}
UNVERIFIED = frozenset({f"{FACES}/tests/test_images/32bit.png"})


@dataclass(frozen=True)
class LabelledPhoto:
    path: str  # relative to the media folder
    people: tuple[str, ...]  # sorted


@dataclass(frozen=True)
class LeftOut:
    path: str
    why: str


@dataclass(frozen=True)
class PhotoSet:
    references: tuple[LabelledPhoto, ...]  # one per person, each naming one person
    shown: tuple[LabelledPhoto, ...]  # sorted by path
    left_out: tuple[LeftOut, ...]

    @property
    def people(self) -> tuple[str, ...]:
        return tuple(sorted({p for photo in self.references for p in photo.people}))


def _truth(media: Path, relative: str) -> Any:
    return json.loads((media / relative).read_text(encoding="utf-8"))


def _photo(relative: str, *people: str) -> LabelledPhoto:
    return LabelledPhoto(relative, tuple(sorted(people)))


def labelled_photos(media: Path) -> Iterator[LabelledPhoto]:
    """Every photo with a published label, once per path."""
    identities = _truth(media, f"{FACES}/identities.json")
    for person_key, files in identities["knn_train"].items():
        yield from (_photo(f"{FACES}/{f}", KNN_PEOPLE[person_key]) for f in files)
    for file, keys in _labels(identities["knn_test"]):
        yield _photo(f"{FACES}/{file}", *(KNN_PEOPLE[k] for k in keys))
    for file, name in _labels(identities["single_identity_images"]):
        yield _photo(f"{FACES}/{file}", name)
    for file, entry in _labels(identities["multi_face_images"]):
        yield _photo(f"{FACES}/{file}", *entry["identities"])
    for file, name in _labels(identities["video_reference_faces"]):
        yield _photo(f"{FACES}/{file}", name)
    same = _truth(media, f"{FACES}/face_detection_expected.json")["same_identity"]
    for name, files in _labels(same):
        yield from (_photo(f"{FACES}/{f}", name) for f in files)
    for name, files in _truth(media, f"{JOHNS}/identities.json")["identities"].items():
        yield from (_photo(f"{JOHNS}/{f}", name) for f in files)


def _labels(section: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """A truth section's entries, without its notes (keys starting with '_')."""
    return ((key, value) for key, value in section.items() if not key.startswith("_"))


def _reference_of(photos: list[LabelledPhoto], person: str) -> LabelledPhoto:
    alone = sorted((p for p in photos if p.people == (person,)), key=lambda p: p.path)
    trained = [p for p in alone if f"{KNN}/train/" in p.path]
    return (trained or alone)[0]


def photo_set(media: Path) -> PhotoSet:
    unique = {p.path: p for p in labelled_photos(media) if p.path not in UNVERIFIED}
    photos = sorted(unique.values(), key=lambda p: p.path)
    people = sorted({person for photo in photos for person in photo.people})
    references = tuple(_reference_of(photos, person) for person in people)
    shown, left_out = _without_repeats(media, references, photos)
    return PhotoSet(references, shown, left_out)


def _without_repeats(
    media: Path, references: Iterable[LabelledPhoto], photos: list[LabelledPhoto]
) -> tuple[tuple[LabelledPhoto, ...], tuple[LeftOut, ...]]:
    distance = QualityConfig().duplicate_distance
    seen: list[tuple[str, str, int]] = [_fingerprint(media, p.path) for p in references]
    shown: list[LabelledPhoto] = []
    left_out: list[LeftOut] = []
    for photo in photos:
        path, digest, phash = _fingerprint(media, photo.path)
        twin = next((s for s in seen if s[1] == digest or hamming(s[2], phash) <= distance), None)
        if twin is None:
            shown.append(photo)
            seen.append((path, digest, phash))
        elif twin[0] != path:
            bits = hamming(twin[2], phash)
            how = "a copy" if twin[1] == digest else f"a near-duplicate ({bits} bits)"
            left_out.append(LeftOut(path, f"{how} of {twin[0]}"))
    return tuple(shown), tuple(left_out)


def _fingerprint(media: Path, relative: str) -> tuple[str, str, int]:
    digest = hashlib.sha256((media / relative).read_bytes()).hexdigest()
    return relative, digest, perceptual_hash(working_grey(grey_of_file(str(media / relative))))
