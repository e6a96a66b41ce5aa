"""What an image file says it is, from its first bytes, before Pillow is asked.

Pillow names a file only once it can open it; a file it cannot open is "not an image" to it.
These first bytes tell two cases apart that deserve a better reason: a HEIC/HEIF or AVIF
picture (an ISO-BMFF `ftyp` box, which Pillow reads only with a plugin or a build with
libavif), and a file that starts like a JPEG, PNG, GIF or WebP but is cut short or damaged.
"""

from __future__ import annotations

import enum
import functools
import importlib
import importlib.util
import struct
import threading

from PIL import Image, features

HEAD_BYTES = 32
HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm", b"mif1", b"msf1"})
HEVC_BRANDS = HEIF_BRANDS - {b"mif1", b"msf1"}  # the HEVC-coded kind, the phones' .heic
AVIF_BRANDS = frozenset({b"avif", b"avis"})
# Signatures of the formats users drop most, to say "damaged PNG" rather than "not an image".
SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
# The formats taken, beside JPEG and MPO (opened apart, see image_decoding): what screenshots,
# photos, scans and frame grabs come in. Pillow knows some 40 more; they are refused by name,
# EPS above all, which Pillow hands to Ghostscript, a PostScript interpreter, to decode.
TAKEN_FORMATS = ("PNG", "GIF", "WEBP", "TIFF", "BMP", "AVIF", "HEIF", "JPEG2000", "PPM")
JPEG_FORMATS = frozenset({"JPEG", "MPO"})


class IsoKind(enum.Enum):
    NONE = "none"  # not an ISO-BMFF picture: Pillow's own plugins decide
    HEIC = "HEIC"
    HEIF = "HEIF"
    AVIF = "AVIF"


def iso_kind(head: bytes) -> IsoKind:
    """HEIC/HEIF or AVIF from the `ftyp` box's major brand (and its compatible brands, when
    the major one is the generic mif1/msf1 that both use)."""
    if head[4:8] != b"ftyp":
        return IsoKind.NONE
    major = head[8:12]
    compatible = {head[at : at + 4] for at in range(16, len(head) - 3, 4)}
    if major in AVIF_BRANDS or (major in {b"mif1", b"msf1"} and compatible & AVIF_BRANDS):
        return IsoKind.AVIF
    if major in HEVC_BRANDS:
        return IsoKind.HEIC
    if major in HEIF_BRANDS:
        return IsoKind.HEIF
    return IsoKind.NONE


def missing_decoder(kind: IsoKind) -> str | None:
    """Why a picture of this kind cannot be decoded here, or None when it can (the HEIF
    plugin, when installed, is registered with Pillow on the first such picture)."""
    if kind is IsoKind.AVIF:
        if _pillow_reads_avif():
            return None
        return (
            "AVIF image: no decoder installed (Pillow 11.3 or later built with libavif "
            "reads it; this Pillow does not)"
        )
    if kind in (IsoKind.HEIC, IsoKind.HEIF):
        if _HEIF_PLUGIN.ready():
            return None
        return f"{kind.value} image: no decoder installed (install the pillow-heif package)"
    return None


def signature_of(head: bytes) -> str | None:
    """The format a file's first bytes claim, for the formats in SIGNATURES (and WebP)."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return next((name for magic, name in SIGNATURES if head.startswith(magic)), None)


@functools.cache
def _pillow_reads_avif() -> bool:
    return bool(features.check("avif"))


def taken_formats() -> tuple[str, ...]:
    """TAKEN_FORMATS that this Pillow can open (HEIF only once pillow-heif is registered)."""
    Image.init()
    return tuple(name for name in TAKEN_FORMATS if name in Image.OPEN)


def refused_format(head: bytes) -> str | None:
    """The name of a format Pillow knows and this module refuses, when the first bytes have
    its signature; only the signature checks run, no plugin parses the file."""
    Image.init()
    prefix = head[:16]  # what Image.open hands the same checks
    for name, (_, accept) in Image.OPEN.items():
        if name in TAKEN_FORMATS or name in JPEG_FORMATS or accept is None:
            continue
        try:
            claimed = accept(prefix)
        except struct.error:  # DIB's check unpacks 4 bytes of a shorter file, as Image.open
            continue  # hands them too (and ignores the error)
        if claimed and not isinstance(claimed, str):
            return name
    return None


class _HeifPlugin:
    """pillow-heif's opener, registered with Pillow once, on the first HEIF picture (never at
    import time: most runs see none)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready: bool | None = None

    def ready(self) -> bool:
        """True once registered; False when the package is not installed."""
        with self._lock:
            if self._ready is None:
                self._ready = importlib.util.find_spec("pillow_heif") is not None
                if self._ready:
                    importlib.import_module("pillow_heif").register_heif_opener()
            return self._ready


_HEIF_PLUGIN = _HeifPlugin()
