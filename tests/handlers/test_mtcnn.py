"""MTCNN: the shipped weights load into our nets, faces and profiles are found on real media,
its boxes land where dlib's HOG puts them, and a missing package says how to install it."""

from __future__ import annotations

import sys
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest
import torch
from PIL import Image

from evaluation.mtcnn_boxes import Pair, fit
from handlers.face_matching import FaceBox
from handlers.mtcnn import MtcnnDetector, MtcnnUnavailableError
from handlers.mtcnn_boxes import HOG_FROM_MTCNN, hog_box
from handlers.mtcnn_nets import OutputNet, ProposalNet, RefineNet, load_net
from handlers.mtcnn_weights import weights_folder
from tests.conftest import SHARED_MEDIA

FACES = SHARED_MEDIA / "faces" / "face_recognition"
CLIP = FACES / "examples" / "short_hamilton_clip.mp4"
needs_media = pytest.mark.skipif(
    not FACES.is_dir(), reason=f"real face photos not found at {FACES}"
)
# face_detection_expected.json: dlib HOG's box for obama.jpg, (top, right, bottom, left).
OBAMA_HOG = FaceBox(top=142, right=617, bottom=409, left=349)
# identities.json's staging observation: the pianist's close-up is frames 20-81; his whole
# face is in the picture until frame 49, then he turns away at the frame's edge.
PIANIST_FRAMES = range(20, 50, 3)


@pytest.fixture(scope="module")
def detector() -> MtcnnDetector:
    return MtcnnDetector()


def rgb_of(path: Path) -> npt.NDArray[np.uint8]:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


@pytest.mark.parametrize(
    ("net", "file_name"),
    [(ProposalNet(), "pnet.pt"), (RefineNet(), "rnet.pt"), (OutputNet(), "onet.pt")],
    ids=["pnet", "rnet", "onet"],
)
def test_each_net_holds_the_shipped_weights(net: torch.nn.Module, file_name: str) -> None:
    shipped = torch.load(weights_folder() / file_name, weights_only=True)
    loaded = load_net(net, file_name, torch.device("cpu")).state_dict()
    assert list(loaded) == list(shipped)
    for name, tensor in shipped.items():
        assert loaded[name].shape == tensor.shape, name
        assert torch.equal(loaded[name], tensor), name


def test_a_missing_package_names_it_and_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Python looks for facenet_pytorch along sys.path: without the folder holding it, the
    # package is as good as uninstalled (torch and our modules are imported already).
    holder = weights_folder().parent.parent
    monkeypatch.setattr(sys, "path", [p for p in sys.path if Path(p or ".").resolve() != holder])
    monkeypatch.delitem(sys.modules, "facenet_pytorch", raising=False)
    with pytest.raises(ImportError) as caught:
        MtcnnDetector()
    assert isinstance(caught.value, MtcnnUnavailableError)
    assert "facenet-pytorch" in str(caught.value)
    assert "python3 scripts/bootstrap.py install" in str(caught.value)


def test_flat_and_tiny_pictures_have_no_face(detector: MtcnnDetector) -> None:
    # The empty paths: no window passes P-Net, or the picture is smaller than one window.
    assert detector.find(np.full((360, 640, 3), 128, dtype=np.uint8)) == []
    assert detector.find(np.zeros((8, 8, 3), dtype=np.uint8)) == []
    with pytest.raises(ValueError, match="RGB picture of uint8"):
        detector.find(np.zeros((360, 640), dtype=np.uint8))


def test_torch_threads_are_put_back_after_a_search() -> None:
    before = torch.get_num_threads()
    MtcnnDetector(threads=before + 1).find(np.zeros((64, 64, 3), dtype=np.uint8))
    assert torch.get_num_threads() == before


@pytest.mark.media
@needs_media
def test_obamas_face_lands_on_dlibs_hog_box(detector: MtcnnDetector) -> None:
    faces = detector.find(rgb_of(FACES / "tests" / "test_images" / "obama.jpg"))
    best = max(faces, key=lambda face: face.score)
    assert best.score > 0.99
    assert best.box.iou(OBAMA_HOG) >= 0.8, best.box
    left_eye, right_eye, nose, mouth_left, mouth_right = best.landmarks
    assert left_eye[0] < nose[0] < right_eye[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < min(mouth_left[1], mouth_right[1])
    assert all(OBAMA_HOG.left < x < OBAMA_HOG.right for x, _ in best.landmarks)


@pytest.mark.media
@needs_media
def test_a_face_cut_by_the_picture_edge_is_found_and_clipped(detector: MtcnnDetector) -> None:
    # obama_small.jpg's face (about 110 px wide) on a generated grey picture, a third of it
    # beyond the left edge: MTCNN's own box reaches past the edge; find's is clipped to it.
    photo = rgb_of(FACES / "examples" / "obama_small.jpg")
    face = photo[20:200, 140:]  # from the middle of his face to the photo's right edge
    canvas = np.full((360, 640, 3), 90, dtype=np.uint8)
    canvas[100 : 100 + face.shape[0], : face.shape[1]] = face
    assert detector.detect(canvas).boxes[:, 0].min() < 0
    faces = detector.find(canvas)
    assert len(faces) == 1, faces
    box = faces[0].box
    assert box.left == 0
    assert 100 <= box.top < box.bottom <= 100 + face.shape[0]


@pytest.mark.media
@pytest.mark.skipif(not CLIP.is_file(), reason=f"{CLIP} not found")
def test_the_pianists_profile_is_found_in_his_shot(detector: MtcnnDetector) -> None:
    # dlib's HOG finds no face in these frames (handlers.face_matching.detect_faces).
    found = 0
    with av.open(str(CLIP)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index > PIANIST_FRAMES[-1]:
                break
            if index in PIANIST_FRAMES:
                faces = detector.find(frame.to_ndarray(format="rgb24"))
                found += any(face.box.height >= 150 and face.box.left > 250 for face in faces)
    assert found >= len(PIANIST_FRAMES) - 1, found


def test_the_box_fit_and_the_box_map_read_the_figures_alike() -> None:
    # evaluation.mtcnn_boxes measures HOG_FROM_MTCNN and hog_box applies it: boxes mapped by
    # hog_box must give back the same four figures, whatever the boxes' sizes and places.
    rng = np.random.default_rng(7)
    pairs = []
    for x, y, width, height in rng.uniform((0, 0, 20, 25), (600, 300, 300, 400), (9, 4)):
        mine = (x, y, x + width, y + height)
        x1, y1, x2, y2 = hog_box(np.asarray(mine)).tolist()
        pairs.append(Pair("johns", mine, (x1, y1, x2, y2), 0.0, 0.0))
    assert fit(pairs) == pytest.approx(HOG_FROM_MTCNN)
