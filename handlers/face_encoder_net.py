"""dlib's face-encoder ResNet rebuilt in torch from the layers dlib_net_file reads.

The network is a stem (convolution, affine, relu, max pool), residual blocks, and a head
(average over the picture, then a fully connected layer without bias). A block is
convolution, affine, relu, convolution, affine; a down block also averages its input over
2x2 and adds that to the block's output; each block ends with a relu. dlib adds outputs of
different sizes by padding the smaller with zeros (at the end of each dimension), and a down
block's halved input can be one pixel larger than its strided convolution's output.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch.nn import functional

from handlers.dlib_net_file import (
    AddPrevious,
    Affine,
    Convolution,
    DlibNetFormatError,
    FullyConnected,
    Layer,
    MetricNet,
    Pooling,
    PoolKind,
    Relu,
)

_BLOCK = (Convolution, Affine, Relu, Convolution, Affine)
_PIXEL_SCALE = 256.0  # dlib's input layer: (value - mean) / 256


class EncoderNet(torch.nn.Module):
    """Takes a batch of aligned RGB face chips (N, rows, columns, 3, uint8), gives (N, 128)."""

    def __init__(self, net: MetricNet) -> None:
        super().__init__()
        layers = list(net.layers)
        stem, head = layers[:4], layers[-2:]
        if [type(layer) for layer in stem] != [Convolution, Affine, Relu, Pooling]:
            raise DlibNetFormatError("the network does not start as dlib's face encoder does")
        whole = isinstance(head[0], Pooling) and head[0].window == (0, 0)
        if not whole or not isinstance(head[1], FullyConnected):
            raise DlibNetFormatError("the network does not end as dlib's face encoder does")
        self.means = torch.nn.Buffer(torch.tensor(net.channel_means).view(1, 3, 1, 1))
        self.stem = _Stem(stem)
        self.blocks = torch.nn.ModuleList(_Residual(block) for block in _blocks(layers[4:-2]))
        fully_connected = head[1]
        assert isinstance(fully_connected, FullyConnected)
        self.weights = torch.nn.Buffer(torch.from_numpy(fully_connected.weights.copy()))

    def forward(self, chips: torch.Tensor) -> torch.Tensor:
        x = (chips.permute(0, 3, 1, 2).float() - self.means) / _PIXEL_SCALE
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        encodings: torch.Tensor = x.mean(dim=(2, 3)) @ self.weights
        return encodings


def _blocks(layers: Sequence[Layer]) -> Iterator[Sequence[Layer]]:
    """The residual blocks in order: five layers, an optional 2x2 average pool, add, relu."""
    at = 0
    while at < len(layers):
        pooled = at + 5 < len(layers) and isinstance(layers[at + 5], Pooling)
        size = 8 if pooled else 7
        block = layers[at : at + size]
        kinds = tuple(type(layer) for layer in block)
        expected = _BLOCK + ((Pooling,) if size == 8 else ()) + (AddPrevious, Relu)
        if kinds != expected:
            raise DlibNetFormatError(f"layers {at + 4}-{at + 4 + size}: not a residual block")
        yield block
        at += size


class _Stem(torch.nn.Module):
    def __init__(self, layers: Sequence[Layer]) -> None:
        super().__init__()
        convolution, affine, _, pooling = layers
        assert isinstance(convolution, Convolution) and isinstance(affine, Affine)
        assert isinstance(pooling, Pooling)
        self.convolution = _Convolution(convolution, affine)
        self.pooling = pooling

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _pool(functional.relu(self.convolution(x)), self.pooling)


class _Residual(torch.nn.Module):
    def __init__(self, layers: Sequence[Layer]) -> None:
        super().__init__()
        first, first_affine, _, second, second_affine = layers[:5]
        assert isinstance(first, Convolution) and isinstance(first_affine, Affine)
        assert isinstance(second, Convolution) and isinstance(second_affine, Affine)
        self.first = _Convolution(first, first_affine)
        self.second = _Convolution(second, second_affine)
        pooling = layers[5]
        self.shortcut = pooling if isinstance(pooling, Pooling) else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.second(functional.relu(self.first(x)))
        shortcut = x if self.shortcut is None else _pool(x, self.shortcut)
        return functional.relu(_add_padded(out, shortcut))


class _Convolution(torch.nn.Module):
    """A convolution with its affine after it: the two are applied as dlib applies them,
    one after the other, so the sums round as dlib's do."""

    def __init__(self, convolution: Convolution, affine: Affine) -> None:
        super().__init__()
        self.filters = torch.nn.Buffer(torch.from_numpy(convolution.filters.copy()))
        self.biases = torch.nn.Buffer(torch.from_numpy(convolution.biases.copy()))
        self.gamma = torch.nn.Buffer(torch.from_numpy(affine.gamma.copy()).view(1, -1, 1, 1))
        self.beta = torch.nn.Buffer(torch.from_numpy(affine.beta.copy()).view(1, -1, 1, 1))
        self.stride = convolution.stride
        self.padding = convolution.padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = functional.conv2d(x, self.filters, self.biases, self.stride, self.padding)
        return out * self.gamma + self.beta


def _pool(x: torch.Tensor, pooling: Pooling) -> torch.Tensor:
    if pooling.window == (0, 0):
        return x.mean(dim=(2, 3), keepdim=True)
    pool = functional.max_pool2d if pooling.kind is PoolKind.MAX else functional.avg_pool2d
    out: torch.Tensor = pool(x, pooling.window, pooling.stride, pooling.padding)
    return out


def _add_padded(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    if a.shape == b.shape:
        return a + b
    out = a.new_zeros([max(m, n) for m, n in zip(a.shape, b.shape, strict=True)])
    out[:, : a.shape[1], : a.shape[2], : a.shape[3]] += a
    out[:, : b.shape[1], : b.shape[2], : b.shape[3]] += b
    return out
