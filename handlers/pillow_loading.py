"""Pillow decoding that never pads a file cut short with grey.

face_recognition sets `ImageFile.LOAD_TRUNCATED_IMAGES` for the whole process when it is
imported (the daemon imports it for the faces stage), so a half-copied photo would decode
as a picture with a grey bottom. Decoding done inside `strict_loading` raises instead; the
flag is put back afterwards for whoever set it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import ImageFile

_LOCK = threading.Lock()


@contextmanager
def strict_loading() -> Iterator[None]:
    with _LOCK:
        saved, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = saved
