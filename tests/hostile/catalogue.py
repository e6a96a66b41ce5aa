"""What a hostile input is: where it is dropped, how it is made, what must become of it.

The outcomes a test accepts are the terminal ones of the issue ("done, or rejected with a
reason file"), spelled per kind of input:

- DONE: a movie processed, or skipped as a byte-identical copy of a movie processed, and
  left where it was dropped (`after_done: keep`).
- REJECTED: moved into inbox/rejected/ with `<name>.reason.txt` beside it.
- REFERENCE: a reference photo accepted (a reference with its sha256), left where it was.
- WORDS: a character.yaml read, left where it was, its words one printable line.
- LEFT_ALONE: dot-files, `.part` names, folders: by design never taken. Their terminal
  outcome is "untouched and not rejected": still in place, and no movie made of them.

`failed` (the retry ladder run out) is never accepted: it is reported, with its error.
"""

from __future__ import annotations

import enum
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.media import write_clip


class Outcome(enum.StrEnum):
    DONE = "done"
    REJECTED = "rejected"
    REFERENCE = "reference"
    WORDS = "words"
    LEFT_ALONE = "left alone"
    # Observed only, never expected:
    FAILED = "failed"
    PENDING = "pending"
    LOST = "lost"


TERMINAL = frozenset({Outcome.DONE, Outcome.REJECTED, Outcome.REFERENCE, Outcome.WORDS})
# The daemon has finished with the input, rightly or not: waiting longer changes nothing.
SETTLED = TERMINAL | {Outcome.FAILED}


class Kind(enum.StrEnum):
    MOVIE = "movie"  # under inbox/movies/
    PHOTO = "photo"  # under inbox/faces/
    WORDS = "character.yaml"  # under inbox/faces/<name>/
    FOLDER = "folder"  # a folder, anywhere


@dataclass(frozen=True)
class Materials:
    """What makers share: a clip cache, the sentinel folder outside the tree (what links
    point into), real face photos when ../shared/media has them, background writers."""

    clips: Path
    sentinel: Path
    face: Path | None
    writers: list[threading.Thread] = field(default_factory=list)
    # sha256 of inputs by key and size, kept across runs: the 3 GB ones are hashed once.
    hashes: dict[str, str] = field(default_factory=dict)

    def clip(self, seed: int) -> Path:
        """A valid 1-second clip; each seed gives other bytes (another movie)."""
        path = self.clips / f"seed-{seed}.mp4"
        if not path.exists():
            write_clip(path, seconds=1.0, size=(96, 64), seed=seed)
        return path

    def real_face(self) -> Path:
        assert self.face is not None, "a maker that needs a real face ran without one"
        return self.face


Maker = Callable[[Path, Materials], None]


@dataclass(frozen=True)
class InputSpec:
    key: str  # short ASCII id, the test id
    where: str  # path below the inbox; os.fsdecode form for names that are not UTF-8
    kind: Kind
    expected: frozenset[Outcome]
    make: Maker
    in_place: bool = False  # made in the live inbox at the drop (FIFOs, links, a growing file)
    needs_face: bool = False  # needs a real face photo (skipped without ../shared/media)
    # Unprivileged run only: left root's, with this mode: 0o600 a file it cannot read,
    # 0o700 a folder it cannot list, 0o744 one it can list but not look into.
    lock_mode: int | None = None
    no_character: str | None = None  # this character must not exist afterwards
    reason_excludes: str | None = None  # words its reason must not give (the wrong check)

    @property
    def locked(self) -> bool:
        return self.lock_mode is not None

    def __post_init__(self) -> None:
        assert self.key.isascii() and " " not in self.key, self.key


def spec(
    key: str,
    where: str,
    kind: Kind,
    expected: Outcome | set[Outcome],
    make: Maker,
    *,
    in_place: bool = False,
    needs_face: bool = False,
    lock_mode: int | None = None,
    no_character: str | None = None,
    reason_excludes: str | None = None,
) -> InputSpec:
    wanted = frozenset({expected} if isinstance(expected, Outcome) else expected)
    return InputSpec(
        key,
        where,
        kind,
        wanted,
        make,
        in_place,
        needs_face,
        lock_mode,
        no_character,
        reason_excludes,
    )


def copy_clip(seed: int) -> Maker:
    def make(target: Path, materials: Materials) -> None:
        shutil.copyfile(materials.clip(seed), target)

    return make


def write_bytes(data: bytes) -> Maker:
    def make(target: Path, _materials: Materials) -> None:
        target.write_bytes(data)

    return make
