"""Hostile inputs dropped into inbox/faces/: photos that are not photos, photos without one
clear face, images that lie about their size, and character.yaml files built to hurt.
Photos without a face are made here; those that need a real face use ../shared/media."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from tests.hostile import broken_media
from tests.hostile.catalogue import (
    InputSpec,
    Kind,
    Maker,
    Materials,
    Outcome,
    spec,
    write_bytes,
)

REJECTED, REFERENCE, WORDS = Outcome.REJECTED, Outcome.REFERENCE, Outcome.WORDS
# Nine levels of nine aliases (9**9 leaves) in under 300 bytes, all under one key whose value is
# checked: a reader that prints or copies the value it refuses expands it.
BILLION_LAUGHS = (
    "trigger_word: [&a [l,l,l,l,l,l,l,l,l],"
    + "".join(
        f"&{b} [{','.join(['*' + a] * 9)}]," for a, b in zip("abcdefg", "bcdefgh", strict=True)
    )
    + "[*h,*h,*h,*h,*h,*h,*h,*h,*h]]\n"
).encode()


def photo(
    key: str, where: str, expected: Outcome | set[Outcome], make: Maker, **flags: Any
) -> InputSpec:
    """A photo under faces/; one that must be rejected must not leave its character
    behind (`no_character`: the folder's name, or the top-level file's stem)."""
    owner = where.split("/")[0] if "/" in where else Path(where).stem
    empty = owner if expected == REJECTED else None
    return spec(
        f"face-{key}", f"faces/{where}", Kind.PHOTO, expected, make, no_character=empty, **flags
    )


def words(key: str, folder: str, expected: Outcome | set[Outcome], text: bytes) -> InputSpec:
    where = f"faces/{folder}/character.yaml"
    return spec(f"face-yaml-{key}", where, Kind.WORDS, expected, write_bytes(text))


def no_face(seed: int) -> Maker:
    def make(target: Path, _materials: Materials) -> None:
        broken_media.still_jpeg(target, seed=seed, size=(320, 240))

    return make


def real_face(quality: int) -> Maker:
    """The shared portrait at its own JPEG quality: every accepted photo has its own sha256."""

    def make(target: Path, materials: Materials) -> None:
        broken_media.reencoded_jpeg(materials.real_face(), target, quality)

    return make


def _two_faces(target: Path, materials: Materials) -> None:
    broken_media.side_by_side(materials.real_face(), target)


def _truncated_jpeg(target: Path, _materials: Materials) -> None:
    broken_media.still_jpeg(target, seed=52, size=(320, 240))
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2])


def _sparse_jpeg(target: Path, materials: Materials) -> None:
    head = target.with_name("head.jpg")
    if materials.face is not None:
        broken_media.reencoded_jpeg(materials.face, head, quality=80)
    else:
        broken_media.still_jpeg(head, seed=53)
    broken_media.with_sparse_tail(head, target)
    head.unlink()


def _bomb(target: Path, _materials: Materials) -> None:
    broken_media.png_bomb(target)


def _pixel(target: Path, _materials: Materials) -> None:
    broken_media.tiny_png(target)


def face_inputs() -> list[InputSpec]:
    huge = b"trigger_word: " + b"x" * 1_000_000 + b"\n"
    return [
        photo("no-face", "Faceless/photo.jpg", REJECTED, no_face(51)),
        photo("text-as-jpg", "Texty/photo.jpg", REJECTED, write_bytes(b"hello\n" * 20)),
        photo("empty-jpg", "Hollow/photo.jpg", REJECTED, write_bytes(b"")),
        photo("random-bytes-jpg", "Noisy/photo.jpg", REJECTED,
              write_bytes(random.Random(5).randbytes(4096))),
        photo("truncated-jpeg", "Halved/photo.jpg", REJECTED, _truncated_jpeg),
        photo("png-bomb", "Bomb/photo.png", REJECTED, _bomb),
        photo("png-1x1", "Pixel/photo.png", REJECTED, _pixel),
        photo("no-extension", "Bare/photo", REJECTED, no_face(54)),
        photo("unknown-suffix-txt", "Notes/notes.txt", {REJECTED, Outcome.LEFT_ALONE},
              write_bytes(b"a note\n")),
        # Refused by a size cap, before it is read: not after a 3 GB read, for its face.
        photo("sparse-3gb-tail-jpeg", "Sparse/photo.jpg", REJECTED, _sparse_jpeg,
              reason_excludes="no face"),
        photo("dot-file", "Dotted/.photo.jpg", Outcome.LEFT_ALONE, no_face(55)),
        photo("part-name", "Partial/photo.jpg.part", Outcome.LEFT_ALONE, no_face(56)),
        spec("face-folder-named-jpg", "faces/Folder.jpg", Kind.FOLDER, Outcome.LEFT_ALONE,
             lambda target, _m: target.mkdir(parents=True)),
        photo("unreadable-file", "Locked/photo.jpg", REJECTED, no_face(57), lock_mode=0o600),
        spec("face-unreadable-folder", "faces/Sealed", Kind.FOLDER,
             {Outcome.LEFT_ALONE, REJECTED}, _sealed_folder, lock_mode=0o700),
        spec("face-unsearchable-folder", "faces/Glass", Kind.FOLDER,
             {Outcome.LEFT_ALONE, REJECTED}, _sealed_folder, lock_mode=0o744),
        words("billion-laughs", "Laughing", REJECTED, BILLION_LAUGHS),
        words("huge-value", "Huge", {REJECTED, WORDS}, huge),
        words("multi-line-value", "Lines", {REJECTED, WORDS},
              b'trigger_word: "two\\nlines"\nclass_word: |\n  a\n  b\n'),
        words("control-characters", "Controls", {REJECTED, WORDS},
              b'trigger_word: "red\\e[31mword\\a"\nclass_word: "x\\u202ey"\n'),
        words("not-a-mapping", "Listed", REJECTED, b"- trigger_word\n- class_word\n"),
        words("not-utf8", "Latin", REJECTED, b"trigger_word: caf\xe9\n"),
        words("plain", "Worded", WORDS, b"trigger_word: wrd\nclass_word: woman\n"),
        photo("real-face-in-folder", "Ada/photo.jpg", REFERENCE, real_face(90), needs_face=True),
        photo("real-face-top-level", "Solo.jpg", REFERENCE, real_face(91), needs_face=True),
        photo("real-face-no-extension", "Plain/photo", {REFERENCE, REJECTED}, real_face(92),
              needs_face=True),
        photo("two-equal-faces", "Pair/photo.jpg", REJECTED, _two_faces, needs_face=True,
              ),
    ]  # fmt: skip


def _sealed_folder(target: Path, materials: Materials) -> None:
    target.mkdir(parents=True)
    no_face(58)(target / "photo.jpg", materials)
