"""Any decoded Pillow picture to 8-bit sRGB RGB: bit depth, palette, colour profile, alpha.

The order matters: depth first (Pillow's own 16-to-8-bit conversion clips, so 32768 of 65535
would come out white, not mid-grey), then the palette and transparency expanded, then the
embedded ICC profile applied to the colour channels alone (CMYK included), and last the alpha
flattened onto white, as a transparent screenshot or sticker looks on a page.
"""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageCms

from daemon.display_text import shown

WHITE = (255, 255, 255)
SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})
# Modes Pillow converts to RGB(A) itself, without loss worth a note.
WITH_ALPHA = {"RGBA": "RGBA", "RGBa": "RGBA", "PA": "RGBA", "LA": "LA", "La": "LA"}
PROFILE_MODES = frozenset({"RGB", "L", "CMYK"})


class UnsupportedModeError(Exception):
    """A picture in a colour mode that cannot be turned into RGB; the message says which."""


def to_srgb(picture: Image.Image, notes: list[str]) -> Image.Image:
    """`picture` as 8-bit RGB in sRGB with no alpha; what a user may want to know is added to
    `notes`."""
    picture = _eight_bit(picture)
    colour, alpha = _split_alpha(picture)
    profile = picture.info.get("icc_profile")
    if profile:
        colour = _profile_to_srgb(colour, profile, notes)
    try:
        colour = colour if colour.mode == "RGB" else colour.convert("RGB")
    except ValueError as exc:
        raise UnsupportedModeError(f"colour mode {picture.mode} cannot be shown as RGB") from exc
    if alpha is None or alpha.getextrema()[0] == 255:
        return colour
    notes.append("transparent: flattened onto white")
    flat = Image.new("RGB", colour.size, WHITE)
    flat.paste(colour, mask=alpha)
    return flat


def _eight_bit(picture: Image.Image) -> Image.Image:
    """16- and 32-bit integer and float greys as 8-bit L, scaled rather than clipped; 1-bit as
    L. (Pillow reads 16-bit RGB and RGBA PNGs as 8-bit itself, keeping the high bytes.)"""
    if picture.mode in SIXTEEN_BIT_MODES:
        wide = np.asarray(picture).astype(np.float32)
        return _grey(np.clip(wide, 0, 65535) / 257.0, picture)
    if picture.mode == "F":
        values = np.nan_to_num(np.asarray(picture, dtype=np.float32))
        # A float picture holds 0-1 by convention; one that goes above holds 0-255.
        scale = 255.0 if float(values.max(initial=0.0)) <= 1.0 else 1.0
        return _grey(np.clip(values * scale, 0, 255), picture)
    if picture.mode == "1":
        return picture.convert("L")
    return picture


def _grey(values: npt.NDArray[np.float32], source: Image.Image) -> Image.Image:
    grey = Image.fromarray(np.rint(values).astype(np.uint8), "L")
    grey.info = dict(source.info)
    return grey


def _split_alpha(picture: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    """The colour channels and the alpha (None when there is none); a palette or a tRNS
    transparent colour becomes an alpha here."""
    if picture.mode == "P":
        picture = picture.convert("RGBA" if "transparency" in picture.info else "RGB")
    elif picture.mode in ("L", "RGB") and "transparency" in picture.info:
        picture = picture.convert("LA" if picture.mode == "L" else "RGBA")
    target = WITH_ALPHA.get(picture.mode)
    if target is None:
        return picture, None
    with_alpha = picture.convert(target) if picture.mode != target else picture
    colour = with_alpha.convert("L" if target == "LA" else "RGB")
    colour.info = dict(picture.info)
    return colour, with_alpha.getchannel("A")


def _profile_to_srgb(colour: Image.Image, profile: bytes, notes: list[str]) -> Image.Image:
    """`colour` turned from its embedded profile into sRGB; unchanged, with a note, when the
    profile cannot be read or does not fit the picture."""
    if colour.mode not in PROFILE_MODES:
        return colour
    try:
        embedded = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        if "srgb" in ImageCms.getProfileDescription(embedded).lower():
            return colour  # already sRGB: a transform would only round
        converted = ImageCms.profileToProfile(
            colour, embedded, ImageCms.createProfile("sRGB"), outputMode="RGB"
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
        notes.append(f"colour profile unusable ({shown(str(exc), 120)}): colours taken as they are")
        return colour
    if converted is None:  # only with inPlace=True, which is not asked
        return colour
    return converted
