"""Where MTCNN's weights are: facenet-pytorch's data folder, found without importing it.

facenet-pytorch is installed without its dependencies (scripts/bootstrap.py) and never
imported: its __init__ imports torchvision, which cannot be imported beside our torch.
Kept apart from the nets so that naming the error imports no torch.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from handlers.face_candidates import DetectorUnavailableError

PACKAGE = "facenet-pytorch"
MODULE = "facenet_pytorch"
INSTALL_HINT = "install it with `python3 scripts/bootstrap.py install`"


class MtcnnUnavailableError(DetectorUnavailableError, ImportError):
    """MTCNN cannot run here: its package is missing or damaged, or its device is absent."""


def weights_folder() -> Path:
    """facenet-pytorch's data folder, located without running the package."""
    spec = importlib.util.find_spec(MODULE)
    locations = spec.submodule_search_locations if spec is not None else None
    if not locations:
        raise MtcnnUnavailableError(f"the mtcnn face detector needs {PACKAGE}: {INSTALL_HINT}")
    return Path(next(iter(locations))) / "data"
