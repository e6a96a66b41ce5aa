"""Reading dlib's face-encoder file: the network it holds, and clear errors for what it is not."""

from __future__ import annotations

from pathlib import Path

import face_recognition_models
import numpy as np
import pytest

from handlers.dlib_net_file import (
    AddPrevious,
    Convolution,
    DlibNetFormatError,
    FullyConnected,
    Pooling,
    PoolKind,
    read_metric_net,
)
from handlers.face_encoder_net import EncoderNet

MODEL = Path(face_recognition_models.face_recognition_model_location())


def test_the_shipped_file_reads_as_dlibs_resnet_to_its_last_byte() -> None:
    net = read_metric_net(MODEL)
    convolutions = [layer for layer in net.layers if isinstance(layer, Convolution)]
    assert net.input_size == (150, 150)
    assert net.channel_means == pytest.approx((122.782, 117.001, 104.298), abs=1e-3)
    # dlib's dnn_face_recognition_ex.cpp: a 7x7 stem and 14 residual blocks of two 3x3 each.
    assert len(convolutions) == 29
    assert convolutions[0].filters.shape == (32, 3, 7, 7)
    assert convolutions[0].stride == (2, 2) and convolutions[0].padding == (0, 0)
    assert sum(isinstance(layer, AddPrevious) for layer in net.layers) == 14
    head = net.layers[-2:]
    assert isinstance(head[0], Pooling) and head[0].window == (0, 0)
    assert head[0].kind is PoolKind.AVERAGE
    assert isinstance(head[1], FullyConnected) and head[1].weights.shape == (256, 128)
    assert all(np.isfinite(layer.filters).all() for layer in convolutions)


def test_a_cut_short_file_says_where_it_ends(tmp_path: Path) -> None:
    short = tmp_path / "short.dat"
    short.write_bytes(MODEL.read_bytes()[:1_000_000])
    with pytest.raises(DlibNetFormatError, match=r"short\.dat: byte \d+: "):
        read_metric_net(short)


def test_a_layer_it_does_not_know_is_named(tmp_path: Path) -> None:
    data = MODEL.read_bytes()
    first = data.index(b"\x01\x05con_4")
    changed = tmp_path / "changed.dat"
    changed.write_bytes(data[:first] + b"\x01\x05xyz_4" + data[first + 7 :])
    with pytest.raises(DlibNetFormatError, match="a layer this reader does not know: 'xyz_4'"):
        read_metric_net(changed)


def test_a_file_that_is_not_a_dlib_network_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.dat"
    other.write_bytes(b"\x01\x01\x01\x0cnot_a_loss__" + bytes(64))
    with pytest.raises(DlibNetFormatError, match="expected 'loss_metric_2'"):
        read_metric_net(other)


def test_a_network_of_another_shape_is_refused_by_the_torch_builder() -> None:
    net = read_metric_net(MODEL)
    # Drop one layer inside a residual block: the blocks no longer line up.
    broken = type(net)(net.channel_means, net.input_size, net.layers[:6] + net.layers[7:])
    with pytest.raises(DlibNetFormatError, match="not a residual block"):
        EncoderNet(broken)
