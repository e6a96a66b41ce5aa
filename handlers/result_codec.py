"""Stage results to JSON and back, so a later stage reads typed objects, never raw dicts.

Results are frozen dataclasses built from str, int, float, bool, enums, None unions, tuples
and other such dataclasses; that is all this codec has to know.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


def encode(result: object) -> Any:
    """A JSON-ready value: dataclasses become dicts, tuples lists, enums their values."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return {
            f.name: encode(getattr(result, f.name))
            for f in dataclasses.fields(result)
            if f.metadata.get("json", True)  # {"json": False}: kept in the database only
        }
    if isinstance(result, enum.Enum):
        return result.value
    if isinstance(result, tuple | list):
        return [encode(item) for item in result]
    return result


def decode(kind: type[T], data: Any) -> T:
    value: T = _decode(kind, data)
    return value


def _decode(hint: Any, data: Any) -> Any:
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        hints = _hints(hint)
        known = {f.name for f in dataclasses.fields(hint)}
        # Fields added since the result was stored take their defaults.
        return hint(**{k: _decode(hints[k], v) for k, v in data.items() if k in known})
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        inner = [a for a in args if a is not type(None)]
        return _decode(inner[0], data)
    if origin is tuple:
        item = args[0]
        return tuple(_decode(item, v) for v in data)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(data)
    if hint is float and isinstance(data, int):
        return float(data)
    return data


@cache
def _hints(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind)
