"""The hashes AUTOMATIC1111 and the LoRA managers identify model files by.

- A checkpoint's `Model hash` in A1111's infotext: the first 10 hex digits of the sha256 of
  the whole file.
- A LoRA's hash (the "addnet" hash, from sd-webui-additional-networks): the sha256 of a
  .safetensors file's tensor bytes, i.e. everything after the 8-byte header length and the
  JSON header, so editing the header leaves it unchanged. A1111 shows its first 12 digits
  (`Lora hashes`) and takes it from the file's `sshs_model_hash` header field when present.
- `sshs_legacy_hash`: the older additional-networks hash, 8 hex digits of the sha256 of the
  64 KiB at offset 1 MiB of the file as sd-scripts serialises it (with its `ss_*` fields only).
"""

from __future__ import annotations

import functools
import hashlib
import io
from pathlib import Path
from typing import BinaryIO

import torch
from safetensors.torch import save

CHUNK = 1 << 20
A1111_MODEL_HASH_LENGTH = 10
A1111_LORA_HASH_LENGTH = 12
LEGACY_OFFSET, LEGACY_LENGTH, LEGACY_HASH_LENGTH = 0x100000, 0x10000, 8


def file_sha256(path: Path) -> str:
    """Hashed once per process for a file of unchanged size and time (a checkpoint is GBs, and
    the end of a run wants its hash for the header and for every sample image)."""
    stat = path.stat()
    return _file_sha256(path.resolve(), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _file_sha256(path: Path, _size: int, _mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def a1111_model_hash(path: Path) -> str:
    return file_sha256(path)[:A1111_MODEL_HASH_LENGTH]


def _tensor_bytes_sha256(handle: BinaryIO) -> str:
    header_length = int.from_bytes(handle.read(8), "little")
    handle.seek(8 + header_length)
    digest = hashlib.sha256()
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def addnet_hash(path: Path) -> str:
    """The full addnet sha256 of a .safetensors file."""
    with path.open("rb") as handle:
        return _tensor_bytes_sha256(handle)


def precalculated_hashes(
    tensors: dict[str, torch.Tensor], metadata: dict[str, str]
) -> dict[str, str]:
    """`sshs_model_hash` and `sshs_legacy_hash` as sd-scripts writes them into the header."""
    training_fields = {k: v for k, v in metadata.items() if k.startswith("ss_")}
    buffer = io.BytesIO(save(tensors, training_fields))
    model_hash = _tensor_bytes_sha256(buffer)
    buffer.seek(LEGACY_OFFSET)
    legacy = hashlib.sha256(buffer.read(LEGACY_LENGTH)).hexdigest()[:LEGACY_HASH_LENGTH]
    return {"sshs_model_hash": model_hash, "sshs_legacy_hash": legacy}


def legacy_model_hash(path: Path) -> str:
    """A1111's old checkpoint hash (8 hex digits of the 64 KiB at 1 MiB): `ss_sd_model_hash`."""
    with path.open("rb") as handle:
        handle.seek(LEGACY_OFFSET)
        return hashlib.sha256(handle.read(LEGACY_LENGTH)).hexdigest()[:LEGACY_HASH_LENGTH]
