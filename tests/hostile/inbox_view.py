"""What the test sees of the daemon's work without asking the daemon: the inbox tree as it
lies (by inode, links not followed) and the database, opened read-only."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

REASON_SUFFIX = ".reason.txt"
# A reason file of a long name carries a shortened name: matched on a prefix this long.
LONG_NAME_PREFIX = 64


@dataclass(frozen=True)
class TreeView:
    """Every entry under the inbox, by inode, and every link with where it points."""

    by_inode: dict[int, list[Path]]
    links: dict[Path, Path]  # link -> its target, resolved from the link's folder

    @staticmethod
    def of(inbox: Path) -> TreeView:
        by_inode: dict[int, list[Path]] = {}
        links: dict[Path, Path] = {}
        for folder, dirs, files in os.walk(inbox, followlinks=False):
            for name in (*dirs, *files):
                path = Path(folder) / name
                try:
                    stat = path.lstat()
                except OSError:
                    continue  # moved while we looked: the next look sees it
                by_inode.setdefault(stat.st_ino, []).append(path)
                if path.is_symlink():
                    links[path] = resolved_target(path)
        return TreeView(by_inode, links)

    def paths(self) -> list[Path]:
        return [path for paths in self.by_inode.values() for path in paths]


def resolved_target(link: Path) -> Path:
    return Path(os.path.normpath(link.parent / link.readlink()))


def reason_file(entry: Path) -> Path | None:
    """`<name>.reason.txt` beside a rejected entry (shortened for a long name)."""
    exact = entry.with_name(entry.name + REASON_SUFFIX)
    if _exists(exact):
        return exact
    if len(os.fsencode(entry.name)) + len(REASON_SUFFIX) <= 255:
        return None
    prefix = entry.name[:LONG_NAME_PREFIX]
    for sibling in entry.parent.iterdir():
        if sibling.name.startswith(prefix) and sibling.name.endswith(REASON_SUFFIX):
            return sibling
    return None


def _exists(path: Path) -> bool:
    try:
        path.lstat()
    except OSError:  # ENOENT, and ENAMETOOLONG for a name past 255 bytes
        return False
    return True


@dataclass(frozen=True)
class MovieRow:
    state: str
    last_error: str | None


@dataclass(frozen=True)
class DatabaseView:
    movies: dict[str, MovieRow] = field(default_factory=dict)  # by sha256
    reference_shas: frozenset[str] = frozenset()
    taken_files: frozenset[str] = frozenset()  # inbox_file paths with status taken
    characters: dict[str, tuple[str, str]] = field(default_factory=dict)  # trigger, class

    @staticmethod
    def of(database: Path) -> DatabaseView:
        if not database.exists():
            return DatabaseView()
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
        try:
            return DatabaseView._read(connection)
        except sqlite3.OperationalError:
            return DatabaseView()  # tables not made yet
        finally:
            connection.close()

    @staticmethod
    def _read(connection: sqlite3.Connection) -> DatabaseView:
        movies = {
            sha: MovieRow(state, error)
            for sha, state, error in connection.execute(
                "SELECT sha256, state, last_error FROM movie"
            )
        }
        references = frozenset(
            sha for (sha,) in connection.execute("SELECT sha256 FROM reference_face")
        )
        taken = frozenset(
            path
            for (path,) in connection.execute("SELECT path FROM inbox_file WHERE status = 'taken'")
        )
        characters = {
            name: (trigger, word)
            for name, trigger, word in connection.execute(
                "SELECT name, trigger_word, class_word FROM character"
            )
        }
        return DatabaseView(movies, references, taken, characters)
