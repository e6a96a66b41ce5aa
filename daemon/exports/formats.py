"""The export formats and the typed values passed between the export's parts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path


class ExportFormat(Enum):
    KOHYA = "kohya"
    ONETRAINER = "onetrainer"
    AI_TOOLKIT = "ai-toolkit"
    IMAGEFOLDER = "imagefolder"


class ExportRefusedError(Exception):
    """The export cannot be written as asked; the message says why and what to do."""


@dataclass(frozen=True)
class ExportImage:
    source: Path  # the dataset image in the library
    caption: str  # its `.txt`, on one line

    @property
    def name(self) -> str:
        return self.source.name


@dataclass(frozen=True)
class CharacterDataset:
    name: str
    trigger_word: str
    class_word: str
    images: tuple[ExportImage, ...]  # captioned images only: the rest would teach nothing


@dataclass(frozen=True)
class ExportRequest:
    target: Path
    format: ExportFormat
    name: str | None = None  # one character, or every one with `every`
    every: bool = False


@dataclass(frozen=True)
class LeftOut:
    file: str
    reason: str


@dataclass(frozen=True)
class ExportedCharacter:
    name: str
    folder: Path
    images: int
    linked: int  # images hard-linked; the others were copied
    left_out: tuple[LeftOut, ...]  # images the layout's trainer could not read
