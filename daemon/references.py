"""Characters from the user's reference photos: `inbox/faces/<name>/` or `inbox/faces/<name>.jpg`.

A photo is accepted when it shows one face, or one face at least four times the area of any
other (a portrait with people far behind); anything else is set aside in `inbox/rejected/`
with the reason. An accepted photo is copied to `library/characters/<name>/reference/` and
its face encoding stored; the user's file stays where it was. Every change of references
rebuilds the shared reference set and matches every stored face again from its encoding,
so frames of earlier movies are relabelled without decoding anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import structlog
import yaml

from daemon.atomic import copy_file_atomic
from daemon.character_names import DEFAULT_CLASS_WORD, character_name, default_trigger_word
from daemon.config import DEFAULT_MAX_REFERENCE_MB, FacesConfig
from daemon.display_text import REASON_LIMIT, shown, shown_value
from daemon.inbox import InboxLayout, move_aside, sha256_of
from daemon.repository import CharacterRecord, InboxFileRecord, Relabel, Repository
from daemon.store import InboxFileStatus
from handlers.face_matching import ReferenceSet, detect_faces, largest_face_rule
from handlers.faces import ReferenceBook, finite_distance
from handlers.image_measures import rgb_of_file

CHARACTER_FILE = "character.yaml"
# trigger_word and class_word, with room for comments; anything larger is not one.
MAX_CHARACTER_FILE_BYTES = 4096
MAX_WORD_CHARACTERS = 64
BYTES_PER_MB = 1024 * 1024
PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})


class CharacterFileError(ValueError):
    """character.yaml is not valid; the message names the file and the key."""


@dataclass(frozen=True)
class CharacterWords:
    trigger_word: str
    class_word: str


def read_character_file(path: Path, name: str) -> CharacterWords:
    raw = _character_document(path)
    if not isinstance(raw, dict):
        raise CharacterFileError(f"{path}: must be a mapping (trigger_word, class_word)")
    unknown = sorted(str(key) for key in set(raw) - {"trigger_word", "class_word"})
    if unknown:
        raise CharacterFileError(
            f"{path}: unknown key '{shown(unknown[0])}' (allowed: class_word, trigger_word)"
        )
    words = {key: raw.get(key) for key in ("trigger_word", "class_word")}
    for key, value in words.items():
        if value is not None and not _is_word(value):
            raise CharacterFileError(
                f"{path}: '{key}' must be a non-empty word: one line of at most "
                f"{MAX_WORD_CHARACTERS} printable characters, got {shown_value(value)}"
            )
    return CharacterWords(
        trigger_word=(words["trigger_word"] or default_trigger_word(name)).strip(),
        class_word=(words["class_word"] or DEFAULT_CLASS_WORD).strip(),
    )


def _character_document(path: Path) -> object:
    """The parsed file; refused before parsing when too large or when it uses anchors and
    aliases (a few hundred bytes of aliases expand into gigabytes once walked)."""
    try:
        size = path.stat().st_size
        if size > MAX_CHARACTER_FILE_BYTES:
            raise CharacterFileError(
                f"{path}: {size} bytes; a character file is at most "
                f"{MAX_CHARACTER_FILE_BYTES} bytes (trigger_word and class_word)"
            )
        text = path.read_text(encoding="utf-8")
        if any(
            isinstance(t, yaml.AnchorToken | yaml.AliasToken)
            for t in yaml.scan(text, Loader=yaml.SafeLoader)
        ):
            raise CharacterFileError(f"{path}: YAML anchors and aliases (&, *) are not allowed")
        return yaml.safe_load(text) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = shown(str(exc), REASON_LIMIT)
        raise CharacterFileError(f"{path}: not readable YAML: {reason}") from exc


def _is_word(value: object) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value.strip()) <= MAX_WORD_CHARACTERS
        and value.strip().isprintable()
    )


class ReferenceIntake:
    def __init__(
        self,
        repo: Repository,
        inbox: InboxLayout,
        library: Path,
        book: ReferenceBook,
        max_photo_mb: float = DEFAULT_MAX_REFERENCE_MB,
    ) -> None:
        self._repo, self._inbox, self._library, self.book = repo, inbox, library, book
        self._max_photo_bytes = int(max_photo_mb * BYTES_PER_MB)
        self._log = structlog.get_logger("references")

    def take(self, path: Path) -> bool:
        """Handle one settled file under inbox/faces; True when the references changed."""
        with structlog.contextvars.bound_contextvars(stage="references", file=path.name):
            stat = path.stat()
            known = self._repo.inbox_file(path)
            if known and (known.size, known.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
                return False  # seen as it is now: a rescan, not a change
            try:
                name = character_name(self._name_part(path))
                if path.name == CHARACTER_FILE:
                    self._words(name, path)
                    changed = False
                else:
                    changed = self._photo(name, path)
            except (ValueError, OSError) as exc:
                self._reject(path, str(exc))
                return False
            record = InboxFileRecord(
                path, stat.st_size, stat.st_mtime_ns, None, InboxFileStatus.TAKEN, None
            )
            self._repo.record_inbox_file(record)
            return changed

    def _name_part(self, path: Path) -> str:
        relative = path.relative_to(self._inbox.faces)
        return relative.parts[0] if len(relative.parts) > 1 else path.stem

    def _words(self, name: str, path: Path) -> None:
        """Checks the file now; the words are saved only for a character that exists (made
        with its first accepted photo, which reads this file then)."""
        words = read_character_file(path, name)
        if self._repo.character(name) is None:
            self._log.info(
                "character words read; saved with the first accepted photo", character=name
            )
            return
        self._repo.save_character(name, words.trigger_word, words.class_word)
        self._log.info("character words set", character=name, trigger_word=words.trigger_word)

    def _character(self, name: str, folder: Path) -> CharacterRecord:
        known = self._repo.character(name)
        if known is not None:
            return known
        settings = folder / CHARACTER_FILE
        if settings.is_file():
            words = read_character_file(settings, name)
            return self._repo.save_character(name, words.trigger_word, words.class_word)
        return self._repo.save_character(name, default_trigger_word(name), DEFAULT_CLASS_WORD)

    def _photo(self, name: str, path: Path) -> bool:
        if path.suffix.lower() not in PHOTO_SUFFIXES:
            raise ValueError(f"not a photo ({shown(path.suffix or 'no suffix')}); use JPEG or PNG")
        self._check_size(path.stat().st_size)
        digest = sha256_of(path)
        known = self._repo.character(name)
        if known is not None and self._repo.has_reference(known.id, digest):
            return False
        faces = detect_faces(rgb_of_file(str(path)))
        face = largest_face_rule(faces)
        if face is None:
            raise ValueError(_why_no_face(len(faces)))
        # Made only now: a rejected photo leaves no character behind.
        character = self._character(name, path.parent)
        copy = self._library / "characters" / name / "reference" / f"{digest[:12]}{path.suffix}"
        copy_file_atomic(path, copy, self._max_photo_bytes)
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


def refresh_references(repo: Repository, book: ReferenceBook, config: FacesConfig) -> set[int]:
    """Rebuild the reference set, match every stored face again; returns the movies changed."""
    names, encodings = repo.reference_encodings()
    # Faces the user confirmed (a named cluster, a moved dataset image) teach matching too.
    confirmed_names, confirmed = repo.confirmed_face_encodings()
    references = ReferenceSet(
        names + confirmed_names, encodings + confirmed, config.tolerance, config.margin
    )
    book.replace(references)
    faces = [face for face in repo.stored_faces() if not face.confirmed]
    matches = references.match_many([f.encoding for f in faces]) if faces else []
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
        ]
    )
    return {face.movie_id for face, _ in changed}
