"""Characters from the user's reference photos: `inbox/faces/<name>/` or `inbox/faces/<name>.jpg`.

A photo is accepted when it shows one face, or one face at least four times the area of any
other (a portrait with people far behind); anything else is set aside in `inbox/rejected/`
with the reason. An accepted photo is copied to `library/characters/<name>/reference/` and
its face encoding stored; the user's file stays where it was. Every change of references
rebuilds the shared reference set and matches every stored face again from its encoding,
so frames of earlier movies are relabelled without decoding anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import structlog

from daemon.atomic import copy_file_atomic
from daemon.characters.character_file import (
    CHARACTER_FILE,
    CharacterFileError,
    CharacterWords,
    read_character_file,
)
from daemon.characters.names import DEFAULT_CLASS_WORD, character_name, default_trigger_word
from daemon.config import DEFAULT_MAX_REFERENCE_MB, FacesConfig
from daemon.display_text import shown
from daemon.intake.inbox import InboxLayout, move_aside
from daemon.intake.inbox_open import (
    InboxFileOpened,
    UnusableFileError,
    open_inbox_file,
    sha256_of_handle,
)
from daemon.repository import CharacterRecord, InboxFileRecord, Relabel, Repository
from daemon.store import InboxFileStatus
from handlers.face_matching import ReferenceSet, detect_faces, largest_face_rule
from handlers.faces import ReferenceBook, finite_distance
from handlers.image_measures import rgb_of_file

# The character file's names stay importable from here, where they were first.
__all__ = [
    "CharacterFileError",
    "ReferenceIntake",
    "character_name",
    "read_character_file",
    "refresh_references",
]

BYTES_PER_MB = 1024 * 1024
PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})


class ReferenceIntake:
    def __init__(
        self,
        repo: Repository,
        inbox: InboxLayout,
        library: Path,
        book: ReferenceBook,
        max_photo_mb: float = DEFAULT_MAX_REFERENCE_MB,
        follow_symlinks: bool = True,
    ) -> None:
        self._repo, self._inbox, self._library, self.book = repo, inbox, library, book
        self._max_photo_bytes = int(max_photo_mb * BYTES_PER_MB)
        self._follow_symlinks = follow_symlinks
        self._log = structlog.get_logger("references")

    def take(self, path: Path) -> bool:
        """Handle one settled file under inbox/faces; True when the references changed."""
        with structlog.contextvars.bound_contextvars(stage="references", file=path.name):
            try:
                with open_inbox_file(path, self._follow_symlinks) as opened:
                    return self._take_opened(path, opened)
            except UnusableFileError as exc:
                # Moved once closed: Windows cannot move a file that is open.
                self._reject(path, str(exc))
                return False

    def _take_opened(self, path: Path, opened: InboxFileOpened) -> bool:
        known = self._repo.inbox_file(path)
        if known and (known.size, known.mtime_ns) == (opened.size, opened.mtime_ns):
            return False  # seen as it is now: a rescan, not a change
        try:
            name = character_name(self._name_part(path))
            if path.name == CHARACTER_FILE:
                self._words(name, path, opened.handle)
                changed = False
            else:
                changed = self._photo(name, path, opened, path.parent)
        except (ValueError, OSError) as exc:
            raise UnusableFileError(str(exc)) from exc
        record = InboxFileRecord(
            path, opened.size, opened.mtime_ns, None, InboxFileStatus.TAKEN, None
        )
        self._repo.record_inbox_file(record)
        return changed

    def take_upload(self, name: str, path: Path) -> bool:
        """A photo of the existing character `name` sent from the review page: checked as a
        photo in inbox/faces/<name>/ is. Raises UnusableFileError with the reason; setting
        the file aside is the caller's (it knows the name the user gave it)."""
        with structlog.contextvars.bound_contextvars(stage="references", file=path.name):
            try:
                with open_inbox_file(path, follow_symlinks=False) as opened:
                    return self._photo(name, path, opened, self._inbox.faces / name)
            except (ValueError, OSError) as exc:
                raise UnusableFileError(str(exc)) from exc

    def _name_part(self, path: Path) -> str:
        relative = path.relative_to(self._inbox.faces)
        return relative.parts[0] if len(relative.parts) > 1 else path.stem

    def _words(self, name: str, path: Path, handle: BinaryIO) -> None:
        """Checks the file now; the words are saved only for a character that exists (made
        with its first accepted photo, which reads this file then)."""
        words = read_character_file(path, name, handle)
        if self._repo.character(name) is None:
            self._log.info(
                "character words read; saved with the first accepted photo", character=name
            )
            return
        self._repo.save_character(name, words.trigger_word, words.class_word)
        self._log.info("character words set", character=name, trigger_word=words.trigger_word)

    def _new_words(self, name: str, folder: Path) -> CharacterWords | None:
        """A new character's words (its character.yaml's, else the defaults); None when the
        character exists. Raises on a bad character.yaml before anything is written."""
        if self._repo.character(name) is not None:
            return None
        settings = folder / CHARACTER_FILE
        try:
            with open_inbox_file(settings, self._follow_symlinks) as opened:
                return read_character_file(settings, name, opened.handle)
        except (UnusableFileError, FileNotFoundError):
            # No usable character.yaml beside the photo (none, a FIFO, ...): the defaults;
            # the file itself is judged, and set aside, on its own.
            return CharacterWords(default_trigger_word(name), DEFAULT_CLASS_WORD)

    def _character(self, name: str, words: CharacterWords | None) -> CharacterRecord:
        known = self._repo.character(name)
        if known is not None:
            return known
        words = words or CharacterWords(default_trigger_word(name), DEFAULT_CLASS_WORD)
        return self._repo.save_character(name, words.trigger_word, words.class_word)

    def _photo(self, name: str, path: Path, opened: InboxFileOpened, folder: Path) -> bool:
        """`folder`: where the character's character.yaml would be."""
        if path.suffix.lower() not in PHOTO_SUFFIXES:
            raise ValueError(f"not a photo ({shown(path.suffix or 'no suffix')}); use JPEG or PNG")
        self._check_size(opened.size)
        handle = opened.handle
        digest = sha256_of_handle(handle)
        known = self._repo.character(name)
        if known is not None and self._repo.has_reference(known.id, digest):
            return False
        handle.seek(0)
        faces = detect_faces(rgb_of_file(handle))
        face = largest_face_rule(faces)
        if face is None:
            raise ValueError(_why_no_face(len(faces)))
        words = self._new_words(name, folder)
        copy = self._library / "characters" / name / "reference" / f"{digest[:12]}{path.suffix}"
        handle.seek(0)
        copy_file_atomic(handle, copy, self._max_photo_bytes)
        # Made only now, with the copy in place: a rejected photo leaves no character behind.
        character = self._character(name, words)
        relative = str(copy.relative_to(self._library))
        self._repo.add_reference(character.id, digest, relative, face.box, face.encoding)
        self._log.info("reference added", character=name, box=face.box, copy=relative)
        return True

    def _check_size(self, size: int) -> None:
        if size > self._max_photo_bytes:
            raise ValueError(
                f"the photo is {size / BYTES_PER_MB:,.1f} MB; a reference photo is at most "
                f"{self._max_photo_bytes / BYTES_PER_MB:g} MB (faces.max_reference_mb)"
            )

    def _reject(self, path: Path, reason: str) -> None:
        moved = move_aside(path, self._inbox.rejected, reason)
        self._repo.forget_inbox_file(path)
        self._log.warning("reference photo rejected", reason=reason, moved_to=str(moved))


def _why_no_face(count: int) -> str:
    if count == 0:
        return "no face found in the photo; a reference photo needs one clear face"
    return (
        f"{count} faces of similar size; a reference photo needs one face, or one face "
        "at least four times the area of any other"
    )


def refresh_references(
    repo: Repository, book: ReferenceBook, config: FacesConfig, requeue: tuple[str, ...] = ()
) -> set[int]:
    """Rebuild the reference set, match every stored face again; returns the movies changed,
    whose `requeue` stages (those that read the labels) are queued with the new labels."""
    names, encodings = repo.reference_encodings()
    # Faces the user confirmed (a named cluster, a moved dataset image) teach matching too.
    confirmed_names, confirmed = repo.confirmed_face_encodings()
    references = ReferenceSet(
        names + confirmed_names,
        encodings + confirmed,
        config.tolerance,
        config.margin,
        config.doubtful_tolerance,
    )
    book.replace(references)
    # Never the faces the user named, ignored or put in a cluster by hand.
    faces = repo.matchable_faces()
    matches = references.match_faces(faces, config.doubtful_face_pixels)
    changed = [
        (face, match)
        for face, match in zip(faces, matches, strict=True)
        if match.character != face.character
    ]
    repo.relabel_faces(
        [
            Relabel(
                face.id,
                face.movie_id,
                face.frame,
                face.number,
                m.character,
                finite_distance(m.distance),
                finite_distance(m.runner_up),
            )
            for face, m in changed
        ],
        requeue,
    )
    return {face.movie_id for face, _ in changed}
