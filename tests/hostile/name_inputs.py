"""Hostile names: terminal escapes, bidi overrides, newlines, bytes that are not UTF-8,
names of 255 bytes, names shaped like `..`. A movie under such a name is a valid clip and
must be done; a photo without a face must be rejected (its reason file beside it, its name
kept); a real face under such a name must become a reference. Seeds 60-99."""

from __future__ import annotations

import os

from tests.hostile.catalogue import InputSpec, Kind, Outcome, copy_clip, spec
from tests.hostile.face_inputs import no_face, real_face

NOT_UTF8 = os.fsdecode(b"\xff\xfe.mp4")
LATIN1 = os.fsdecode(b"caf\xe9.mp4")
LONG_ASCII = "L" * 251 + ".mp4"  # 255 bytes: the longest name a Linux folder holds
LONG_UTF8 = "é" * 125 + ".mp4"  # 254 bytes in 129 characters


def movie_names() -> list[tuple[str, str]]:
    return [
        ("escape-codes", "\x1b[31mred\x1b[0m\x1b]0;title\x07.mp4"),
        ("bidi-override", "invoice\u202efdp.mp4"),
        ("newline", "two\nlines.mp4"),
        ("tab-and-return", "tab\there\r.mp4"),
        ("255-bytes-ascii", LONG_ASCII),
        ("254-bytes-utf8", LONG_UTF8),
        ("not-utf8", NOT_UTF8),
        ("latin1", LATIN1),
        ("double-dot-inside", "x..mp4"),
        ("unicode-ellipsis", "\u2026mp4"),
        ("fullwidth-dots", "\uff0e\uff0e\uff0fescape.mp4"),
        ("percent-escaped-dots", "%2e%2e%2f..%2fescape.mp4"),
        ("dots-folder", " .. /inside.mp4"),
        ("shell-and-windows-characters", 'a\\b:c*?"<>|$(rm).mp4'),
        ("spaces-only-stem", "   .mp4"),
        ("decomposed-accent", "Ame\u0301lie.mp4"),
        ("zero-width", "zero\u200bwidth\ufeff.mp4"),
        ("emoji", "\U0001f3ac\U0001f600.mp4"),
        ("dash-options", "-rf --help.mp4"),
        ("no-extension", "movie"),
    ]


def face_names() -> list[tuple[str, str]]:
    return [
        ("escape-codes", "\x1b[31mRed\x1b[0m/photo.jpg"),
        ("bidi-override", "Eve\u202eevil/photo.jpg"),
        ("newline-folder", "Two\nLines/photo.jpg"),
        ("not-utf8-folder", os.fsdecode(b"Caf\xe9") + "/photo.jpg"),
        ("not-utf8-file", os.fsdecode(b"Z\xff\xfe.jpg")),
        ("255-bytes-file", "F" * 251 + ".jpg"),
        ("dots-only-folder", "..../photo.jpg"),
        ("dot-space-folder", " . ./photo.jpg"),
    ]


def name_inputs() -> list[InputSpec]:
    inputs = [
        spec(f"name-movie-{key}", f"movies/{name}", Kind.MOVIE, Outcome.DONE, copy_clip(60 + i))
        for i, (key, name) in enumerate(movie_names())
    ]
    inputs.append(
        spec("name-movie-leading-dots", "movies/..mp4", Kind.MOVIE, Outcome.LEFT_ALONE,
             copy_clip(59))
    )  # fmt: skip
    for i, (key, name) in enumerate(face_names()):
        inputs.append(
            spec(f"name-face-{key}", f"faces/{name}", Kind.PHOTO, Outcome.REJECTED,
                 no_face(80 + i))
        )  # fmt: skip
    for i, (key, name) in enumerate(face_names()[:5]):
        # A name that is not UTF-8 may also be refused as a character's name.
        either = {Outcome.REFERENCE, Outcome.REJECTED}
        accepted = either if key.startswith("not-utf8") else Outcome.REFERENCE
        inputs.append(
            spec(f"name-real-face-{key}", f"faces/real {name}", Kind.PHOTO, accepted,
                 real_face(70 + i), needs_face=True)
        )  # fmt: skip
    return inputs
