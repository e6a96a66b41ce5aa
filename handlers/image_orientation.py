"""The EXIF orientation of a photo, read once from the file and applied to the finished picture.

A phone stores a portrait photo as landscape pixels with orientation 6 ("turn 90 degrees
clockwise to view"). The turn is applied after scaling, to the small picture, the same way
`ImageOps.exif_transpose` would turn the full one. EXIF that cannot be read (a damaged or
foreign block) leaves the picture as stored, with a note, rather than rejecting the photo.
"""

from __future__ import annotations

from collections.abc import Callable

from PIL import ExifTags, Image

from daemon.display_text import shown

# As ImageOps.exif_transpose: the transposition that undoes each EXIF orientation (1: none).
TRANSPOSITIONS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
UNREADABLE = "EXIF unreadable: orientation not applied"
Turn = Callable[[Image.Image], Image.Image]


def upright(image: Image.Image, notes: list[str]) -> Turn:
    """What makes a picture decoded from `image` upright; a note joins `notes` when the EXIF
    cannot be read or names no known orientation."""
    try:
        exif = image.getexif()
        orientation = exif.get(ExifTags.Base.Orientation)
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError):
        notes.append(UNREADABLE)
        return _as_stored
    if not exif and image.info.get("exif"):
        # Pillow reads a damaged block as no tags at all: present but empty is unreadable.
        notes.append(UNREADABLE)
        return _as_stored
    if orientation is None or orientation == 1:
        return _as_stored
    method = TRANSPOSITIONS.get(orientation) if isinstance(orientation, int) else None
    if method is None:
        notes.append(f"EXIF orientation {shown(repr(orientation), 40)} unknown: not applied")
        return _as_stored
    return lambda picture: picture.transpose(method)


def _as_stored(picture: Image.Image) -> Image.Image:
    return picture
