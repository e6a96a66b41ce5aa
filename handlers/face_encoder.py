"""dlib's 128-d face encodings, with dlib's network run by torch.

face_recognition.face_encodings aligns each face with dlib's 5-point shape predictor, cuts a
150x150 chip around it (padding 0.25) and runs dlib's ResNet on the chip. The dlib wheel
installed here (dlib-bin) is built without BLAS, so that network takes about 80 ms a face on
these CPUs: with BlazeFace finding 2-3 faces in a theatre frame, most of the faces stage.
The same network, read from the same file (dlib_net_file) and run by torch (face_encoder_net),
gives the same 128 numbers to within 1e-6 (tests/handlers/test_face_encoder.py checks it
against dlib on real faces) in about 11 ms a face on one core. The alignment and the chip stay
dlib's own calls, so the encodings stored before and after compare as equals. torch and dlib
are imported when the encoder is first built, not with this module: torch alone costs a
second and 180 MB, which a process that never encodes a face should not pay.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import numpy.typing as npt

from handlers.dlib_net_file import read_metric_net
from handlers.face_box import FaceBox

CHIP_SIZE = 150  # what dlib's face_recognition_model_v1 takes, and face_recognition cuts
CHIP_PADDING = 0.25
Encoding = npt.NDArray[np.float64]
Chips = npt.NDArray[np.uint8]  # (faces, 150, 150, 3)

_lock = threading.Lock()
_encoder: FaceEncoder | None = None


class FaceEncoder:
    """Aligned chips from dlib, encodings from torch. The caller holds dlib_models.DLIB_LOCK
    for both: dlib is not thread-safe, and `encode` sets the calling thread's torch threads."""

    def __init__(self, network: Path, landmarks: Path) -> None:
        import dlib

        from handlers.face_encoder_net import EncoderNet

        self._dlib = dlib
        self._landmarks = dlib.shape_predictor(str(landmarks))
        self._net = EncoderNet(read_metric_net(network)).eval()

    def chips(self, picture: npt.NDArray[np.uint8], boxes: Sequence[FaceBox]) -> Chips:
        """Each face aligned by its five landmarks, as face_recognition.face_encodings does."""
        if not boxes:
            return np.zeros((0, CHIP_SIZE, CHIP_SIZE, 3), np.uint8)
        shapes = self._dlib.full_object_detections()
        for box in boxes:
            area = self._dlib.rectangle(box.left, box.top, box.right, box.bottom)
            shapes.append(self._landmarks(picture, area))
        chips = self._dlib.get_face_chips(picture, shapes, CHIP_SIZE, CHIP_PADDING)
        return np.stack([np.asarray(chip, dtype=np.uint8) for chip in chips])

    def encode(self, chips: Chips) -> list[Encoding]:
        if len(chips) == 0:
            return []
        import torch

        with torch.inference_mode(), _one_thread():
            vectors = self._net(torch.from_numpy(np.ascontiguousarray(chips))).numpy()
        return [vector.astype(np.float64) for vector in vectors]


@contextmanager
def _one_thread() -> Iterator[None]:
    """The network on one thread, in the daemon's process as in a face worker (one a core).

    Two reasons, both measured: torch's convolutions block their sums by the thread count, so
    two threads and one give encodings that differ in the 6th decimal, and a frame's faces
    must be the same whichever process found them; and on two cores busy with decoding,
    two OpenMP threads took 340 ms a face where one took 10. torch's setting is per thread
    (OpenMP), so the calling thread's own setting is put back.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def face_encoder() -> FaceEncoder:
    """This process's encoder, built on first use from the models face_recognition ships."""
    global _encoder
    with _lock:
        if _encoder is None:
            import face_recognition_models as models

            _encoder = FaceEncoder(
                Path(models.face_recognition_model_location()),
                Path(models.pose_predictor_five_point_model_location()),
            )
    return _encoder
