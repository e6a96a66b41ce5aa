"""MTCNN's three nets (Zhang et al. 2016), loaded with the weights facenet-pytorch ships.

The layer names match its state dicts; the weights were converted from the original Caffe
models, whose dense layers read a feature map column by column, so the maps are flattened
in (width, height, channel) order.
"""

from __future__ import annotations

from typing import TypeVar

import torch
from torch import nn

from handlers.mtcnn_weights import INSTALL_HINT, PACKAGE, MtcnnUnavailableError, weights_folder

Net = TypeVar("Net", bound=nn.Module)


def _flatten_as_trained(maps: torch.Tensor) -> torch.Tensor:
    return maps.permute(0, 3, 2, 1).reshape(maps.shape[0], -1)


def _face_probability(logits: torch.Tensor) -> torch.Tensor:
    return torch.softmax(logits, dim=1)[:, 1]


class ProposalNet(nn.Module):
    """P-Net: fully convolutional; each output cell judges a 12 px window, stride 2."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 10, 3), nn.PReLU(10)
        self.pool1 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(10, 16, 3), nn.PReLU(16)
        self.conv3, self.prelu3 = nn.Conv2d(16, 32, 3), nn.PReLU(32)
        self.conv4_1 = nn.Conv2d(32, 2, 1)  # face or not
        self.conv4_2 = nn.Conv2d(32, 4, 1)  # box offsets

    def forward(self, pictures: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(face probability per cell (n, h, w), box offsets per cell (n, 4, h, w))."""
        maps = self.pool1(self.prelu1(self.conv1(pictures)))
        maps = self.prelu3(self.conv3(self.prelu2(self.conv2(maps))))
        return _face_probability(self.conv4_1(maps)), self.conv4_2(maps)


class RefineNet(nn.Module):
    """R-Net: judges 24x24 crops of P-Net's boxes again and corrects them."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 28, 3), nn.PReLU(28)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(28, 48, 3), nn.PReLU(48)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3 = nn.Conv2d(48, 64, 2), nn.PReLU(64)
        self.dense4, self.prelu4 = nn.Linear(576, 128), nn.PReLU(128)
        self.dense5_1 = nn.Linear(128, 2)
        self.dense5_2 = nn.Linear(128, 4)

    def forward(self, crops: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(face probability (n,), box offsets (n, 4))."""
        maps = self.pool1(self.prelu1(self.conv1(crops)))
        maps = self.pool2(self.prelu2(self.conv2(maps)))
        maps = self.prelu3(self.conv3(maps))
        features = self.prelu4(self.dense4(_flatten_as_trained(maps)))
        return _face_probability(self.dense5_1(features)), self.dense5_2(features)


class OutputNet(nn.Module):
    """O-Net: judges 48x48 crops a last time, corrects them and places five landmarks."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 32, 3), nn.PReLU(32)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(32, 64, 3), nn.PReLU(64)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3 = nn.Conv2d(64, 64, 3), nn.PReLU(64)
        self.pool3 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv4, self.prelu4 = nn.Conv2d(64, 128, 2), nn.PReLU(128)
        self.dense5, self.prelu5 = nn.Linear(1152, 256), nn.PReLU(256)
        self.dense6_1 = nn.Linear(256, 2)
        self.dense6_2 = nn.Linear(256, 4)
        # Five x then five y, as fractions of the crop: eyes, nose, mouth corners.
        self.dense6_3 = nn.Linear(256, 10)

    def forward(self, crops: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(face probability (n,), box offsets (n, 4), landmarks (n, 10))."""
        maps = self.pool1(self.prelu1(self.conv1(crops)))
        maps = self.pool2(self.prelu2(self.conv2(maps)))
        maps = self.pool3(self.prelu3(self.conv3(maps)))
        features = self.prelu5(self.dense5(_flatten_as_trained(self.prelu4(self.conv4(maps)))))
        probability = _face_probability(self.dense6_1(features))
        return probability, self.dense6_2(features), self.dense6_3(features)


def load_net(net: Net, file_name: str, device: torch.device) -> Net:
    """`net` with the shipped weights in `file_name`, on `device`, in inference mode."""
    path = weights_folder() / file_name
    try:
        state = torch.load(path, map_location=device, weights_only=True)
        net.load_state_dict(state)
    except (OSError, RuntimeError) as error:
        raise MtcnnUnavailableError(
            f"{PACKAGE}'s {path} cannot be loaded ({error}): {INSTALL_HINT}"
        ) from error
    # Channels last: twice as fast on a CPU as the default layout (alternating rounds, 1
    # thread: P-Net on 384x216 23 against 37 ms, O-Net on 100 crops 166 against 356 ms).
    # torch's stubs leave out the memory_format its documentation gives Module.to.
    net = net.to(device=device, memory_format=torch.channels_last)  # type: ignore[call-overload]
    return net.eval().requires_grad_(False)
