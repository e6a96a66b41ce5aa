"""What the review page asks of a drop: items (`image:<id>`, `face:<id>`) and one target
(`character:<name>`, `cluster:<id>`, `not-this-person`, `noise`), read and bounded here."""

from __future__ import annotations

import enum
from dataclasses import dataclass

MAX_ITEMS = 500  # one drop; a selection larger than this is dropped in parts


class BadDropError(ValueError):
    """The drop names nothing valid; nothing was changed."""


class ItemKind(enum.StrEnum):
    IMAGE = "image"  # a dataset image
    FACE = "face"  # a stored face (the unknown faces' page)


class TargetKind(enum.StrEnum):
    CHARACTER = "character"
    CLUSTER = "cluster"
    NOT_THIS_PERSON = "not-this-person"
    NOISE = "noise"


@dataclass(frozen=True)
class DropItem:
    kind: ItemKind
    id: int


@dataclass(frozen=True)
class DropTarget:
    kind: TargetKind
    name: str | None  # the character's name or the cluster's id

    @property
    def text(self) -> str:
        return self.kind.value if self.name is None else f"{self.kind.value}:{self.name}"


@dataclass(frozen=True)
class DropRequest:
    items: tuple[DropItem, ...]
    target: DropTarget

    def ids_of(self, kind: ItemKind) -> tuple[int, ...]:
        return tuple(item.id for item in self.items if item.kind is kind)


def parse_drop(items: list[str], target: str) -> DropRequest:
    if not items:
        raise BadDropError("nothing was dropped: no item")
    if len(items) > MAX_ITEMS:
        raise BadDropError(f"{len(items)} items in one drop; at most {MAX_ITEMS}")
    parsed = tuple(dict.fromkeys(_item(text) for text in items))  # each once, in order
    return DropRequest(parsed, _target(target))


def _item(text: str) -> DropItem:
    kind, _, number = text.partition(":")
    if kind not in ItemKind.__members__.values() or not number.isascii() or not number.isdigit():
        raise BadDropError(f"not an item: {text[:80]!r} (image:<id> or face:<id>)")
    return DropItem(ItemKind(kind), int(number))


def _target(text: str) -> DropTarget:
    kind, colon, name = text.partition(":")
    if kind in (TargetKind.NOT_THIS_PERSON, TargetKind.NOISE) and not colon:
        return DropTarget(TargetKind(kind), None)
    if kind in (TargetKind.CHARACTER, TargetKind.CLUSTER) and name:
        return DropTarget(TargetKind(kind), name)
    raise BadDropError(
        f"not a drop target: {text[:80]!r} "
        "(character:<name>, cluster:<id>, not-this-person or noise)"
    )
