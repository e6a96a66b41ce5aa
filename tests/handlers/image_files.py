"""Image files built byte by byte, for what Pillow will not write: a PNG header stating any
size or a 16-bit RGB PNG, a 20000x20000 JPEG without 1.2 GB of pixels in memory, a damaged
EXIF block, an ICC profile other than sRGB."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

# sRGB's colourants adapted to D50 (as in the sRGB ICC profile), for a profile that swaps them.
SRGB_RED = (0.4361, 0.2225, 0.0139)
SRGB_GREEN = (0.3851, 0.7169, 0.0971)
SRGB_BLUE = (0.1431, 0.0606, 0.7141)
D50 = (0.9642, 1.0, 0.8249)


def png_bytes(width: int, height: int, depth: int, colour_type: int, data: bytes) -> bytes:
    """A PNG with this header and `data` (filtered scanlines, compressed here) as its IDAT."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(data))
        + _chunk(b"IEND", b"")
    )


def rgb16_png(width: int, height: int, value: int) -> bytes:
    """A 16-bit RGB PNG, every sample `value` (0-65535)."""
    row = b"\x00" + struct.pack(">H", value) * 3 * width
    return png_bytes(width, height, 16, 2, row * height)


def solid_grey_jpeg(width: int, height: int) -> bytes:
    """A baseline 4:2:0 YCbCr JPEG of mid-grey: one-symbol Huffman tables whose only code, a
    zero bit, means "DC unchanged" and "end of block", so the scan is all zero bytes (2.3 MB
    at 20000x20000, written in milliseconds)."""
    quant = _segment(0xDB, b"\x00" + b"\x01" * 64)
    components = b"\x01\x22\x00" + b"\x02\x11\x00" + b"\x03\x11\x00"
    frame = _segment(0xC0, struct.pack(">BHHB", 8, height, width, 3) + components)
    one_code = b"\x01" + b"\x00" * 15 + b"\x00"  # one code of length 1, for symbol 0
    tables = _segment(0xC4, b"\x00" + one_code + b"\x10" + one_code)
    scan = _segment(0xDA, b"\x03\x01\x00\x02\x00\x03\x00\x00\x3f\x00")
    blocks = -(-width // 16) * -(-height // 16) * 6
    return b"\xff\xd8" + quant + frame + tables + scan + bytes(-(-blocks * 2 // 8)) + b"\xff\xd9"


def with_exif_block(jpeg: bytes, payload: bytes) -> bytes:
    """`jpeg` with an APP1 "Exif" segment holding `payload` right after its start marker."""
    return jpeg[:2] + _segment(0xE1, b"Exif\x00\x00" + payload) + jpeg[2:]


def swapped_primaries_profile() -> bytes:
    """An ICC v2 RGB display profile whose red is sRGB's blue and whose blue is sRGB's red
    (gamma 2.2): a pixel stored as red shows blue once the profile is applied."""
    tags = [
        (b"desc", _description("swapped primaries, test profile")),
        (b"wtpt", _xyz(D50)),
        (b"rXYZ", _xyz(SRGB_BLUE)),
        (b"gXYZ", _xyz(SRGB_GREEN)),
        (b"bXYZ", _xyz(SRGB_RED)),
        *((name, _gamma(2.2)) for name in (b"rTRC", b"gTRC", b"bTRC")),
        (b"cprt", b"text\x00\x00\x00\x00public domain\x00\x00\x00"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for name, data in tags:
        table += name + struct.pack(">II", offset + len(body), len(data))
        body += data + b"\x00" * (-len(data) % 4)
    size = offset + len(body)
    header = (
        struct.pack(">I4sI4s4s4s", size, b"lcms", 0x02100000, b"mntr", b"RGB ", b"XYZ ")
        + b"\x00" * 12
        + b"acsp"
        + b"\x00" * 24
        + struct.pack(">I", 0)
        + _fixed(D50)
        + b"\x00" * 48
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def noise_jpeg(width: int, height: int, **save: object) -> bytes:
    """A JPEG of noise (not trivially compressible, so a cut removes picture data)."""
    pixels = np.random.default_rng(3).integers(0, 256, (height, width, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, "JPEG", **save)
    return out.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _segment(marker: int, body: bytes) -> bytes:
    return struct.pack(">HH", 0xFF00 | marker, len(body) + 2) + body


def _fixed(values: tuple[float, ...]) -> bytes:
    return b"".join(struct.pack(">i", round(v * 65536)) for v in values)


def _xyz(values: tuple[float, float, float]) -> bytes:
    return b"XYZ \x00\x00\x00\x00" + _fixed(values)


def _gamma(gamma: float) -> bytes:
    return b"curv\x00\x00\x00\x00" + struct.pack(">IH", 1, round(gamma * 256))


def _description(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\x00"
    return (
        b"desc\x00\x00\x00\x00"
        + struct.pack(">I", len(ascii_text))
        + ascii_text
        + b"\x00" * 8  # no Unicode description
        + b"\x00" * 3  # no ScriptCode description
        + b"\x00" * 67
    )
