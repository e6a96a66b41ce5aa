"""`bunny doctor`: which still image formats the image inbox reads here."""

from __future__ import annotations

import importlib.util

from PIL import features

from daemon.reports.checks import Check, Level
from handlers.image_formats import TAKEN_FORMATS

HEIF_PACKAGE = "pillow-heif"


def image_formats_check() -> Check:
    readable = ["JPEG", *(name for name in TAKEN_FORMATS if name not in ("HEIF", "AVIF"))]
    if features.check("avif"):
        readable.append("AVIF")
    if importlib.util.find_spec("pillow_heif") is not None:
        return Check(Level.OK, "image formats", ", ".join([*readable, "HEIC/HEIF"]))
    return Check(
        Level.WARN,
        "image formats",
        f"{', '.join(readable)}; not HEIC/HEIF: such photos in inbox/images/ are set aside",
        f"pip install {HEIF_PACKAGE} (into the daemon's environment) to read iPhone photos",
    )
