"""What a process killed part-way left in the library, removed when the daemon starts.

Only files that are certainly ours go: the temporaries `write_bytes_atomic` writes
(`.<name>.tmp`) in the folders the daemon alone writes, reference copies that neither a
row nor an open adoption names, known as ours because their name is the start of their own
sha256, and in `.cache/` the review page's staged uploads and half-made thumbnails once an
hour old (`bunny web`, another process, may be writing a new one right now). Anything else, a
file the user put there included, is left as it is.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

import structlog

from daemon.characters.adoption_lock import adoption_lock
from daemon.repository import Repository

TEMPORARY = re.compile(r"^\..+\.tmp$")
REFERENCE_COPY = re.compile(r"^(?P<digest>[0-9a-f]{12})\.[A-Za-z0-9]+$")
# Folders only the daemon writes (and `bunny name`, under the adoption lock). Not models/:
# training workers are processes of their own that may outlive a daemon restart.
SWEPT_FOLDERS = (
    "characters/*/reference",
    "characters/*/dataset",
    "unknown/*",
    "movies/*",
    "movies/*/frames",
)
# Our temporaries in folders the user writes too: only these exact names go there.
OWN_TEMPORARIES = ("characters/*/.dataset.toml.tmp",)  # handlers/kohya_dataset.py
# What the review page writes on its way: an upload staged before the intake checks it
# (web/reference_changes.py) and a thumbnail being written (web/thumbnails.py).
CACHE_LEFTOVERS = (
    ".cache/uploads/*",
    ".cache/thumbnails/*/.*.tmp",
    ".cache/face-thumbnails/*/.*.tmp",
)
STALE_CACHE_SECONDS = 3600


class LeftoverSweep:
    def __init__(self, repo: Repository, library: Path) -> None:
        self._repo, self._library = repo, library
        self._log = structlog.get_logger("daemon")

    def run(self) -> list[str]:
        """Remove the leftovers; returns them, relative to the library. Call it at start,
        before anything in this process writes to the library."""
        with adoption_lock(self._library):
            leftovers = self._temporaries() + self._orphan_references() + self._stale_cache()
            for path in leftovers:
                path.unlink(missing_ok=True)
        removed = [str(path.relative_to(self._library)) for path in leftovers]
        if removed:
            self._log.info("leftovers of an interrupted run removed", files=removed)
        return removed

    def _temporaries(self) -> list[Path]:
        named = [p for n in OWN_TEMPORARIES for p in self._library.glob(n) if p.is_file()]
        return named + [
            path
            for pattern in SWEPT_FOLDERS
            for folder in self._library.glob(pattern)
            if folder.is_dir()
            for path in folder.glob(".*.tmp")
            if TEMPORARY.match(path.name) and path.is_file()
        ]

    def _stale_cache(self) -> list[Path]:
        before = time.time() - STALE_CACHE_SECONDS
        found = [p for pattern in CACHE_LEFTOVERS for p in self._library.glob(pattern)]
        return [p for p in found if p.is_file() and not p.is_symlink() and _older(p, before)]

    def _orphan_references(self) -> list[Path]:
        # Listed before the rows are read: a copy whose row comes meanwhile is seen with it.
        copies = [p for p in self._library.glob("characters/*/reference/*") if p.is_file()]
        named = self._repo.reference_files() | {
            reference.file
            for adoption in self._repo.open_adoptions()
            for reference in adoption.references
        }
        return [path for path in copies if not self._named(path, named) and _ours(path)]

    def _named(self, path: Path, named: set[str]) -> bool:
        relative = path.relative_to(self._library)
        return str(relative) in named or relative.as_posix() in named


def _older(path: Path, than: float) -> bool:
    try:
        return path.stat().st_mtime < than
    except OSError:
        return False


def _ours(path: Path) -> bool:
    """A copy we made: named after the start of its own sha256."""
    match = REFERENCE_COPY.match(path.name)
    if match is None:
        return False
    try:
        # Streamed: a large file the user put there, named like a copy, is not read whole.
        with path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return False
    return digest.startswith(match["digest"])
