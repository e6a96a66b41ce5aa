"""Makers of the inputs that are not plain bytes: FIFOs, links of every shape, folders, a
file still being written, files with a sparse tail, and the sentinel folder links point into.

The sentinel folder lies outside the inbox and the library: the daemon may read it through
a link, never change it. The session snapshots it before the drop and compares after.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

from tests.hostile import broken_media
from tests.hostile.catalogue import Maker, Materials
from tests.media import write_clip

OUTSIDE_CLIP = "outside.mp4"
HARD_LINKED_CLIP = "hard-linked.mp4"
RELATIVE_CLIP = "relative.mp4"
OUTSIDE_FOLDER = "folder"
OUTSIDE_PHOTO = "photo.jpg"
# A file still being copied: this many chunks, this far apart (well under quiet_seconds).
GROWING_CHUNKS = 12
GROWING_PAUSE_SECONDS = 0.4


def fill_sentinel(materials: Materials) -> None:
    sentinel = materials.sentinel
    (sentinel / OUTSIDE_FOLDER).mkdir(parents=True)
    (sentinel / OUTSIDE_FOLDER / "keep.txt").write_text("the user's own file\n")
    for name, seed in ((OUTSIDE_CLIP, 900), (HARD_LINKED_CLIP, 901), (RELATIVE_CLIP, 902)):
        shutil.copyfile(materials.clip(seed), sentinel / name)
    if materials.face is not None:
        broken_media.reencoded_jpeg(materials.face, sentinel / OUTSIDE_PHOTO, quality=89)
    else:
        broken_media.still_jpeg(sentinel / OUTSIDE_PHOTO, seed=903)


def fifo(target: Path, _materials: Materials) -> None:
    os.mkfifo(target)


def link_to(destination: str) -> Maker:
    """A symbolic link to an absolute path (a device, a missing file)."""

    def make(target: Path, _materials: Materials) -> None:
        target.symlink_to(destination)

    return make


def link_into_sentinel(name: str, relative: bool = False) -> Maker:
    def make(target: Path, materials: Materials) -> None:
        destination = materials.sentinel / name
        target.symlink_to(os.path.relpath(destination, target.parent) if relative else destination)

    return make


def hard_link_into_sentinel(name: str) -> Maker:
    def make(target: Path, materials: Materials) -> None:
        os.link(materials.sentinel / name, target)

    return make


def link_loop(target: Path, _materials: Materials) -> None:
    """Two links pointing at each other; the input is the first."""
    partner = target.with_name(target.name + ".loop")
    target.symlink_to(partner.name)
    partner.symlink_to(target.name)


def self_link(target: Path, _materials: Materials) -> None:
    target.symlink_to(target.name)


def broken_relative_link(target: Path, _materials: Materials) -> None:
    target.symlink_to(f"../gone-{target.name}")


def empty_folder(target: Path, _materials: Materials) -> None:
    target.mkdir(parents=True)


def folder_holding(name: str, inner: Maker) -> Maker:
    """A folder with one file of its own inside."""

    def make(target: Path, materials: Materials) -> None:
        target.mkdir(parents=True)
        inner(target / name, materials)

    return make


def growing_clip(seed: int) -> Maker:
    """A clip written in chunks over a few seconds, as a slow copy would."""

    def make(target: Path, materials: Materials) -> None:
        data = materials.clip(seed).read_bytes()
        size = -(-len(data) // GROWING_CHUNKS)
        handle = target.open("wb")

        def write() -> None:
            with handle:
                for start in range(0, len(data), size):
                    handle.write(data[start : start + size])
                    handle.flush()
                    time.sleep(GROWING_PAUSE_SECONDS)

        writer = threading.Thread(target=write, name="growing-file", daemon=True)
        materials.writers.append(writer)
        writer.start()

    return make


def sparse_clip(seed: int) -> Maker:
    def make(target: Path, materials: Materials) -> None:
        broken_media.with_sparse_tail(materials.clip(seed), target)

    return make


def half_of_clip(seed: int) -> Maker:
    def make(target: Path, materials: Materials) -> None:
        data = materials.clip(seed).read_bytes()
        target.write_bytes(data[: len(data) // 2])

    return make


def clip_without_moov(seed: int) -> Maker:
    def make(target: Path, materials: Materials) -> None:
        broken_media.without_box(materials.clip(seed), target)

    return make


def clip_as(seed: int, suffix: str, codec: str = "libx264") -> Maker:
    """A valid clip in the container its suffix names (written there, then moved)."""

    def make(target: Path, materials: Materials) -> None:
        written = materials.clips / f"seed-{seed}-{codec}{suffix}"
        if not written.exists():
            write_clip(written, seconds=1.0, size=(96, 64), seed=seed, codec=codec)
        shutil.copyfile(written, target)

    return make
