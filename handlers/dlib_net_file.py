"""Reads the network in dlib's face-encoder file (dlib_face_recognition_resnet_model_v1.dat).

dlib writes a network nested, outermost layer first: each wrapper writes its version and then
the layer inside it, so the file holds the loss, a run of wrapper versions, the input layer,
and then each layer's details from the innermost outward, which is the order they run in.
Tags and skips write only a version; their places are fixed by the architecture, which
face_encoder_net rebuilds from the order of the layers read here.

The formats are dlib's (dlib/serialize.h, dlib/dnn/*.h): integers as a control byte (length,
and 0x80 for negative) then little-endian bytes; floats as an integer mantissa and exponent;
booleans as the characters '0' and '1'; tensors as four sizes then little-endian float32s.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import numpy as np
import numpy.typing as npt

Weights = npt.NDArray[np.float32]
INPUT_LAYER = "input_rgb_image_sized"
_INPUT_LAYER_START = bytes([1, len(INPUT_LAYER)])  # its name's length, as dlib writes it
_TENSOR_VERSION = 2
_ALIAS_VERSION = 1


class DlibNetFormatError(ValueError):
    """The file is not the dlib network this reader knows; says where it stopped."""


class PoolKind(Enum):
    MAX = "max"
    AVERAGE = "avg"


@dataclass(frozen=True)
class Convolution:
    filters: Weights  # (out, in, rows, columns), as torch's conv2d takes them
    biases: Weights
    stride: tuple[int, int]
    padding: tuple[int, int]


@dataclass(frozen=True)
class Affine:
    """A batch norm folded into a scale and shift per channel."""

    gamma: Weights
    beta: Weights


@dataclass(frozen=True)
class Relu:
    pass


@dataclass(frozen=True)
class Pooling:
    kind: PoolKind
    window: tuple[int, int]  # (0, 0): the whole picture
    stride: tuple[int, int]
    padding: tuple[int, int]


@dataclass(frozen=True)
class AddPrevious:
    """Adds a tagged earlier output; where sizes differ, dlib pads the smaller with zeros."""


@dataclass(frozen=True)
class FullyConnected:
    weights: Weights  # (inputs, outputs): dlib multiplies the input row by it


Layer = Convolution | Affine | Relu | Pooling | AddPrevious | FullyConnected


@dataclass(frozen=True)
class MetricNet:
    channel_means: tuple[float, float, float]  # red, green, blue, subtracted before /256
    input_size: tuple[int, int]
    layers: tuple[Layer, ...]  # in the order they run


def read_metric_net(path: Path) -> MetricNet:
    """The network in `path`; DlibNetFormatError if it is not a dlib metric network."""
    stream = _Stream(path.read_bytes(), path)
    stream.expect_integer(1, "the loss layer's version")
    stream.expect_text("loss_metric_2")
    stream.real(), stream.real()  # margin and distance threshold: training only
    while not stream.at(_INPUT_LAYER_START):
        stream.integer()  # a wrapper's version
    stream.expect_text(INPUT_LAYER)
    means = (stream.real(), stream.real(), stream.real())
    size = (stream.integer(), stream.integer())
    layers: list[Layer] = []
    while not stream.done():
        layers.append(_layer(stream))
        _layer_state(stream, innermost=len(layers) == 1)
    return MetricNet(means, size, tuple(layers))


def _layer(stream: _Stream) -> Layer:
    name = stream.text()
    if name in ("con_4", "con_5", "con_6"):
        return _convolution(stream, name)
    if name in ("affine_", "affine_2"):
        params = stream.tensor().reshape(-1)
        channels = stream.alias()[1]
        stream.alias(), stream.integer()  # beta's shape (gamma's), the mode (per channel)
        if name == "affine_2":
            stream.flag()  # disabled
        return Affine(params[:channels], params[channels : 2 * channels])
    if name in ("relu_", "relu_2"):
        if name == "relu_2":
            stream.flag()
        return Relu()
    if name in ("max_pool_2", "avg_pool_2"):
        kind = PoolKind.MAX if name.startswith("max") else PoolKind.AVERAGE
        window, stride, padding = stream.pair(), stream.pair(), stream.pair()
        return Pooling(kind, window, stride, padding)
    if name.startswith("add_prev_"):
        return AddPrevious()
    if name in ("fc_2", "fc_3"):
        outputs, inputs = stream.integer(), stream.integer()
        weights = stream.tensor().reshape(inputs, outputs)
        stream.alias(), stream.alias(), stream.integer()  # weights', biases' shapes; bias mode
        stream.skip_floats(4)  # learning rate and weight decay multipliers
        if name == "fc_3":
            stream.flag()
        return FullyConnected(weights)
    raise stream.error(f"a layer this reader does not know: {name!r}")


def _convolution(stream: _Stream, name: str) -> Convolution:
    params = stream.tensor().reshape(-1)
    count = stream.integer()
    stream.pair()  # the filter's size, which the filters' shape below says again
    stride, padding = stream.pair(), stream.pair()
    shape = stream.alias()
    stream.alias()
    stream.skip_floats(4)
    if name in ("con_5", "con_6"):
        stream.flag()  # use_bias: the biases are zero when it is false
    if name == "con_6":
        stream.flag()
    size = int(np.prod(shape))
    return Convolution(params[:size].reshape(shape), params[size : size + count], stride, padding)


def _layer_state(stream: _Stream, innermost: bool) -> None:
    """What dlib saves beside each layer for training: flags and (empty) gradient tensors.
    The layer on the input is saved in its own format, with one more tensor and a number."""
    for _ in range(3):
        stream.flag()
    stream.tensor(), stream.tensor(), stream.tensor()
    if innermost:
        stream.integer()


class _Stream:
    def __init__(self, data: bytes, path: Path) -> None:
        self.data = data
        self.path = path
        self.at_byte = 0

    def done(self) -> bool:
        return self.at_byte >= len(self.data)

    def at(self, start: bytes) -> bool:
        return self.data.startswith(start, self.at_byte)

    def error(self, what: str) -> DlibNetFormatError:
        return DlibNetFormatError(f"{self.path}: byte {self.at_byte}: {what}")

    def take(self, count: int) -> bytes:
        if self.at_byte + count > len(self.data):
            raise self.error("the file ends early")
        chunk = self.data[self.at_byte : self.at_byte + count]
        self.at_byte += count
        return chunk

    def integer(self) -> int:
        control = self.take(1)[0]
        value = int.from_bytes(self.take(control & 0x0F), "little")
        return -value if control & 0x80 else value

    def pair(self) -> tuple[int, int]:
        return self.integer(), self.integer()

    def real(self) -> float:
        mantissa = self.integer()
        return float(mantissa * 2.0 ** self.integer())

    def skip_floats(self, count: int) -> None:
        for _ in range(count):
            self.real()

    def flag(self) -> bool:
        flag = self.take(1)
        if flag not in (b"0", b"1"):
            raise self.error(f"expected a flag, found {flag!r}")
        return flag == b"1"

    def text(self) -> str:
        return self.take(self.integer()).decode("ascii", errors="replace")

    def expect_integer(self, value: int, what: str) -> None:
        if (found := self.integer()) != value:
            raise self.error(f"{what} is {found}, expected {value}")

    def expect_text(self, value: str) -> None:
        if (found := self.text()) != value:
            raise self.error(f"expected {value!r}, found {found[:40]!r}")

    def alias(self) -> tuple[int, int, int, int]:
        self.expect_integer(_ALIAS_VERSION, "a tensor shape's version")
        return self.integer(), self.integer(), self.integer(), self.integer()

    def tensor(self) -> Weights:
        self.expect_integer(_TENSOR_VERSION, "a tensor's version")
        shape = (self.integer(), self.integer(), self.integer(), self.integer())
        count = int(np.prod(shape))
        if min(shape) < 0 or 4 * count > len(self.data) - self.at_byte:
            raise self.error(f"a tensor of shape {shape} does not fit in the file")
        values = np.frombuffer(self.take(4 * count), dtype="<f4").astype(np.float32)
        return values.reshape(shape)
