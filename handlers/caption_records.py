"""The records the captions stage and its ledger (the repository) exchange.

They live here, among the handlers, rather than in daemon/repository/, so that imports point
one way: the repository imports the handlers' records, and no handler imports the repository
(whose package imports every part of it, captions included, and would close a circle).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CharacterRecord:
    id: int
    name: str
    trigger_word: str
    class_word: str


@dataclass(frozen=True)
class StoredCaption:
    text: str
    provider: str
    stale: bool


@dataclass(frozen=True)
class NewCaption:
    file: str
    movie_key: str
    character: str
    provider: str
    text: str
    prompt_sha: str
