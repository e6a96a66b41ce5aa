"""faces.detector: every name builds its detector, `auto` chooses once and falls back, and any
detector's faces are encoded by dlib like HOG's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from handlers.dlib_models import dlib_has_cuda
from handlers.face_detectors import DETECTOR_NAMES, make_detector
from handlers.face_matching import detect_faces
from tests.conftest import ROOT, SHARED_MEDIA

FACES = SHARED_MEDIA / "faces" / "face_recognition"
needs_media = pytest.mark.skipif(
    not FACES.is_dir(), reason=f"real face photos not found at {FACES}"
)
AUTO_LINE = "faces.detector auto -> "


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter: `auto` is resolved once per process, so each case needs its own."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=180
    )


def rgb_of(path: Path) -> npt.NDArray[np.uint8]:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def test_the_names_are_those_of_the_config() -> None:
    assert DETECTOR_NAMES == ("auto", "hog", "cnn", "mtcnn", "blazeface")


@pytest.mark.parametrize("name", ["hog", "cnn", "blazeface"])
def test_each_name_builds_its_detector(name: str) -> None:
    detector = make_detector(name)
    assert detector.name == name
    blank = np.zeros((90, 160, 3), np.uint8)
    assert detector.find(blank) == []


def test_an_unknown_name_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown face detector 'mediapipe'.*blazeface"):
        make_detector("mediapipe")


def test_auto_chooses_by_device_and_says_why_once() -> None:
    done = run_python(
        "from handlers.face_detectors import detector_for, resolve_auto\n"
        "print('chose', detector_for('auto').name, detector_for('auto') is detector_for('auto'))\n"
        "print('reason', resolve_auto().reason)\n"
    )
    assert done.returncode == 0, done.stderr
    expected = "cnn" if dlib_has_cuda() else "blazeface"  # a CUDA build of dlib: its CNN
    assert f"chose {expected} True" in done.stdout
    assert done.stdout.count(AUTO_LINE) == 1
    assert f"{AUTO_LINE}{expected} because" in done.stdout


def test_auto_passes_over_a_detector_that_cannot_load_and_says_so() -> None:
    done = run_python(
        "import sys; sys.modules['ai_edge_litert'] = None  # as on Windows: no LiteRT\n"
        "import handlers.face_detectors as chosen\n"
        "chosen.this_device.cache_clear()\n"
        "chosen.this_device = lambda: chosen.Device.CPU\n"
        "from handlers.face_detectors import detector_for\n"
        "print('chose', detector_for('auto').name)\n"
    )
    assert done.returncode == 0, done.stderr
    assert "chose hog" in done.stdout
    line = next(line for line in done.stdout.splitlines() if AUTO_LINE in line)
    assert "hog because" in line
    assert "skipped blazeface" in line
    assert "ai-edge-litert" in line


def test_a_named_detector_that_cannot_load_fails_naming_its_package() -> None:
    done = run_python(
        "import sys; sys.modules['ai_edge_litert'] = None\n"
        "import numpy as np\n"
        "from handlers.face_matching import detect_faces\n"
        "detect_faces(np.zeros((90, 160, 3), np.uint8), detector='blazeface')\n"
    )
    assert done.returncode == 1
    assert "DetectorUnavailableError" in done.stderr
    assert "ai-edge-litert" in done.stderr


@pytest.mark.media
@needs_media
@pytest.mark.parametrize("name", ["blazeface"])
def test_another_detectors_face_is_encoded_like_hogs(name: str) -> None:
    rgb = rgb_of(FACES / "tests" / "test_images" / "obama.jpg")
    (hog,) = detect_faces(rgb)
    (other,) = detect_faces(rgb, detector=name)  # type: ignore[arg-type]
    distance = float(np.linalg.norm(np.subtract(hog.encoding, other.encoding)))
    assert distance < 0.15  # the same face: dlib's threshold for a match is 0.6
    biden = detect_faces(rgb_of(FACES / "tests" / "test_images" / "biden.jpg"), detector=name)  # type: ignore[arg-type]
    assert float(np.linalg.norm(np.subtract(biden[0].encoding, other.encoding))) > 0.6
