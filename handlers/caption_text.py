"""A caption made fit for training: no preamble, the trigger word first, within CLIP's window.

Vision models like to open with "The image shows"; a LoRA caption wants the trigger word
first and then short phrases. The CLIP text encoder reads 77 tokens, two of them its start
and end marks, so a longer caption is cut at the last phrase that fits. Tokens are counted
with the real CLIP tokenizer when one is loaded, and otherwise estimated on the high side,
so an estimate never lets a caption run past the window.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Protocol

# The start and end marks the CLIP tokenizer adds to every text.
SPECIAL_TOKENS = 2

_PREAMBLES = re.compile(
    r"^\s*(?:(?:the|this)\s+(?:image|picture|photo(?:graph)?|frame|still|scene)\s+"
    r"(?:shows|depicts|features|captures|contains|is of|presents)|"
    r"in\s+(?:the|this)\s+(?:image|picture|photo(?:graph)?|frame|still)|"
    r"(?:here\s+is\s+)?(?:a\s+)?caption\s*:|"
    r"(?:an?\s+)?(?:image|picture|photo(?:graph)?)\s+of)\s*,?\s*",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[^\W\d_]+|\d|[^\w\s]", re.UNICODE)


class TokenCounter(Protocol):
    def __call__(self, text: str) -> int:
        """How many tokens `text` takes, without the start and end marks."""
        ...


def estimated_tokens(text: str) -> int:
    """An over-estimate of CLIP's BPE count: a word of up to 7 letters is one token, then
    one more per 5 letters; every digit and punctuation mark is a token of its own."""
    total = 0
    for piece in _WORDS.findall(text.lower()):
        total += 1 if len(piece) <= 7 else 1 + math.ceil((len(piece) - 7) / 5)
    return total


def clip_token_counter(tokenize: Callable[[str], list[int]]) -> TokenCounter:
    """Counts with a real tokenizer's `encode` (which may add the special marks itself)."""

    def count(text: str) -> int:
        return max(0, len(tokenize(text)) - SPECIAL_TOKENS)

    return count


def clean_caption(raw: str, trigger: str) -> str:
    """One line, no preamble or quotes, starting with the trigger word."""
    text = " ".join(raw.replace("\u201c", '"').replace("\u201d", '"').split())
    text = text.strip().strip('"').strip("'").strip()
    while True:
        stripped = _PREAMBLES.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    text = text.rstrip(" .")
    if not text.lower().startswith(trigger.lower()):
        text = f"{trigger}, {text}" if text else trigger
    return text


def fit_caption(text: str, max_tokens: int, count: TokenCounter) -> str:
    """The longest prefix of whole comma-separated phrases within `max_tokens` (marks
    included); a first phrase too long on its own is cut word by word."""
    budget = max_tokens - SPECIAL_TOKENS
    if count(text) <= budget:
        return text
    phrases = [p.strip() for p in text.split(",") if p.strip()]
    kept = [phrases[0]]
    for phrase in phrases[1:]:
        if count(", ".join([*kept, phrase])) > budget:
            break
        kept.append(phrase)
    fitted = ", ".join(kept)
    words = fitted.split()
    while len(words) > 1 and count(" ".join(words)) > budget:
        words.pop()
    return " ".join(words)
