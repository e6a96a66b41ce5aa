"""dlib through face_recognition: loaded once per process on first use, used one at a time.

face_recognition is imported on first use, not with this module: the import loads dlib's
models (about a second) and switches Pillow to padding truncated files with grey for the
whole process, which is undone here so other stages still see a cut-short JPEG as damaged.
face_recognition keeps one dlib detector, shape predictor and encoder per process, and dlib's
are not thread-safe: a reference photo taken while a movie's faces were found crashed the
daemon. Every call into dlib holds DLIB_LOCK.
"""

from __future__ import annotations

import threading
from typing import Any

import structlog
from PIL import ImageFile

DLIB_LOCK = threading.Lock()
_import_lock = threading.Lock()
_library: Any = None
_cnn_device_noted = False


def face_recognition_library() -> Any:
    global _library
    with _import_lock:
        if _library is None:
            saved = ImageFile.LOAD_TRUNCATED_IMAGES
            import face_recognition

            ImageFile.LOAD_TRUNCATED_IMAGES = saved
            _library = face_recognition
    return _library


def dlib_has_cuda() -> bool:
    import dlib

    return bool(dlib.DLIB_USE_CUDA)


def note_cnn_device() -> None:
    """Once per process: the CNN on a CPU takes seconds a frame, which the log should say."""
    global _cnn_device_noted
    if _cnn_device_noted:
        return
    _cnn_device_noted = True
    if not dlib_has_cuda():
        structlog.get_logger("faces").warning(
            "faces.detector is cnn but this dlib has no CUDA: several seconds a frame on the "
            "CPU; use hog, or a CUDA build of dlib on a GPU"
        )
