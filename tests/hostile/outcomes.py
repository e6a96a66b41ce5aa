"""Where each dropped input is now, and what that means: its outcome, and any fault beside it
(a rejected photo that left its character behind, words that are not one printable line)."""

from __future__ import annotations

import hashlib
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from tests.hostile.catalogue import InputSpec, Kind, Outcome
from tests.hostile.inbox_view import DatabaseView, TreeView, reason_file, resolved_target

# Files larger than this are fingerprinted by size, head and tail (a 3 GB sparse tail is
# not read twice a run); smaller ones by their whole sha256.
WHOLE_HASH_LIMIT = 64 * 1024 * 1024
EDGE_BYTES = 1024 * 1024
# A word a caption starts with: one printable line, and short.
MAX_WORD_CHARACTERS = 200
MOVED_TO = frozenset({"rejected", "done"})  # the inbox folders a dropped file is moved into


@dataclass(frozen=True)
class Identity:
    """How a dropped input is recognised wherever the daemon put it."""

    spec: InputSpec
    path: Path  # where it was dropped
    inode: int
    file_type: int  # stat.S_IFMT: a reused inode of another type is not this input
    link_target: Path | None  # a link: where it points (resolved)
    sha256: str | None  # the bytes read through it, when they are a regular file
    fingerprint: str | None  # the same bytes, cheaply (see WHOLE_HASH_LIMIT)


def identify(spec: InputSpec, dropped: Path, now: Path, sha_cache: dict[str, str]) -> Identity:
    """`dropped`: where the input lies in the inbox; `now`: where it can be read right now
    (the staging folder before the drop, or wherever the daemon has put it since)."""
    info = now.lstat()
    link = resolved_target(dropped) if now.is_symlink() else None
    content = link if link is not None else now
    regular = _is_regular(content)
    sha = None
    if regular:
        key = f"{spec.key}:{content.stat().st_size}"
        sha = sha_cache.get(key) or sha256_of(content)
        sha_cache[key] = sha
    return Identity(
        spec,
        dropped,
        info.st_ino,
        stat.S_IFMT(info.st_mode),
        link,
        sha,
        fingerprint(content) if regular else None,
    )


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(EDGE_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint(path: Path) -> str:
    size = path.stat().st_size
    if size <= WHOLE_HASH_LIMIT:
        return sha256_of(path)
    with path.open("rb") as handle:
        head = handle.read(EDGE_BYTES)
        handle.seek(size - EDGE_BYTES)
        tail = handle.read(EDGE_BYTES)
    return f"{size}:{hashlib.sha256(head + tail).hexdigest()}"


@dataclass(frozen=True)
class Observation:
    outcome: Outcome
    where: Path | None
    detail: str
    faults: tuple[str, ...] = ()


def locate(identity: Identity, tree: TreeView) -> list[Path]:
    """The entry itself (same inode). A relative link moved aside is made again (a new
    inode), so a link is also found by its name, or the free name `stem (2).suffix`; one
    that still points where it did first."""
    found = [p for p in tree.by_inode.get(identity.inode, []) if _type_of(p) == identity.file_type]
    if found or identity.link_target is None:
        return found
    original = identity.path
    free_name = rf"{re.escape(original.stem)} \(\d+\){re.escape(original.suffix)}"
    named = [
        link
        for link in tree.links
        if link.parent.name in MOVED_TO
        and (link.name == original.name or re.fullmatch(free_name, link.name))
    ]
    return sorted(named, key=lambda link: tree.links[link] != identity.link_target)


def _type_of(path: Path) -> int | None:
    try:
        return stat.S_IFMT(path.lstat().st_mode)
    except OSError:
        return None


def observe(identity: Identity, inbox: Path, tree: TreeView, db: DatabaseView) -> Observation:
    places = locate(identity, tree)
    if not places:
        return Observation(Outcome.LOST, None, "it is nowhere in the inbox")
    aside = [p for p in places if p.is_relative_to(inbox / "rejected")]
    if aside:
        return _rejected(identity, aside[0], db)
    spec = identity.spec
    where = identity.path if identity.path in places else places[0]
    if spec.kind is Kind.MOVIE and identity.sha256 is not None:
        return _movie(identity, where, db)
    if spec.kind is Kind.PHOTO and identity.sha256 in db.reference_shas:
        return Observation(Outcome.REFERENCE, where, "a reference")
    if spec.kind is Kind.WORDS and str(identity.path) in db.taken_files:
        return _words(identity, where, db)
    return _untouched(identity, where)


def _rejected(identity: Identity, entry: Path, db: DatabaseView) -> Observation:
    reason = reason_file(entry)
    if reason is None:
        return Observation(Outcome.PENDING, entry, "moved to rejected/ with no reason file")
    text = reason.read_bytes().decode("utf-8", errors="replace")
    line = next((x for x in text.splitlines() if x.startswith("reason:")), text[:300])
    faults = []
    excluded = identity.spec.reason_excludes
    if excluded is not None and excluded in line.lower():
        faults.append(f"refused for the wrong reason (it must not mention {excluded!r})")
    owner = identity.spec.no_character
    if owner is not None and owner in db.characters:
        faults.append(f"its rejection left the character {owner!r} behind, with no reference")
    return Observation(Outcome.REJECTED, entry, line[:300], tuple(faults))


def _movie(identity: Identity, where: Path, db: DatabaseView) -> Observation:
    assert identity.sha256 is not None
    row = db.movies.get(identity.sha256)
    if row is None:
        return _untouched(identity, where)
    if row.state == "done":
        return Observation(Outcome.DONE, where, "done")
    if row.state == "failed":
        return Observation(Outcome.FAILED, where, f"failed: {row.last_error}")
    return Observation(Outcome.PENDING, where, f"{row.state} (last error: {row.last_error})")


def _words(identity: Identity, where: Path, db: DatabaseView) -> Observation:
    owner = identity.path.parent.name
    words = db.characters.get(owner, ("", ""))
    faults = tuple(
        f"its words are stored as they came: {word[:60]!r} ({len(word)} characters)"
        for word in words
        if not word.isprintable() or len(word) > MAX_WORD_CHARACTERS
    )
    return Observation(Outcome.WORDS, where, f"read: {words[0][:40]!r}, {words[1][:40]!r}", faults)


def _untouched(identity: Identity, where: Path) -> Observation:
    if Outcome.LEFT_ALONE in identity.spec.expected and where == identity.path:
        return Observation(Outcome.LEFT_ALONE, where, "in place, never taken")
    return Observation(Outcome.PENDING, where, "in place, no outcome yet")
