"""One kept frame's faces, found from its file: what the faces stage runs for each frame,
in the daemon's own process or in a worker process of `FaceWorkers`.

A worker gets everything it needs in a `FrameSearch` (the frame's path, the detector's
name), never from a global of the daemon's, and returns the faces with their encodings.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from handlers.face_matching import DetectedFace, Detector, detect_faces
from handlers.frame_files import read_frame

# A worker whose daemon is gone ends with this status (the daemon is not there to read it;
# it tells a person reading a core dump or an strace why the worker stopped).
PARENT_GONE_EXIT = 3
# Small enough to cost nothing, large enough for every detector to run its whole path.
WARM_UP_PICTURE = (64, 64, 3)


@dataclass(frozen=True)
class FrameSearch:
    """One frame to search: its file, and how."""

    path: Path
    detector: Detector


def search_frame(search: FrameSearch) -> list[DetectedFace]:
    """The faces in the frame's file, each with its 128-d encoding, as detect_faces gives them."""
    rgb = cv2.cvtColor(read_frame(search.path), cv2.COLOR_BGR2RGB)
    return detect_faces(np.asarray(rgb, dtype=np.uint8), detector=search.detector)


def start_worker(detector: Detector) -> None:
    """A worker process's initializer: it ends with the daemon, leaves Ctrl-C to the daemon,
    and loads dlib and the detector once, before its first frame."""
    # Ctrl-C in a terminal reaches the whole process group: the daemon decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # One worker per core already: OpenCV's and torch's thread pools would oversubscribe them.
    cv2.setNumThreads(1)
    import torch  # here, not with the module: see face_encoder

    torch.set_num_threads(1)
    _exit_with_parent()
    blank: npt.NDArray[np.uint8] = np.zeros(WARM_UP_PICTURE, np.uint8)
    detect_faces(blank, detector=detector)


def _exit_with_parent() -> None:
    """A daemon killed outright (kill -9, a crash) cannot stop its workers, and the pool's
    own pipes stay open in the workers themselves: each watches its parent and ends with it."""
    parent = multiprocessing.parent_process()
    if parent is None:  # not a worker: nothing to watch
        return
    sentinel = parent.sentinel

    def watch() -> None:
        multiprocessing.connection.wait([sentinel])
        os._exit(PARENT_GONE_EXIT)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
